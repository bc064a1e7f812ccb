package io.fedsync.mirror;

import io.fedsync.raft.api.CursorKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cursor of every (cluster, prefix): every change of that cluster up to it has reached every
 * configured cluster. Correctness never depends on it — each load compares all clusters' data
 * and metadata (see {@link Sweep}) — but operators read it, and after a restart it tells what a
 * cluster that is still down is owed.
 *
 * <p>While every cluster is live it follows the {@link RevisionTracker}s (just below the lowest
 * revision still being applied). While any configured cluster is not live it is frozen where it
 * was when that happened: the changes since have not reached that cluster.
 */
final class Cursors {

    private final List<String> clusters;
    private final List<String> prefixes;
    private final RevisionTracker[][] trackers;
    /** [cluster][prefix]: the cursor while frozen, or -1. */
    private final long[][] frozen;
    private final Map<CursorKey, Long> stored;

    Cursors(List<String> clusters, List<String> prefixes, Map<CursorKey, Long> stored) {
        this.clusters = clusters;
        this.prefixes = prefixes;
        this.stored = Map.copyOf(stored);
        this.trackers = new RevisionTracker[clusters.size()][prefixes.size()];
        this.frozen = new long[clusters.size()][prefixes.size()];
        for (int c = 0; c < clusters.size(); c++) {
            for (int p = 0; p < prefixes.size(); p++) {
                long s = stored(c, p);
                trackers[c][p] = new RevisionTracker(s);
                // Until every cluster has been loaded, nothing is known to have reached all of them.
                frozen[c][p] = s;
            }
        }
    }

    /** The cursor saved by the previous run, 0 when there was none. */
    long stored(int c, int p) {
        return stored.getOrDefault(new CursorKey(clusters.get(c), prefixes.get(p)), 0L);
    }

    RevisionTracker tracker(int c, int p) {
        return trackers[c][p];
    }

    /** A sweep of cluster {@code c} read the prefix at {@code revision}: the cursor restarts there. */
    synchronized void loaded(int c, int p, long revision) {
        trackers[c][p].reset(revision);
    }

    /** Some cluster stopped being live: hold every cursor where it is. */
    synchronized void freeze() {
        for (int c = 0; c < clusters.size(); c++) {
            for (int p = 0; p < prefixes.size(); p++) {
                if (frozen[c][p] < 0) {
                    frozen[c][p] = trackers[c][p].cursor();
                }
            }
        }
    }

    /** Every cluster is live and has been compared with the others: cursors move again. */
    synchronized void unfreeze() {
        for (long[] row : frozen) {
            java.util.Arrays.fill(row, -1);
        }
    }

    synchronized boolean frozen() {
        return frozen[0][0] >= 0;
    }

    synchronized long cursor(int c, int p) {
        long t = trackers[c][p].cursor();
        return frozen[c][p] >= 0 ? Math.min(t, frozen[c][p]) : t;
    }

    Map<CursorKey, Long> snapshot() {
        Map<CursorKey, Long> out = new LinkedHashMap<>();
        for (int c = 0; c < clusters.size(); c++) {
            for (int p = 0; p < prefixes.size(); p++) {
                out.put(new CursorKey(clusters.get(c), prefixes.get(p)), cursor(c, p));
            }
        }
        return out;
    }
}
