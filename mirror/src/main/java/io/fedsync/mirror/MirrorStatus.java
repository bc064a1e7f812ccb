package io.fedsync.mirror;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A point-in-time view of the mirror for {@code /api/v1/status} and the CLI.
 *
 * @param term      the fencing term this mirror writes under
 * @param writer    the fencing token's owner (node id and instance) that this mirror writes as
 * @param unhealthy why the mirror is not healthy (fenced, a stalled worker, …), null when it is
 * @param clusters  one entry per configured cluster
 * @param pairs     one entry per ordered pair of clusters (from → to)
 * @param problems  values that cannot be mirrored (too large, not JSON where JSON is required)
 * @param verify    the last verification pass (anti-entropy), null before the first
 * @param notices   recent events an operator should know about (newest last)
 * @param counters  monotonically increasing counts since start (writes, echoes dropped, …)
 */
public record MirrorStatus(long term, String writer, Instant startedAt, String policy, List<String> prefixes,
                           String unhealthy, List<ClusterStatus> clusters, List<PairStatus> pairs,
                           List<Problem> problems, VerifyResult verify, List<Notice> notices,
                           Map<String, Long> counters) {

    public MirrorStatus {
        prefixes = List.copyOf(prefixes);
        clusters = List.copyOf(clusters);
        pairs = List.copyOf(pairs);
        problems = List.copyOf(problems);
        notices = List.copyOf(notices);
        counters = Map.copyOf(counters);
    }

    /**
     * @param state     {@code connecting}, {@code loading} (watched; being compared with the
     *                  others), {@code live}, {@code down} or {@code fenced}
     * @param revision  the latest revision of this cluster's etcd the mirror has seen
     * @param error     the last connection error while not live, else null
     * @param owedKeys  keys changed elsewhere that this cluster has not received yet (while it is
     *                  down: what it will get when it is back)
     * @param downSince when it stopped being live, null while live
     */
    public record ClusterStatus(String name, String state, long revision, List<String> endpoints, String error,
                                long owedKeys, Instant downSince) {
    }

    /**
     * @param cursorRevision every change of {@code from} up to this revision has reached every cluster
     * @param lagRevisions   revisions of {@code from} seen but not yet applied to {@code to}
     * @param lagMillis      age of the oldest change of {@code from} not yet applied to {@code to}
     */
    public record PairStatus(String from, String to, long cursorRevision, long lagRevisions, long lagMillis) {
    }

    /** A key the mirror refuses to copy, and why. */
    public record Problem(String cluster, String key, String reason, Instant detectedAt) {
    }

    /** Something that happened to the mirror that an operator should know about. */
    public record Notice(Instant at, String cluster, String message) {
    }
}
