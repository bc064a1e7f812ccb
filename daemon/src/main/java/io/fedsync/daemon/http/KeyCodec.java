package io.fedsync.daemon.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.mirror.KeyExplanation;
import io.fedsync.mirror.MetaRecord;
import io.fedsync.raft.api.json.ConflictRecordCodec;
import io.fedsync.raft.api.json.Json;
import java.time.Instant;

/**
 * The JSON of {@code GET /api/v1/keys/{key}}:
 * <pre>
 * {"key", "prefix",
 *  "clusters": [{"cluster", "state", "error", "readAt", "present", "modRevision", "valueHash",
 *                "described", "meta": null | {"vector", "origin", "writeTime", "writeTimeSource",
 *                "hash", "tombstone", "modRevision"}}],
 *  "conflicts": [conflict records]}
 * </pre>
 */
final class KeyCodec {

    private KeyCodec() {
    }

    static ObjectNode toJson(KeyExplanation k) {
        ObjectNode o = Json.object();
        o.put("key", k.key());
        o.put("prefix", k.prefix());
        ArrayNode clusters = o.putArray("clusters");
        for (KeyExplanation.ClusterView c : k.clusters()) {
            ObjectNode v = clusters.addObject();
            v.put("cluster", c.cluster());
            v.put("state", c.state());
            v.put("error", c.error());
            v.put("readAt", c.readAt());
            v.put("present", c.present());
            v.put("modRevision", c.modRevision());
            v.put("valueHash", c.valueHash());
            v.put("described", c.described());
            MetaRecord m = c.meta();
            if (m == null) {
                v.putNull("meta");
            } else {
                ObjectNode meta = v.putObject("meta");
                ObjectNode vector = meta.putObject("vector");
                m.vector().asMap().forEach(vector::put);
                meta.put("origin", m.origin());
                if (m.writeTime().known()) {
                    meta.put("writeTime", Instant.ofEpochMilli(m.writeTime().millis()).toString());
                } else {
                    meta.putNull("writeTime");
                }
                meta.put("writeTimeSource", m.writeTime().source().wireName());
                meta.put("hash", m.hash());
                meta.put("tombstone", m.tombstone());
                meta.put("modRevision", c.metaModRevision());
            }
        }
        ArrayNode conflicts = o.putArray("conflicts");
        k.conflicts().forEach(r -> conflicts.add(ConflictRecordCodec.toJson(r)));
        return o;
    }
}
