package io.fedsync.mirror;

import java.util.Map;
import java.util.TreeMap;

/**
 * The revisions of one (cluster, prefix) seen but not yet fully applied. Changes finish out of
 * order (keys are independent and pipelined), so {@link #cursor()} is just below the lowest
 * revision still in flight.
 */
final class RevisionTracker {

    private final TreeMap<Long, Integer> inFlight = new TreeMap<>();
    private final TreeMap<Long, Long> firstSeenMillis = new TreeMap<>();
    private long highestSeen;

    RevisionTracker(long start) {
        this.highestSeen = start;
    }

    synchronized void seen(long revision, long nowMillis) {
        inFlight.merge(revision, 1, Integer::sum);
        firstSeenMillis.putIfAbsent(revision, nowMillis);
        highestSeen = Math.max(highestSeen, revision);
    }

    /** Everything up to {@code revision} was delivered (a progress notification). */
    synchronized void progress(long revision) {
        highestSeen = Math.max(highestSeen, revision);
    }

    /** A new load read everything at {@code revision}: what was in flight before is covered by it. */
    synchronized void reset(long revision) {
        inFlight.clear();
        firstSeenMillis.clear();
        highestSeen = revision;
    }

    synchronized void done(long revision) {
        Integer n = inFlight.get(revision);
        if (n == null) {
            return;
        }
        if (n == 1) {
            inFlight.remove(revision);
            firstSeenMillis.remove(revision);
        } else {
            inFlight.put(revision, n - 1);
        }
    }

    synchronized long cursor() {
        return inFlight.isEmpty() ? highestSeen : inFlight.firstKey() - 1;
    }

    synchronized long highestSeen() {
        return highestSeen;
    }

    /** Age of the oldest change not yet applied, 0 when none. */
    synchronized long lagMillis(long nowMillis) {
        Map.Entry<Long, Long> oldest = firstSeenMillis.firstEntry();
        return oldest == null ? 0 : Math.max(0, nowMillis - oldest.getValue());
    }

    synchronized int pending() {
        return inFlight.values().stream().mapToInt(Integer::intValue).sum();
    }
}
