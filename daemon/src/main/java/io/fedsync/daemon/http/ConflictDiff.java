package io.fedsync.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictSide;
import io.fedsync.conflict.ObjectNormaliser;
import io.fedsync.raft.api.json.ConflictRecordCodec;
import io.fedsync.raft.api.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One conflict record with its side-by-side diff: for every JSON pointer at which the sides'
 * normalised objects differ ({@code differingPaths}), each side's value there —
 * {@code "diff": [{"path": "/spec/email", "values": {"host": "a@x", "host2": "b@x"}}]}. A side
 * that is deleted, or lacks the field, shows null; for values that are not JSON objects (path
 * {@code ""}) each side's whole value is shown as text.
 */
final class ConflictDiff {

    private ConflictDiff() {
    }

    static ObjectNode detail(ConflictRecord r) {
        ObjectNode o = ConflictRecordCodec.toJson(r);
        // Each side's decoded object beside its stored text, for clients that want the object.
        for (JsonNode side : o.path("sides")) {
            String cluster = side.path("cluster").asText();
            r.sides().stream().filter(s -> s.cluster().equals(cluster)).findFirst()
                    .flatMap(s -> s.value() == null ? Optional.empty() : ObjectNormaliser.parseObject(s.value()))
                    .ifPresentOrElse(obj -> ((ObjectNode) side).set("object", obj),
                            () -> ((ObjectNode) side).putNull("object"));
        }
        ConflictKind kind = ConflictKind.of(r);
        o.put("resource", kind.resource());
        o.put("kind", kind.kind());
        o.set("diff", diff(r));
        return o;
    }

    static ArrayNode diff(ConflictRecord r) {
        Map<String, Optional<ObjectNode>> objects = new LinkedHashMap<>();
        for (ConflictSide s : r.sides()) {
            objects.put(s.cluster(), s.tombstone() || s.value() == null ? Optional.empty()
                    : ObjectNormaliser.parseObject(s.value()));
        }
        ArrayNode diff = Json.MAPPER.createArrayNode();
        for (String path : r.differingPaths()) {
            ObjectNode entry = diff.addObject();
            entry.put("path", path);
            ObjectNode values = entry.putObject("values");
            for (ConflictSide s : r.sides()) {
                Optional<ObjectNode> object = objects.get(s.cluster());
                if (s.tombstone() || s.value() == null) {
                    values.putNull(s.cluster());
                } else if (object.isEmpty()) {
                    values.put(s.cluster(), new String(s.value(), StandardCharsets.UTF_8));
                } else {
                    JsonNode at;
                    try {
                        at = path.isEmpty() ? object.get() : object.get().at(path);
                    } catch (IllegalArgumentException e) {
                        at = com.fasterxml.jackson.databind.node.MissingNode.getInstance();
                    }
                    if (at.isMissingNode()) {
                        values.putNull(s.cluster());
                    } else {
                        values.set(s.cluster(), at);
                    }
                }
            }
        }
        return diff;
    }
}
