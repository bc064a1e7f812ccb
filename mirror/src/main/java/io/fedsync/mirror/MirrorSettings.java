package io.fedsync.mirror;

import io.fedsync.conflict.ObjectNormaliser;
import io.fedsync.conflict.ResolutionPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything the mirror needs to run, already validated by whoever built it (the daemon's
 * config loader; tests build it directly). Defaults live here, in one place.
 *
 * @param nodeId          who this writer is (the fencing token's owner, with a per-start suffix)
 * @param metaPrefix      fedsync's own key space in every etcd; never inside a mirrored prefix
 * @param ignoredFields   JSON pointers the normaliser drops before comparing objects
 * @param maxValueBytes   larger values are reported, not written (etcd's request limit is 1.5 MiB)
 * @param requireJsonUnder values under these prefixes must be JSON objects to be mirrored: a
 *                       non-JSON value there would break kube-apiserver's list of the whole kind
 * @param batchKeys       keys per etcd Txn (each key takes two ops; etcd allows 128 by default)
 * @param maxInFlightTxns Txns in flight per cluster
 * @param requestTimeout  timeout of one etcd request
 * @param verifyInterval  how often every key is compared across clusters (anti-entropy); zero: never
 * @param tombstoneRetention how long a delete's tombstone is kept after every cluster has it
 * @param flipFlop        when a key whose content keeps coming back is frozen (see {@link FlipFlopLimit})
 */
public record MirrorSettings(String nodeId, List<ClusterEndpoint> clusters, List<String> prefixes,
                             ResolutionPolicy policy, List<String> ignoredFields, String metaPrefix,
                             int maxValueBytes, List<String> requireJsonUnder, int batchKeys, int maxInFlightTxns,
                             Duration requestTimeout, Duration verifyInterval, Duration tombstoneRetention,
                             FlipFlopLimit flipFlop) {

    public static final String DEFAULT_NODE_ID = "fedsync";
    public static final String DEFAULT_META_PREFIX = "/fedsync/v1/";
    public static final int DEFAULT_MAX_VALUE_BYTES = 1_400_000;
    public static final int DEFAULT_BATCH_KEYS = 60;
    public static final int DEFAULT_MAX_IN_FLIGHT_TXNS = 8;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_VERIFY_INTERVAL = Duration.ofMinutes(10);
    public static final Duration DEFAULT_TOMBSTONE_RETENTION = Duration.ofHours(1);

    /**
     * A key is frozen as a {@code flip-flop} conflict when its content comes back to an earlier one
     * more than {@code returns} times within {@code window} ({@code io.fedsync.conflict.FlipFlopGuard});
     * {@code returns} 0 turns it off.
     */
    public record FlipFlopLimit(int returns, Duration window) {
        public static final FlipFlopLimit DEFAULT = new FlipFlopLimit(3, Duration.ofSeconds(60));

        public FlipFlopLimit {
            Objects.requireNonNull(window, "window");
            if (returns < 0 || window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("flip-flop limit: returns >= 0 and a positive window, not " + returns
                        + " in " + window);
            }
        }
    }

    public MirrorSettings {
        Objects.requireNonNull(nodeId, "nodeId");
        clusters = List.copyOf(clusters);
        prefixes = List.copyOf(prefixes);
        ignoredFields = List.copyOf(ignoredFields);
        requireJsonUnder = List.copyOf(requireJsonUnder);
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(metaPrefix, "metaPrefix");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(verifyInterval, "verifyInterval");
        Objects.requireNonNull(tombstoneRetention, "tombstoneRetention");
        Objects.requireNonNull(flipFlop, "flipFlop");
        if (clusters.size() < 2) {
            throw new IllegalArgumentException("the mirror needs at least two clusters, got " + clusters.size());
        }
        if (clusters.size() > 63) {
            throw new IllegalArgumentException("the mirror handles at most 63 clusters, got " + clusters.size());
        }
        if (prefixes.isEmpty()) {
            throw new IllegalArgumentException("the mirror needs at least one prefix");
        }
        for (String p : prefixes) {
            if (p.startsWith(metaPrefix) || metaPrefix.startsWith(p)) {
                throw new IllegalArgumentException("prefix " + p + " overlaps fedsync's own key space " + metaPrefix);
            }
        }
        if (batchKeys < 1 || batchKeys > 63) {
            throw new IllegalArgumentException("batchKeys must be within 1..63 (etcd allows 128 ops per Txn)");
        }
        if (maxInFlightTxns < 1) {
            throw new IllegalArgumentException("maxInFlightTxns must be >= 1");
        }
        if (verifyInterval.isNegative() || tombstoneRetention.isNegative()) {
            throw new IllegalArgumentException("verifyInterval and tombstoneRetention must not be negative");
        }
    }

    /** Defaults for everything but clusters, prefixes and policy. */
    public static MirrorSettings of(List<ClusterEndpoint> clusters, List<String> prefixes, ResolutionPolicy policy) {
        return new MirrorSettings(DEFAULT_NODE_ID, clusters, prefixes, policy, ObjectNormaliser.DEFAULT_IGNORED_FIELDS,
                DEFAULT_META_PREFIX, DEFAULT_MAX_VALUE_BYTES, List.of("/registry/"), DEFAULT_BATCH_KEYS,
                DEFAULT_MAX_IN_FLIGHT_TXNS, DEFAULT_REQUEST_TIMEOUT, DEFAULT_VERIFY_INTERVAL,
                DEFAULT_TOMBSTONE_RETENTION, FlipFlopLimit.DEFAULT);
    }

    public MirrorSettings withNodeId(String id) {
        return new MirrorSettings(id, clusters, prefixes, policy, ignoredFields, metaPrefix, maxValueBytes,
                requireJsonUnder, batchKeys, maxInFlightTxns, requestTimeout, verifyInterval, tombstoneRetention, flipFlop);
    }

    public MirrorSettings withIgnoredFields(List<String> fields) {
        return new MirrorSettings(nodeId, clusters, prefixes, policy, fields, metaPrefix, maxValueBytes,
                requireJsonUnder, batchKeys, maxInFlightTxns, requestTimeout, verifyInterval, tombstoneRetention, flipFlop);
    }

    public MirrorSettings withMaxValueBytes(int bytes) {
        return new MirrorSettings(nodeId, clusters, prefixes, policy, ignoredFields, metaPrefix, bytes,
                requireJsonUnder, batchKeys, maxInFlightTxns, requestTimeout, verifyInterval, tombstoneRetention, flipFlop);
    }

    public MirrorSettings withVerify(Duration interval, Duration retention) {
        return new MirrorSettings(nodeId, clusters, prefixes, policy, ignoredFields, metaPrefix, maxValueBytes,
                requireJsonUnder, batchKeys, maxInFlightTxns, requestTimeout, interval, retention, flipFlop);
    }

    public MirrorSettings withClusters(List<ClusterEndpoint> endpoints) {
        return new MirrorSettings(nodeId, endpoints, prefixes, policy, ignoredFields, metaPrefix, maxValueBytes,
                requireJsonUnder, batchKeys, maxInFlightTxns, requestTimeout, verifyInterval, tombstoneRetention, flipFlop);
    }

    public MirrorSettings withRequestTimeout(Duration timeout) {
        return new MirrorSettings(nodeId, clusters, prefixes, policy, ignoredFields, metaPrefix, maxValueBytes,
                requireJsonUnder, batchKeys, maxInFlightTxns, timeout, verifyInterval, tombstoneRetention, flipFlop);
    }

    public MirrorSettings withFlipFlop(FlipFlopLimit limit) {
        return new MirrorSettings(nodeId, clusters, prefixes, policy, ignoredFields, metaPrefix, maxValueBytes,
                requireJsonUnder, batchKeys, maxInFlightTxns, requestTimeout, verifyInterval, tombstoneRetention, limit);
    }

    public List<String> clusterNames() {
        return clusters.stream().map(ClusterEndpoint::name).toList();
    }
}
