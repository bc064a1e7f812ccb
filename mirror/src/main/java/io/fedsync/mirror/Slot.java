package io.fedsync.mirror;

/**
 * The mirror's cached view of one key in one cluster. Written only by the worker that owns the
 * key (see {@link KeyQueue}); {@code dataObservedAt} is read by watch threads to drop echoes
 * early, hence volatile.
 */
final class Slot {

    volatile long dataObservedAt = -1;
    boolean dataPresent;
    byte[] value;
    long dataModRev;

    long metaObservedAt = -1;
    MetaRecord meta;
    long metaModRev;

    /** HLC given to the local change at {@link #localHlcRev}, so retries keep the same time. */
    long localHlc;
    long localHlcRev = -1;

    boolean known() {
        return dataObservedAt >= 0 && metaObservedAt >= 0;
    }

    void absorb(Observation o) {
        if (o.observedAt() > dataObservedAt) {
            dataPresent = o.dataPresent();
            value = o.value();
            dataModRev = o.dataModRev();
            dataObservedAt = o.observedAt();
        }
        if (o.metaKnown() && o.metaObservedAt() > metaObservedAt) {
            meta = o.meta();
            metaModRev = o.metaModRev();
            metaObservedAt = o.metaObservedAt();
        }
    }

    /** Both keys as the mirror's own Txn left them at {@code revision}. */
    void wrote(long revision, byte[] newValue, MetaRecord newMeta) {
        dataPresent = newValue != null;
        value = newValue;
        dataModRev = newValue != null ? revision : 0;
        dataObservedAt = Math.max(dataObservedAt, revision);
        meta = newMeta;
        metaModRev = revision;
        metaObservedAt = Math.max(metaObservedAt, revision);
    }

    void stamped(long revision, MetaRecord newMeta) {
        meta = newMeta;
        metaModRev = revision;
        metaObservedAt = Math.max(metaObservedAt, revision);
    }
}
