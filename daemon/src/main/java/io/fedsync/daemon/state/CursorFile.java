package io.fedsync.daemon.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.raft.api.json.Json;
import io.fedsync.raft.api.CursorKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code cursors.json}: {@code {"version": 1, "cursors": [{"cluster", "prefix", "revision"}]}}.
 * A list rather than a map because a cursor is keyed by two strings.
 */
final class CursorFile {

    static final String FILE_NAME = "cursors.json";

    private static final String ADVICE = "delete it to make fedsyncd reconcile all clusters from scratch "
            + "(safe: nothing is lost, the first pass just takes longer)";

    private final Path file;

    CursorFile(Path dataDir) {
        this.file = dataDir.resolve(FILE_NAME);
    }

    Path path() {
        return file;
    }

    Map<CursorKey, Long> read() {
        if (!Files.exists(file)) {
            return Map.of();
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw StateFiles.cannotRead(file, e);
        }
        JsonNode root = StateFiles.parse(file, bytes, ADVICE);
        if (!root.path("cursors").isArray() || root.path("version").asInt() != 1) {
            throw StateFiles.corrupt(file, "expected {\"version\": 1, \"cursors\": [...]}", ADVICE);
        }
        Map<CursorKey, Long> cursors = new HashMap<>();
        for (JsonNode c : root.get("cursors")) {
            if (!c.path("cluster").isTextual() || !c.path("prefix").isTextual() || !c.path("revision").isIntegralNumber()) {
                throw StateFiles.corrupt(file, "a cursor lacks cluster, prefix or revision: " + c, ADVICE);
            }
            cursors.put(new CursorKey(c.get("cluster").asText(), c.get("prefix").asText()), c.get("revision").asLong());
        }
        return cursors;
    }

    void write(Map<CursorKey, Long> cursors) {
        ObjectNode root = Json.object();
        root.put("version", 1);
        ArrayNode list = root.putArray("cursors");
        cursors.entrySet().stream()
                .sorted(Map.Entry.comparingByKey(Comparator.comparing(CursorKey::cluster).thenComparing(CursorKey::prefix)))
                .forEach(e -> list.addObject()
                        .put("cluster", e.getKey().cluster())
                        .put("prefix", e.getKey().prefix())
                        .put("revision", e.getValue()));
        try {
            AtomicFiles.write(file, Json.bytes(root));
        } catch (IOException e) {
            throw StateFiles.cannotWrite(file, e);
        }
    }
}
