package io.fedsync.mirror;

import java.time.Instant;
import java.util.List;

/**
 * One verification pass (anti-entropy): every mirrored key compared across the live clusters
 * from a listing of keys and metadata, values read only where the hashes differ.
 *
 * @param lastRun       when it started
 * @param clusters      the clusters compared (live ones only)
 * @param keysChecked   distinct keys compared
 * @param divergent     keys that differed with no open conflict and no change in flight to explain it
 * @param repaired      of those, the ones the mirror brought back in step
 * @param conflicts     of those, the ones that turned out to be real conflicts (now open or resolved by policy)
 * @param explained     keys that differ because of an open conflict
 * @param tombstonesCollected tombstones every cluster had, older than the retention, removed
 * @param tookMillis    how long it took
 * @param error         why it did not complete, null when it did
 */
public record VerifyResult(Instant lastRun, List<String> clusters, long keysChecked, long divergent, long repaired,
                           long conflicts, long explained, long tombstonesCollected, long tookMillis, String error) {

    public VerifyResult {
        clusters = List.copyOf(clusters);
    }
}
