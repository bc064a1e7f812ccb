package io.fedsync.raft.api.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** Strict readers for the codecs: a wrong or missing field is named, never silently defaulted. */
public final class Fields {

    private Fields() {
    }

    public static JsonNode required(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new JsonFormatException("missing field '" + field + "'");
        }
        return v;
    }

    public static String text(JsonNode node, String field) {
        JsonNode v = required(node, field);
        if (!v.isTextual()) {
            throw new JsonFormatException("field '" + field + "' must be a string");
        }
        return v.asText();
    }

    public static String optionalText(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new JsonFormatException("field '" + field + "' must be a string or null");
        }
        return v.asText();
    }

    public static long number(JsonNode node, String field) {
        JsonNode v = required(node, field);
        if (!v.canConvertToLong() || !v.isIntegralNumber()) {
            throw new JsonFormatException("field '" + field + "' must be a whole number");
        }
        return v.asLong();
    }

    public static boolean bool(JsonNode node, String field) {
        JsonNode v = required(node, field);
        if (!v.isBoolean()) {
            throw new JsonFormatException("field '" + field + "' must be true or false");
        }
        return v.asBoolean();
    }

    public static Instant instant(JsonNode node, String field) {
        return parseInstant(text(node, field), field);
    }

    public static Instant optionalInstant(JsonNode node, String field) {
        String s = optionalText(node, field);
        return s == null ? null : parseInstant(s, field);
    }

    private static Instant parseInstant(String s, String field) {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw new JsonFormatException("field '" + field + "' is not an ISO-8601 instant: '" + s + "'");
        }
    }

    public static ArrayNode array(JsonNode node, String field) {
        JsonNode v = required(node, field);
        if (!v.isArray()) {
            throw new JsonFormatException("field '" + field + "' must be a list");
        }
        return (ArrayNode) v;
    }

    public static List<String> strings(JsonNode node, String field) {
        List<String> result = new ArrayList<>();
        for (JsonNode item : array(node, field)) {
            if (!item.isTextual()) {
                throw new JsonFormatException("field '" + field + "' must hold strings");
            }
            result.add(item.asText());
        }
        return result;
    }

    public static ArrayNode strings(List<String> values) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        values.forEach(a::add);
        return a;
    }

    public static String iso(Instant t) {
        return t == null ? null : t.toString();
    }
}
