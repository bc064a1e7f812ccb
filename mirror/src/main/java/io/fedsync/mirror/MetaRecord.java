package io.fedsync.mirror;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.google.common.hash.Hashing;
import io.fedsync.conflict.HybridClock;
import io.fedsync.conflict.VersionVector;
import io.fedsync.conflict.WriteTime;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * fedsync's metadata for one key in one cluster, stored beside the data key (JSON, so an
 * operator can read it with {@code etcdctl get}).
 *
 * @param vector    the version vector of the data it describes
 * @param origin    the cluster where the change it carries was made
 * @param writeTime when that change was written (see {@link WriteTime})
 * @param hash      short content hash of the value (compared by verification; the vector decides)
 * @param tombstone the key is deleted
 * @param describes the data mod_revision it describes, or 0 when written in the same Txn as the
 *                  data (then it describes its own mod_revision: a Txn cannot write its own
 *                  revision into a value, but both keys of one Txn share it)
 * @param converged the clusters hold this version in different bytes that are the same object
 *                  (they differ in fields the apiserver sets): their hashes legitimately differ
 */
public record MetaRecord(VersionVector vector, String origin, WriteTime writeTime, String hash, boolean tombstone,
                         long describes, boolean converged) {

    private static final JsonFactory JSON = new JsonFactory();

    public MetaRecord {
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(writeTime, "writeTime");
        Objects.requireNonNull(hash, "hash");
    }

    public MetaRecord(VersionVector vector, String origin, WriteTime writeTime, String hash, boolean tombstone,
                      long describes) {
        this(vector, origin, writeTime, hash, tombstone, describes, false);
    }

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

    /** The data revision this record, stored at {@code metaModRevision}, describes. */
    public long describedRevision(long metaModRevision) {
        return describes != 0 ? describes : metaModRevision;
    }

    /** The same record describing another data revision (a stamp). */
    public MetaRecord describing(long dataRevision) {
        return new MetaRecord(vector, origin, writeTime, hash, tombstone, dataRevision, converged);
    }

    /**
     * Same vector, tombstone flag and content (what clusters must agree on): the same hash, or
     * both converged (the same object in different bytes).
     */
    public boolean sameVersion(MetaRecord o) {
        return o != null && tombstone == o.tombstone && vector.equals(o.vector)
                && (hash.equals(o.hash) || converged && o.converged);
    }

    /**
     * A short content hash (64 bits of murmur3, in hex): only compared, between clusters and
     * against the value, never trusted for security.
     */
    public static String hashOf(byte[] value) {
        if (value == null) {
            return "";
        }
        String hex = Long.toHexString(Hashing.murmur3_128().hashBytes(value).asLong());
        return hex.length() == 16 ? hex : "0".repeat(16 - hex.length()) + hex;
    }

    /** Cluster names are few: every record refers to the same String instances. */
    private static final java.util.concurrent.ConcurrentHashMap<String, String> ORIGINS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static String origin(String name) {
        if (ORIGINS.size() > 10_000) {
            return name;
        }
        String shared = ORIGINS.putIfAbsent(name, name);
        return shared == null ? name : shared;
    }

    /**
     * The stored form, written by hand (it runs for every key the mirror writes): cluster names
     * are {@code [a-z0-9-]+} and the hash is hex, so nothing needs escaping but the origin, which
     * is escaped anyway.
     */
    public byte[] encode() {
        StringBuilder out = new StringBuilder(120);
        out.append("{\"vv\":{");
        boolean[] first = {true};
        vector.forEach((cluster, n) -> {
            if (!first[0]) {
                out.append(',');
            }
            first[0] = false;
            appendString(out, cluster).append(':').append(n);
        });
        out.append("},\"o\":");
        appendString(out, origin);
        out.append(",\"wt\":").append(writeTime.millis());
        out.append(",\"ws\":\"").append(writeTime.source().wireName()).append('"');
        out.append(",\"h\":");
        appendString(out, hash);
        out.append(",\"t\":").append(tombstone);
        out.append(",\"r\":").append(describes);
        if (converged) {
            out.append(",\"c\":true");
        }
        out.append('}');
        return out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static StringBuilder appendString(StringBuilder out, String s) {
        out.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"');
    }

    /** Decodes stored metadata; throws {@link IllegalArgumentException} naming what is wrong. */
    public static MetaRecord decode(byte[] bytes) {
        try (JsonParser p = JSON.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a fedsync metadata record");
            }
            Map<String, Long> vv = null;
            String origin = "";
            long wt = 0;
            long hlc = 0;
            String ws = null;
            String hash = "";
            boolean tombstone = false;
            long describes = 0;
            boolean converged = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "vv" -> {
                        if (t != JsonToken.START_OBJECT) {
                            throw new IllegalArgumentException("not a fedsync metadata record: vv is not an object");
                        }
                        vv = new LinkedHashMap<>();
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String cluster = p.currentName();
                            p.nextToken();
                            vv.put(cluster, p.getValueAsLong());
                        }
                    }
                    case "o" -> origin = origin(p.getValueAsString(""));
                    case "wt" -> wt = p.getValueAsLong();
                    case "ws" -> ws = p.getValueAsString();
                    case "hlc" -> hlc = p.getValueAsLong();
                    case "h" -> hash = p.getValueAsString("");
                    case "t" -> tombstone = p.getValueAsBoolean();
                    case "r" -> describes = p.getValueAsLong();
                    case "c" -> converged = p.getValueAsBoolean();
                    default -> p.skipChildren();
                }
            }
            if (vv == null) {
                throw new IllegalArgumentException("not a fedsync metadata record: no vv");
            }
            WriteTime writeTime;
            if (wt > 0) {
                WriteTime.Source s = WriteTime.Source.fromWire(ws);
                writeTime = s == WriteTime.Source.UNKNOWN ? WriteTime.received(wt) : new WriteTime(wt, s);
            } else {
                // Written by an earlier fedsync: a hybrid-clock time of when it saw the change.
                writeTime = WriteTime.received(HybridClock.physicalMillis(hlc));
            }
            return new MetaRecord(VersionVector.of(vv), origin, writeTime, hash, tombstone, Math.max(0, describes),
                    converged);
        } catch (IOException e) {
            throw new IllegalArgumentException("metadata is not JSON: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw e.getMessage() != null && e.getMessage().startsWith("not a fedsync") ? e
                    : new IllegalArgumentException("not a fedsync metadata record: " + e.getMessage(), e);
        }
    }
}
