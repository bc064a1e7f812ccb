package io.fedsync.mirror;

import java.util.Arrays;

/**
 * Everything the mirror tracks for one key: a slot per cluster, observations waiting to be
 * absorbed by the worker that owns the key next, and the revisions whose cursors wait for this
 * key to be applied. Small when settled: no values, no waiting observations.
 */
final class KeyEntry {

    private static final long[] NONE = new long[0];

    final Key key;
    final int prefix;
    final Slot[] slots;
    /** Observations offered by watch threads and sweeps, absorbed by the owning worker. Lazy. */
    private Observation[] incoming;
    /** Per cluster, revisions whose cursor waits for this key. Lazy. */
    private long[][] pending;
    /** What an operator asked for to end this key's open conflict, or null. */
    volatile OperatorChoice operator;
    /** Consecutive runs that had to be retried (for back-off). Owner only. */
    int retries;

    /**
     * An operator's resolution waiting for the key's next run.
     *
     * @param conflictId the open conflict it ends (ignored once that conflict is no longer open)
     * @param winner     the cluster index whose version wins, or -1 for {@code value}/{@code delete}
     * @param value      the operator's bytes for every cluster; null with {@code winner} or to delete
     * @param by         who asked ({@code operator}, {@code api})
     */
    record OperatorChoice(String conflictId, int winner, byte[] value, String by, String how) {
    }

    KeyEntry(Key key, int prefix, int clusters) {
        this.key = key;
        this.prefix = prefix;
        this.slots = new Slot[clusters];
        for (int i = 0; i < clusters; i++) {
            slots[i] = new Slot();
        }
    }

    /** Called from any thread: keeps the newest observation per cluster, remembers its revision. */
    synchronized void offer(int cluster, Observation o, long trackRevision) {
        if (incoming == null) {
            incoming = new Observation[slots.length];
        }
        Observation current = incoming[cluster];
        incoming[cluster] = current == null ? o : merge(current, o);
        if (trackRevision > 0) {
            track(cluster, trackRevision);
        }
    }

    private void track(int cluster, long revision) {
        if (pending == null) {
            pending = new long[slots.length][];
        }
        long[] p = pending[cluster];
        p = p == null ? new long[1] : Arrays.copyOf(p, p.length + 1);
        p[p.length - 1] = revision;
        pending[cluster] = p;
    }

    /** The newer data of the two, and the newer metadata of the two. */
    private static Observation merge(Observation a, Observation b) {
        Slot s = new Slot();
        s.absorb(a);
        s.absorb(b);
        boolean metaKnown = s.metaObservedAt >= 0;
        return new Observation(s.dataObservedAt, s.dataPresent, s.value, s.dataModRev, s.receivedAt, metaKnown,
                s.meta, s.metaModRev, s.metaObservedAt);
    }

    /** Moves incoming observations into the slots (owner only); returns the revisions this run settles. */
    synchronized long[][] absorb() {
        long[][] revisions = new long[slots.length][];
        for (int i = 0; i < slots.length; i++) {
            if (incoming != null && incoming[i] != null) {
                slots[i].absorb(incoming[i]);
            }
            revisions[i] = pending != null && pending[i] != null ? pending[i] : NONE;
        }
        incoming = null;
        pending = null;
        return revisions;
    }

    /** Gives back revisions a failed run could not settle, so a later run does. */
    synchronized void unsettled(long[][] revisions) {
        for (int i = 0; i < revisions.length; i++) {
            for (long r : revisions[i]) {
                track(i, r);
            }
        }
    }

    /** Settled: values are read again when needed (bounded memory). Owner only. */
    void dropValues() {
        for (Slot s : slots) {
            s.dropValue();
        }
    }

    /** Nothing in any cluster, data or metadata, as far as the slots know. Owner only. */
    boolean empty() {
        for (Slot s : slots) {
            if (s.dataPresent || s.meta != null || !s.known()) {
                return false;
            }
        }
        return true;
    }
}
