package io.fedsync.itest.bench;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * When each acknowledged write became visible on the destination: the first arrival there of that
 * value or of a newer value of the same key (newer by source revision, so a mirror that coalesces
 * several writes of a key into one is credited for all of them, and one that reorders is not).
 * Stamps identify values; the writers' records map each stamp to its source revision.
 */
final class Deliveries {

    /** Per write (same order as the writers' records): arrival on the destination, or -1. */
    final long[] deliveredAt;
    /** Per destination PUT event: its source revision, or -1 when its stamp is unknown. */
    final long[] eventRevisions;

    private Deliveries(long[] deliveredAt, long[] eventRevisions) {
        this.deliveredAt = deliveredAt;
        this.eventRevisions = eventRevisions;
    }

    private record KeyStamp(int key, long stamp) {
    }

    static Deliveries compute(LoadGenerator.Result w, LagWatcher.Snapshot s) {
        Map<KeyStamp, Long> revisionOf = new HashMap<>(w.writes() * 2);
        for (int i = 0; i < w.writes(); i++) {
            revisionOf.merge(new KeyStamp(w.keys()[i], w.stamps()[i]), w.revisions()[i], Math::max);
        }
        int events = s.puts();
        long[] eventRev = new long[events];
        // Event indexes per key in arrival order; slot 0 of each array holds how many follow.
        Map<Integer, int[]> eventsOfKey = new HashMap<>();
        for (int e = 0; e < events; e++) {
            eventRev[e] = revisionOf.getOrDefault(new KeyStamp(s.keys()[e], s.stamps()[e]), -1L);
            int[] list = eventsOfKey.computeIfAbsent(s.keys()[e], k -> new int[4]);
            if (list[0] + 1 == list.length) {
                list = Arrays.copyOf(list, list.length * 2);
                eventsOfKey.put(s.keys()[e], list);
            }
            list[++list[0]] = e;
        }
        // Per key: the running maximum of the events' source revisions, and their arrivals.
        Map<Integer, long[][]> runningMax = new HashMap<>();
        eventsOfKey.forEach((key, list) -> {
            int n = list[0];
            long[] maxRev = new long[n];
            long[] arrival = new long[n];
            long m = -1;
            for (int j = 0; j < n; j++) {
                int e = list[j + 1];
                m = Math.max(m, eventRev[e]);
                maxRev[j] = m;
                arrival[j] = s.arrivals()[e];
            }
            runningMax.put(key, new long[][] {maxRev, arrival});
        });
        long[] delivered = new long[w.writes()];
        for (int i = 0; i < w.writes(); i++) {
            long[][] r = runningMax.get(w.keys()[i]);
            delivered[i] = -1;
            if (r == null) {
                continue;
            }
            int j = firstAtLeast(r[0], w.revisions()[i]);
            if (j >= 0) {
                delivered[i] = r[1][j];
            }
        }
        return new Deliveries(delivered, eventRev);
    }

    /** Index of the first element >= v in a non-decreasing array, or -1. */
    private static int firstAtLeast(long[] a, long v) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo < a.length ? lo : -1;
    }
}
