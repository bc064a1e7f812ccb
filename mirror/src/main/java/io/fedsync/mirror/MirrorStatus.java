package io.fedsync.mirror;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A point-in-time view of the mirror for {@code /api/v1/status} and the CLI.
 *
 * @param term     the fencing term this mirror writes under
 * @param clusters one entry per configured cluster
 * @param pairs    one entry per ordered pair of clusters (from → to)
 * @param problems values that cannot be mirrored (too large, not JSON where JSON is required)
 * @param counters monotonically increasing counts since start (writes, echoes dropped, …)
 */
public record MirrorStatus(long term, Instant startedAt, String policy, List<String> prefixes,
                           List<ClusterStatus> clusters, List<PairStatus> pairs, List<Problem> problems,
                           Map<String, Long> counters) {

    public MirrorStatus {
        prefixes = List.copyOf(prefixes);
        clusters = List.copyOf(clusters);
        pairs = List.copyOf(pairs);
        problems = List.copyOf(problems);
        counters = Map.copyOf(counters);
    }

    /**
     * @param state    {@code connecting}, {@code loading}, {@code live}, {@code down} or {@code fenced}
     * @param revision the latest revision of this cluster's etcd the mirror has seen
     * @param error    the last connection error while not live, else null
     */
    public record ClusterStatus(String name, String state, long revision, List<String> endpoints, String error) {
    }

    /**
     * @param cursorRevision every change of {@code from} up to this revision has reached {@code to}
     * @param lagRevisions   revisions of {@code from} seen but not yet applied to {@code to}
     * @param lagMillis      age of the oldest change of {@code from} not yet applied to {@code to}
     */
    public record PairStatus(String from, String to, long cursorRevision, long lagRevisions, long lagMillis) {
    }

    /** A key the mirror refuses to copy, and why. */
    public record Problem(String cluster, String key, String reason, Instant detectedAt) {
    }
}
