package io.fedsync.mirror;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.hash.Hashing;
import io.fedsync.conflict.VersionVector;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * fedsync's metadata for one key in one cluster, stored beside the data key.
 *
 * @param vector    the version vector of the data it describes
 * @param origin    the cluster where the change it carries was made
 * @param hlc       hybrid-clock time of that change
 * @param hash      short content hash of the value (for reports; the vector decides)
 * @param tombstone the key is deleted
 * @param describes the data mod_revision it describes, or 0 when written in the same Txn as the
 *                  data (then it describes its own mod_revision: a Txn cannot write its own
 *                  revision into a value, but both keys of one Txn share it)
 */
public record MetaRecord(VersionVector vector, String origin, long hlc, String hash, boolean tombstone,
                         long describes) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Does this record, stored at {@code metaModRevision}, describe the data as it is now? */
    public boolean describes(boolean dataPresent, long dataModRevision, long metaModRevision) {
        if (!dataPresent) {
            return tombstone;
        }
        if (tombstone) {
            return false;
        }
        return dataModRevision == (describes != 0 ? describes : metaModRevision);
    }

    public static String hashOf(byte[] value) {
        return value == null ? "" : Hashing.sha256().hashBytes(value).toString().substring(0, 16);
    }

    public byte[] encode() {
        ObjectNode n = JSON.createObjectNode();
        ObjectNode vv = n.putObject("vv");
        vector.asMap().forEach(vv::put);
        n.put("o", origin);
        n.put("hlc", hlc);
        n.put("h", hash);
        n.put("t", tombstone);
        n.put("r", describes);
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode metadata", e);
        }
    }

    /** Decodes stored metadata; throws {@link IllegalArgumentException} naming what is wrong. */
    public static MetaRecord decode(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || !n.isObject() || !n.path("vv").isObject()) {
                throw new IllegalArgumentException("not a fedsync metadata record");
            }
            Map<String, Long> vv = new LinkedHashMap<>();
            n.path("vv").fields().forEachRemaining(e -> vv.put(e.getKey(), e.getValue().asLong()));
            return new MetaRecord(VersionVector.of(vv), n.path("o").asText(""), n.path("hlc").asLong(),
                    n.path("h").asText(""), n.path("t").asBoolean(), n.path("r").asLong());
        } catch (IOException e) {
            throw new IllegalArgumentException("metadata is not JSON: " + e.getMessage(), e);
        }
    }
}
