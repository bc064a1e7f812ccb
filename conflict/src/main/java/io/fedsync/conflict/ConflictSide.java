package io.fedsync.conflict;

import java.util.Arrays;
import java.util.Objects;

/**
 * One cluster's version in a conflict record: what it held, its vector and revision, and the
 * cluster where that change was made ({@code origin}: the cluster itself, or another one when it
 * held a copy; {@code operator} for an operator's value).
 */
public record ConflictSide(String cluster, byte[] value, boolean tombstone, VersionVector vector, long revision,
                           WriteTime writeTime, String origin) {

    /** A side holding its own change. */
    public ConflictSide(String cluster, byte[] value, boolean tombstone, VersionVector vector, long revision,
                        WriteTime writeTime) {
        this(cluster, value, tombstone, vector, revision, writeTime, cluster);
    }

    public ConflictSide {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(writeTime, "writeTime");
    }

    public static ConflictSide of(Version v) {
        return new ConflictSide(v.cluster(), v.value(), v.tombstone(), v.vector(), v.revision(), v.writeTime(),
                v.origin());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConflictSide s && cluster.equals(s.cluster) && Arrays.equals(value, s.value)
                && tombstone == s.tombstone && vector.equals(s.vector) && revision == s.revision && writeTime.equals(s.writeTime)
                && origin.equals(s.origin);
    }

    @Override
    public int hashCode() {
        return Objects.hash(cluster, Arrays.hashCode(value), tombstone, vector, revision, writeTime, origin);
    }
}
