package io.fedsync.itest.kube;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JSON the way kube-apiserver writes unstructured objects (Go's {@code encoding/json} over
 * {@code map[string]interface{}}): compact, every object's keys sorted, and {@code < > &}
 * U+2028 U+2029 written as six-character unicode escapes, lowercase hex, like Go. Stored values end in one {@code \n}, as
 * kube-apiserver's JSON serializer writes them (see shared/samples).
 */
final class GoJson {

    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() { };
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(DeserializationFeature.USE_LONG_FOR_INTS);

    static {
        MAPPER.getFactory().setCharacterEscapes(new GoEscapes());
    }

    private GoJson() {
    }

    /** A JSON object as a mutable map; throws {@link IOException} if it is not one. */
    static Map<String, Object> parseObject(byte[] json) throws IOException {
        Map<String, Object> map = MAPPER.readValue(json, MAP);
        if (map == null) {
            throw new IOException("null is not an object");
        }
        return map;
    }

    /** Any JSON value (objects as maps, arrays as lists). */
    static Object parse(byte[] json) throws IOException {
        return MAPPER.readValue(json, Object.class);
    }

    /** Compact, sorted, Go-escaped; no trailing newline. */
    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise " + value, e);
        }
    }

    /** As stored in etcd: {@link #write} plus one {@code \n}. */
    static byte[] writeStored(Object value) {
        byte[] json = write(value);
        byte[] stored = Arrays.copyOf(json, json.length + 1);
        stored[json.length] = '\n';
        return stored;
    }

    /** A deep copy (maps stay mutable). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> copy(Map<String, Object> object) {
        try {
            return MAPPER.readValue(MAPPER.writeValueAsBytes(object), MAP);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Go's HTMLEscape set plus the JavaScript line separators; lowercase hex like Go. */
    private static final class GoEscapes extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] ascii = standardAsciiEscapesForJSON();

        GoEscapes() {
            ascii['<'] = ESCAPE_CUSTOM;
            ascii['>'] = ESCAPE_CUSTOM;
            ascii['&'] = ESCAPE_CUSTOM;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return switch (ch) {
                case '<' -> new SerializedString("\\u003c");
                case '>' -> new SerializedString("\\u003e");
                case '&' -> new SerializedString("\\u0026");
                case 0x2028 -> new SerializedString("\\u2028");
                case 0x2029 -> new SerializedString("\\u2029");
                default -> null;
            };
        }
    }
}
