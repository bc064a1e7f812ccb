package io.fedsync.mirror;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything the mirror tracks for one key: a slot per cluster, observations waiting to be
 * absorbed, and the revisions whose cursors wait for this key to be applied.
 */
final class KeyEntry {

    final String key;
    final String prefix;
    final Slot[] slots;
    private final Observation[] incoming;
    private final List<List<Long>> pendingRevisions;
    /** Cluster index an operator picked to win this key's open conflict, or -1. */
    volatile int operatorWinner = -1;
    /** The HLC at which an open conflict was first seen (gives its id). */
    long conflictHlc;

    KeyEntry(String key, String prefix, int clusters) {
        this.key = key;
        this.prefix = prefix;
        this.slots = new Slot[clusters];
        this.incoming = new Observation[clusters];
        this.pendingRevisions = new ArrayList<>(clusters);
        for (int i = 0; i < clusters; i++) {
            slots[i] = new Slot();
            pendingRevisions.add(new ArrayList<>());
        }
    }

    /** Called from any thread: keeps the newest observation per cluster, remembers its revision. */
    synchronized void offer(int cluster, Observation o, boolean trackRevision) {
        Observation current = incoming[cluster];
        if (current == null) {
            incoming[cluster] = o;
        } else if (o.metaKnown() && !current.metaKnown()) {
            // Keep the read's metadata; keep whichever data is newer.
            Slot merged = new Slot();
            merged.absorb(o);
            merged.absorb(current);
            incoming[cluster] = new Observation(merged.dataObservedAt, merged.dataPresent, merged.value,
                    merged.dataModRev, true, merged.meta, merged.metaModRev, merged.metaObservedAt);
        } else if (current.metaKnown() && !o.metaKnown()) {
            Slot merged = new Slot();
            merged.absorb(current);
            merged.absorb(o);
            incoming[cluster] = new Observation(merged.dataObservedAt, merged.dataPresent, merged.value,
                    merged.dataModRev, true, merged.meta, merged.metaModRev, merged.metaObservedAt);
        } else if (o.observedAt() > current.observedAt()) {
            incoming[cluster] = o;
        }
        if (trackRevision) {
            pendingRevisions.get(cluster).add(o.observedAt());
        }
    }

    /** Moves incoming observations into the slots; returns the revisions this run will settle. */
    synchronized long[][] absorb() {
        long[][] revisions = new long[slots.length][];
        for (int i = 0; i < slots.length; i++) {
            if (incoming[i] != null) {
                slots[i].absorb(incoming[i]);
                incoming[i] = null;
            }
            List<Long> p = pendingRevisions.get(i);
            revisions[i] = p.stream().mapToLong(Long::longValue).toArray();
            p.clear();
        }
        return revisions;
    }

    /** Gives back revisions a failed run could not settle, so a later run does. */
    synchronized void unsettled(long[][] revisions) {
        for (int i = 0; i < revisions.length; i++) {
            for (long r : revisions[i]) {
                pendingRevisions.get(i).add(r);
            }
        }
    }
}
