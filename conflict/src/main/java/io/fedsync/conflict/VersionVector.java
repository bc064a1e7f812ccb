package io.fedsync.conflict;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A version vector: for each cluster, how many changes that originated there a version includes.
 *
 * <p>Immutable. Missing entries count as zero, so {@code {}} is the vector of "never had it" and
 * {@code {a:0}} equals {@code {}}. Two versions are concurrent exactly when neither vector
 * dominates the other: that is what makes a conflict, and nothing else does.
 */
public final class VersionVector {

    public static final VersionVector EMPTY = new VersionVector(new TreeMap<>());

    private final SortedMap<String, Long> counters;

    private VersionVector(SortedMap<String, Long> counters) {
        this.counters = counters;
    }

    public static VersionVector of(Map<String, Long> counters) {
        TreeMap<String, Long> copy = new TreeMap<>();
        counters.forEach((cluster, n) -> {
            Objects.requireNonNull(cluster, "cluster");
            if (n == null || n < 0) {
                throw new IllegalArgumentException("counter of " + cluster + " must be >= 0, was " + n);
            }
            if (n > 0) {
                copy.put(cluster, n);
            }
        });
        return copy.isEmpty() ? EMPTY : new VersionVector(copy);
    }

    public long get(String cluster) {
        return counters.getOrDefault(cluster, 0L);
    }

    /** A new vector with {@code cluster}'s counter one higher. */
    public VersionVector increment(String cluster) {
        return withCounter(cluster, Math.addExact(get(cluster), 1));
    }

    public VersionVector withCounter(String cluster, long value) {
        if (value < 0) {
            throw new IllegalArgumentException("counter of " + cluster + " must be >= 0, was " + value);
        }
        TreeMap<String, Long> copy = new TreeMap<>(counters);
        if (value <= 0) {
            copy.remove(cluster);
        } else {
            copy.put(cluster, value);
        }
        return copy.isEmpty() ? EMPTY : new VersionVector(copy);
    }

    /** The least vector that dominates both (pointwise maximum). */
    public VersionVector merge(VersionVector other) {
        TreeMap<String, Long> copy = new TreeMap<>(counters);
        other.counters.forEach((cluster, n) -> copy.merge(cluster, n, Math::max));
        return new VersionVector(copy);
    }

    public Causality compareTo(VersionVector other) {
        boolean someGreater = false;
        boolean someLess = false;
        TreeMap<String, Long> union = new TreeMap<>(counters);
        union.putAll(other.counters);
        for (String cluster : union.keySet()) {
            long mine = get(cluster);
            long theirs = other.get(cluster);
            if (mine > theirs) {
                someGreater = true;
            } else if (mine < theirs) {
                someLess = true;
            }
        }
        if (someGreater && someLess) {
            return Causality.CONCURRENT;
        }
        if (someGreater) {
            return Causality.AFTER;
        }
        return someLess ? Causality.BEFORE : Causality.EQUAL;
    }

    /** True when this vector includes every change {@code other} includes. */
    public boolean dominates(VersionVector other) {
        Causality c = compareTo(other);
        return c == Causality.AFTER || c == Causality.EQUAL;
    }

    public Map<String, Long> asMap() {
        return Collections.unmodifiableSortedMap(counters);
    }

    public boolean isEmpty() {
        return counters.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VersionVector v && counters.equals(v.counters);
    }

    @Override
    public int hashCode() {
        return counters.hashCode();
    }

    @Override
    public String toString() {
        return counters.toString();
    }
}
