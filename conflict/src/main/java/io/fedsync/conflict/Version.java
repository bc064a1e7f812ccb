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
 * @param origin    the cluster where the change it carries was made (this cluster for a local
 *                  change; for a copy, the origin fedsync's metadata records; {@code operator} for
 *                  an operator's own value). A copy of host3's write held on host is host3's
 *                  write: {@code priority} ranks it as host3's.
 */
public record Version(String cluster, VersionVector vector, boolean tombstone, byte[] value, WriteTime writeTime,
                      long revision, boolean local, String origin) {

    /** A version whose change was made on the cluster holding it. */
    public Version(String cluster, VersionVector vector, boolean tombstone, byte[] value, WriteTime writeTime,
                   long revision, boolean local) {
        this(cluster, vector, tombstone, value, writeTime, revision, local, cluster);
    }

    public Version {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(writeTime, "writeTime");
        if (tombstone && value != null) {
            throw new IllegalArgumentException("a tombstone has no value");
        }
        if (!tombstone && value == null) {
            throw new IllegalArgumentException("a live version needs a value");
        }
    }

    /** The same version with another write time (the time an apiserver recorded in the object). */
    public Version withWriteTime(WriteTime t) {
        return t.equals(writeTime) ? this : new Version(cluster, vector, tombstone, value, t, revision, local, origin);
    }

    /** True when both hold the same bytes, or both hold nothing. */
    public boolean sameContent(Version other) {
        return tombstone == other.tombstone && (tombstone || Arrays.equals(value, other.value));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Version v && cluster.equals(v.cluster) && vector.equals(v.vector)
                && tombstone == v.tombstone && Arrays.equals(value, v.value) && writeTime.equals(v.writeTime)
                && revision == v.revision && local == v.local && origin.equals(v.origin);
    }

    @Override
    public int hashCode() {
        return Objects.hash(cluster, vector, tombstone, Arrays.hashCode(value), writeTime, revision, local, origin);
    }

    @Override
    public String toString() {
        return cluster + (tombstone ? " <deleted> " : " ") + vector + (local ? " local" : "") + " rev " + revision
                + (origin.equals(cluster) ? "" : " from " + origin);
    }
}
