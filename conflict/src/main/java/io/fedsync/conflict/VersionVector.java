package io.fedsync.conflict;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A version vector: for each cluster, how many changes that originated there a version includes.
 *
 * <p>Immutable. Missing entries count as zero, so {@code {}} is the vector of "never had it" and
 * {@code {a:0}} equals {@code {}}. Two versions are concurrent exactly when neither vector
 * dominates the other: that is what makes a conflict, and nothing else does.
 *
 * <p>Held as two arrays sorted by cluster name (no zero counters), with the names shared: the
 * mirror keeps one vector per key and cluster in memory, and compares them on every decision.
 */
public final class VersionVector {

    private static final String[] NO_NAMES = new String[0];
    private static final long[] NO_COUNTERS = new long[0];
    /** Cluster names are few; every vector refers to the same String instances. */
    private static final Map<String, String> NAMES = new ConcurrentHashMap<>();

    public static final VersionVector EMPTY = new VersionVector(NO_NAMES, NO_COUNTERS);

    private final String[] names;
    private final long[] counters;
    private final int hash;

    private VersionVector(String[] names, long[] counters) {
        this.names = names;
        this.counters = counters;
        this.hash = 31 * Arrays.hashCode(names) + Arrays.hashCode(counters);
    }

    private static String name(String cluster) {
        String shared = NAMES.get(cluster);
        if (shared != null) {
            return shared;
        }
        if (NAMES.size() > 10_000) {
            return cluster;
        }
        NAMES.putIfAbsent(cluster, cluster);
        return NAMES.get(cluster);
    }

    public static VersionVector of(Map<String, Long> counters) {
        TreeMap<String, Long> sorted = new TreeMap<>();
        counters.forEach((cluster, n) -> {
            Objects.requireNonNull(cluster, "cluster");
            if (n == null || n < 0) {
                throw new IllegalArgumentException("counter of " + cluster + " must be >= 0, was " + n);
            }
            if (n > 0) {
                sorted.put(cluster, n);
            }
        });
        if (sorted.isEmpty()) {
            return EMPTY;
        }
        String[] names = new String[sorted.size()];
        long[] values = new long[sorted.size()];
        int i = 0;
        for (Map.Entry<String, Long> e : sorted.entrySet()) {
            names[i] = name(e.getKey());
            values[i++] = e.getValue();
        }
        return new VersionVector(names, values);
    }

    private int indexOf(String cluster) {
        return Arrays.binarySearch(names, cluster);
    }

    public long get(String cluster) {
        int i = indexOf(cluster);
        return i >= 0 ? counters[i] : 0L;
    }

    /** A new vector with {@code cluster}'s counter one higher. */
    public VersionVector increment(String cluster) {
        return withCounter(cluster, Math.addExact(get(cluster), 1));
    }

    public VersionVector withCounter(String cluster, long value) {
        Objects.requireNonNull(cluster, "cluster");
        if (value < 0) {
            throw new IllegalArgumentException("counter of " + cluster + " must be >= 0, was " + value);
        }
        int i = indexOf(cluster);
        if (i >= 0) {
            if (value == 0) {
                if (names.length == 1) {
                    return EMPTY;
                }
                String[] n = new String[names.length - 1];
                long[] c = new long[names.length - 1];
                System.arraycopy(names, 0, n, 0, i);
                System.arraycopy(names, i + 1, n, i, names.length - i - 1);
                System.arraycopy(counters, 0, c, 0, i);
                System.arraycopy(counters, i + 1, c, i, names.length - i - 1);
                return new VersionVector(n, c);
            }
            long[] c = counters.clone();
            c[i] = value;
            return new VersionVector(names, c);
        }
        if (value == 0) {
            return this;
        }
        int at = -i - 1;
        String[] n = new String[names.length + 1];
        long[] c = new long[names.length + 1];
        System.arraycopy(names, 0, n, 0, at);
        System.arraycopy(counters, 0, c, 0, at);
        n[at] = name(cluster);
        c[at] = value;
        System.arraycopy(names, at, n, at + 1, names.length - at);
        System.arraycopy(counters, at, c, at + 1, names.length - at);
        return new VersionVector(n, c);
    }

    /** The least vector that dominates both (pointwise maximum). */
    public VersionVector merge(VersionVector other) {
        if (other.names.length == 0 || this == other) {
            return this;
        }
        if (names.length == 0) {
            return other;
        }
        String[] n = new String[names.length + other.names.length];
        long[] c = new long[n.length];
        int i = 0;
        int j = 0;
        int k = 0;
        while (i < names.length || j < other.names.length) {
            int cmp = i == names.length ? 1 : j == other.names.length ? -1 : names[i].compareTo(other.names[j]);
            if (cmp < 0) {
                n[k] = names[i];
                c[k++] = counters[i++];
            } else if (cmp > 0) {
                n[k] = other.names[j];
                c[k++] = other.counters[j++];
            } else {
                n[k] = names[i];
                c[k++] = Math.max(counters[i++], other.counters[j++]);
            }
        }
        return new VersionVector(k == n.length ? n : Arrays.copyOf(n, k), k == c.length ? c : Arrays.copyOf(c, k));
    }

    public Causality compareTo(VersionVector other) {
        boolean someGreater = false;
        boolean someLess = false;
        int i = 0;
        int j = 0;
        while (i < names.length || j < other.names.length) {
            int cmp = i == names.length ? 1 : j == other.names.length ? -1 : names[i].compareTo(other.names[j]);
            long mine;
            long theirs;
            if (cmp < 0) {
                mine = counters[i++];
                theirs = 0;
            } else if (cmp > 0) {
                mine = 0;
                theirs = other.counters[j++];
            } else {
                mine = counters[i++];
                theirs = other.counters[j++];
            }
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
        TreeMap<String, Long> m = new TreeMap<>();
        for (int i = 0; i < names.length; i++) {
            m.put(names[i], counters[i]);
        }
        return Collections.unmodifiableSortedMap(m);
    }

    /** Calls {@code action} for each cluster with a non-zero counter, in name order (no map built). */
    public void forEach(java.util.function.ObjLongConsumer<String> action) {
        for (int i = 0; i < names.length; i++) {
            action.accept(names[i], counters[i]);
        }
    }

    public boolean isEmpty() {
        return names.length == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VersionVector v && hash == v.hash && Arrays.equals(names, v.names)
                && Arrays.equals(counters, v.counters);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return asMap().toString();
    }
}
