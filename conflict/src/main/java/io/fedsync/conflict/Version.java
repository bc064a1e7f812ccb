package io.fedsync.conflict;

import java.util.Arrays;
import java.util.Objects;

/**
 * What one cluster holds for one key, as the mirror sees it.
 *
 * @param cluster   the cluster holding it
 * @param vector    its version vector
 * @param tombstone true when the key is deleted (or was never there)
 * @param value     the stored bytes, null for a tombstone
 * @param writeTime when the change this version carries was written, as well as it is known
 *                  (last-writer-wins)
 * @param revision  the cluster's etcd mod_revision of the data key (0 when absent)
 * @param local     true when the change was made on this cluster and not yet stamped by fedsync
 */
public record Version(String cluster, VersionVector vector, boolean tombstone, byte[] value, WriteTime writeTime,
                      long revision, boolean local) {

    public Version {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(writeTime, "writeTime");
        if (tombstone && value != null) {
            throw new IllegalArgumentException("a tombstone has no value");
        }
        if (!tombstone && value == null) {
            throw new IllegalArgumentException("a live version needs a value");
        }
    }

    /** True when both hold the same bytes, or both hold nothing. */
    public boolean sameContent(Version other) {
        return tombstone == other.tombstone && (tombstone || Arrays.equals(value, other.value));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Version v && cluster.equals(v.cluster) && vector.equals(v.vector)
                && tombstone == v.tombstone && Arrays.equals(value, v.value) && writeTime.equals(v.writeTime)
                && revision == v.revision && local == v.local;
    }

    @Override
    public int hashCode() {
        return Objects.hash(cluster, vector, tombstone, Arrays.hashCode(value), writeTime, revision, local);
    }

    @Override
    public String toString() {
        return cluster + (tombstone ? " <deleted> " : " ") + vector + (local ? " local" : "") + " rev " + revision;
    }
}
