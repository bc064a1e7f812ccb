package io.fedsync.raft.api.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictSide;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.Resolution;
import io.fedsync.conflict.VersionVector;
import io.fedsync.conflict.WriteTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The JSON form of a {@link ConflictRecord}, shared by the state store and the HTTP API:
 * <pre>
 * {"id", "key", "type": "concurrent-update", "state": "open", "clusters": [...],
 *  "detectedAt", "updatedAt" (ISO-8601),
 *  "sides": [{"cluster", "tombstone", "vector": {"host": 2}, "revision",
 *             "writeTime" (ISO-8601 or null), "writeTimeSource": "managedFields|received|unknown",
 *             "origin" (where the change was made; absent in records of older versions: the cluster),
 *             "value", "valueEncoding"}],
 *  "differingPaths": [...], "resolution": {"winner", "by", "at", "reason", "how"} | null}
 * </pre>
 * {@code value} is the stored bytes as text when they are UTF-8 ({@code "valueEncoding": "utf8"}),
 * else base64; null for a tombstone.
 */
public final class ConflictRecordCodec {

    private ConflictRecordCodec() {
    }

    public static ObjectNode toJson(ConflictRecord r) {
        ObjectNode o = Json.object();
        o.put("id", r.id());
        o.put("key", r.key());
        o.put("type", r.type().wireName());
        o.put("state", r.state().wireName());
        o.set("clusters", Fields.strings(r.clusters()));
        o.put("detectedAt", Fields.iso(r.detectedAt()));
        o.put("updatedAt", Fields.iso(r.updatedAt()));
        ArrayNode sides = o.putArray("sides");
        r.sides().forEach(s -> sides.add(side(s)));
        o.set("differingPaths", Fields.strings(r.differingPaths()));
        if (r.resolution() == null) {
            o.putNull("resolution");
        } else {
            ObjectNode res = o.putObject("resolution");
            res.put("winner", r.resolution().winner());
            res.put("by", r.resolution().by());
            res.put("at", Fields.iso(r.resolution().at()));
            res.put("reason", r.resolution().reason());
            if (r.resolution().how() != null) {
                res.put("how", r.resolution().how()); // only for an operator's resolution
            }
        }
        return o;
    }

    private static ObjectNode side(ConflictSide s) {
        ObjectNode o = Json.object();
        o.put("cluster", s.cluster());
        o.put("tombstone", s.tombstone());
        ObjectNode vector = o.putObject("vector");
        s.vector().asMap().forEach(vector::put);
        o.put("revision", s.revision());
        if (s.writeTime().known()) {
            o.put("writeTime", Fields.iso(java.time.Instant.ofEpochMilli(s.writeTime().millis())));
        } else {
            o.putNull("writeTime");
        }
        o.put("writeTimeSource", s.writeTime().source().wireName());
        o.put("origin", s.origin());
        if (s.value() == null) {
            o.putNull("value");
            o.putNull("valueEncoding");
        } else {
            ValueEncoding.Encoded e = ValueEncoding.encode(s.value());
            o.put("value", e.text());
            o.put("valueEncoding", e.encoding().wireName);
        }
        return o;
    }

    /** @throws JsonFormatException naming the first field that is missing or malformed */
    public static ConflictRecord fromJson(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new JsonFormatException("a conflict record must be a JSON object");
        }
        try {
            List<ConflictSide> sides = new ArrayList<>();
            for (JsonNode s : Fields.array(node, "sides")) {
                sides.add(side(s));
            }
            return new ConflictRecord(
                    Fields.text(node, "id"),
                    Fields.text(node, "key"),
                    enumValue(() -> ConflictType.fromWireName(Fields.text(node, "type")), "type", node),
                    enumValue(() -> ConflictState.fromWireName(Fields.text(node, "state")), "state", node),
                    Fields.strings(node, "clusters"),
                    sides,
                    Fields.strings(node, "differingPaths"),
                    Fields.instant(node, "detectedAt"),
                    Fields.instant(node, "updatedAt"),
                    resolution(node.get("resolution")));
        } catch (IllegalArgumentException e) {
            if (e instanceof JsonFormatException) {
                throw e;
            }
            // The record's own invariants (e.g. a resolved record without its resolution).
            throw new JsonFormatException("inconsistent conflict record: " + e.getMessage(), e);
        }
    }

    private static ConflictSide side(JsonNode s) {
        if (!s.isObject()) {
            throw new JsonFormatException("each of 'sides' must be an object");
        }
        String encoded = Fields.optionalText(s, "value");
        byte[] value = null;
        if (encoded != null) {
            String encoding = Fields.optionalText(s, "valueEncoding");
            value = ValueEncoding.fromWireName(encoding == null ? "utf8" : encoding).decode(encoded);
        }
        String cluster = Fields.text(s, "cluster");
        String origin = Fields.optionalText(s, "origin");
        return new ConflictSide(cluster, value, Fields.bool(s, "tombstone"),
                vector(Fields.required(s, "vector")), Fields.number(s, "revision"), writeTime(s),
                origin == null || origin.isEmpty() ? cluster : origin);
    }

    private static WriteTime writeTime(JsonNode s) {
        java.time.Instant at = Fields.optionalInstant(s, "writeTime");
        if (at == null) {
            return WriteTime.UNKNOWN;
        }
        WriteTime.Source source = WriteTime.Source.fromWire(Fields.optionalText(s, "writeTimeSource"));
        return source == WriteTime.Source.UNKNOWN ? WriteTime.received(at.toEpochMilli())
                : new WriteTime(Math.max(1, at.toEpochMilli()), source);
    }

    private static VersionVector vector(JsonNode v) {
        if (!v.isObject()) {
            throw new JsonFormatException("field 'vector' must be an object of cluster → count");
        }
        Map<String, Long> counters = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            if (!e.getValue().isIntegralNumber()) {
                throw new JsonFormatException("vector entry '" + e.getKey() + "' must be a whole number");
            }
            counters.put(e.getKey(), e.getValue().asLong());
        }
        return VersionVector.of(counters);
    }

    private static Resolution resolution(JsonNode r) {
        if (r == null || r.isNull()) {
            return null;
        }
        if (!r.isObject()) {
            throw new JsonFormatException("field 'resolution' must be an object or null");
        }
        return new Resolution(Fields.optionalText(r, "winner"), Fields.text(r, "by"), Fields.instant(r, "at"),
                Fields.optionalText(r, "reason"), Fields.optionalText(r, "how"));
    }

    private static <T> T enumValue(Supplier<T> parse, String field, JsonNode node) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            if (e instanceof JsonFormatException) {
                throw e;
            }
            throw new JsonFormatException("unknown " + field + " '" + node.get(field).asText() + "'");
        }
    }
}
