package io.fedsync.daemon.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads {@code fedsync.yaml}. Every failure becomes a {@link ConfigException} whose message
 * names the file, the key path (e.g. {@code clusters[1].etcd.endpoints}) and, where the parser
 * knows it, the line: an operator should never have to read a Jackson stack trace.
 */
public final class ConfigLoader {

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            // A repeated key would otherwise silently win over the first: reject it.
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ConfigLoader() {
    }

    /**
     * Reads, binds and validates {@code file}; creates nothing (the data dir is created by the store).
     *
     * @throws ConfigException with one line per problem, each naming the file and the key
     */
    public static DaemonConfig load(Path file) throws ConfigException {
        String text = read(file);
        return ConfigValidator.validate(bind(text, file), file, YamlLines.of(text));
    }

    private static String read(Path file) throws ConfigException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new ConfigException("config file " + file + " is not readable by this user", e);
        } catch (CharacterCodingException e) {
            throw new ConfigException("config file " + file + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
    }

    private static ConfigFile bind(String text, Path file) throws ConfigException {
        if (text.isBlank()) {
            throw new ConfigException("config file " + file + " is empty");
        }
        try {
            ConfigFile config = YAML.readValue(text, ConfigFile.class);
            if (config == null) {
                throw new ConfigException("config file " + file + " holds no settings");
            }
            return config;
        } catch (JsonProcessingException e) {
            throw translate(e, file, text);
        }
    }

    private static ConfigException translate(JsonProcessingException thrown, Path file, String text) {
        // A number too large for its field is a value problem, not a syntax one.
        InputCoercionException range = find(thrown, InputCoercionException.class);
        if (range != null) {
            String key = thrown instanceof JsonMappingException m ? path(m) : "";
            String where = " in " + file + (key.isEmpty() ? line(range.getLocation()) : line(YamlLines.of(text), key));
            return new ConfigException((key.isEmpty() ? "invalid number" : "invalid value for '" + key + "'") + where
                    + ": " + firstLine(range.getOriginalMessage()), thrown);
        }
        // Databind wraps syntax errors (and duplicate keys) it meets while binding: report those as syntax.
        StreamReadException syntax = find(thrown, StreamReadException.class);
        if (syntax != null) {
            return new ConfigException(parseProblem(syntax, thrown, file), thrown);
        }
        String key = thrown instanceof JsonMappingException m ? path(m) : "";
        // Jackson points at the end of the document for record binding errors: locate the key ourselves.
        String where = " in " + file + (key.isEmpty() ? line(thrown.getLocation()) : line(YamlLines.of(text), key));
        if (thrown instanceof UnrecognizedPropertyException e) {
            return new ConfigException("unknown key '" + key + "'" + where + "; known keys here: "
                    + known(e.getKnownPropertyIds()), e);
        }
        if (thrown instanceof InvalidFormatException e) {
            return new ConfigException("invalid value '" + e.getValue() + "' for '" + key + "'" + where
                    + ": expected " + expected(e.getTargetType()), e);
        }
        if (thrown instanceof MismatchedInputException e) {
            return new ConfigException((key.isEmpty() ? "invalid config" : "invalid value for '" + key + "'")
                    + where + ": expected " + expected(e.getTargetType()), e);
        }
        return new ConfigException((key.isEmpty() ? "invalid config" : "invalid value for '" + key + "'")
                + where + ": " + firstLine(thrown.getOriginalMessage()), thrown);
    }

    /** The syntax problem in one line: YAML parsers like to add a multi-line excerpt. */
    private static String parseProblem(JsonProcessingException e, JsonProcessingException outer, Path file) {
        String problem = firstLine(e.getOriginalMessage());
        String where = line(e.getLocation());
        MarkedYAMLException marked = find(e, MarkedYAMLException.class);
        if (marked != null && marked.getProblem() != null) {
            problem = marked.getProblem();
            if (marked.getContext() != null) {
                problem = marked.getContext() + ": " + problem;
            }
            if (marked.getProblemMark() != null) {
                where = " (line " + (marked.getProblemMark().getLine() + 1) + ")";
            }
        }
        if (problem.startsWith("Duplicate field")) {
            String key = outer instanceof JsonMappingException m ? path(m) : "";
            return "duplicate key " + (key.isEmpty() ? problem.substring("Duplicate field ".length())
                    : "'" + key + "." + problem.substring("Duplicate field '".length())) + " in " + file + where;
        }
        return "malformed YAML in " + file + where + ": " + problem;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "syntax error";
        }
        return message.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse(message);
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    /** The dotted key path Jackson was binding, e.g. {@code clusters[0].etcd.caFile}. */
    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    static String line(YamlLines lines, String key) {
        return lines.line(key).stream().mapToObj(n -> " (line " + n + ")").findFirst().orElse("");
    }

    private static String line(JsonLocation loc) {
        return loc == null || loc.getLineNr() < 1 ? "" : " (line " + loc.getLineNr() + ")";
    }

    private static String known(Collection<Object> ids) {
        return ids == null ? "" : ids.stream().map(String::valueOf).collect(Collectors.toCollection(TreeSet::new))
                .stream().collect(Collectors.joining(", "));
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "something else";
        }
        if (List.class.isAssignableFrom(type) || Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "a whole number";
        }
        if (type.isRecord() || Map.class.isAssignableFrom(type)) {
            return "a mapping of keys";
        }
        return type.getSimpleName();
    }
}
