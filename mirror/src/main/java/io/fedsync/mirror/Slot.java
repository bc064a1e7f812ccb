package io.fedsync.mirror;

/**
 * The mirror's view of one key in one cluster. Written only by whoever owns the key (a worker,
 * see {@link KeyQueue}); {@code dataObservedAt} is also read by watch threads to drop echoes
 * early, hence volatile. A settled key keeps no value here ({@link #dropValue()}): it is read
 * again when a decision needs it.
 */
final class Slot {

    volatile long dataObservedAt = -1;
    boolean dataPresent;
    /** The value when present and cached; null when absent or not cached. */
    byte[] value;
    long dataModRev;
    /** Wall-clock millis a watch delivered the current data, 0 when it came from a read. */
    long receivedAt;

    long metaObservedAt = -1;
    MetaRecord meta;
    long metaModRev;

    /** A write's outcome is unknown (timed out): what this slot says may be stale; read before use. */
    boolean stale;

    /** Data and metadata known, and no write of unknown outcome since. */
    boolean known() {
        return dataObservedAt >= 0 && metaObservedAt >= 0 && !stale;
    }

    /** The value is here, or there is none. */
    boolean valueKnown() {
        return !dataPresent || value != null;
    }

    void absorb(Observation o) {
        if (o.observedAt() > dataObservedAt) {
            boolean same = o.dataPresent() == dataPresent && o.dataModRev() == dataModRev;
            if (!same || o.value() != null) {
                value = o.value();
            }
            if (!same) {
                receivedAt = o.receivedAt();
            } else if (receivedAt == 0) {
                receivedAt = o.receivedAt();
            }
            dataPresent = o.dataPresent();
            dataModRev = o.dataModRev();
            dataObservedAt = o.observedAt();
        } else if (o.value() != null && value == null && o.dataPresent() && dataPresent
                && o.dataModRev() == dataModRev) {
            value = o.value();
        }
        if (o.metaKnown() && o.metaObservedAt() > metaObservedAt) {
            // The same record as held: keep the instance (shared with the other clusters' slots).
            meta = o.meta() != null && o.meta().equals(meta) ? meta : o.meta();
            metaModRev = o.metaModRev();
            metaObservedAt = o.metaObservedAt();
            stale = false;
        }
    }

    /** Does the metadata describe the data as it is? */
    boolean described() {
        return meta != null ? meta.describes(dataPresent, dataModRev, metaModRev) : !dataPresent;
    }

    /** Both keys as the mirror's own Txn left them at {@code revision}. */
    void wrote(long revision, byte[] newValue, MetaRecord newMeta) {
        dataPresent = newValue != null;
        value = newValue;
        dataModRev = newValue != null ? revision : 0;
        receivedAt = 0;
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

    /** Metadata deleted by tombstone collection at {@code revision}. */
    void collected(long revision) {
        meta = null;
        metaModRev = 0;
        metaObservedAt = Math.max(metaObservedAt, revision);
    }

    void markStale() {
        stale = true;
    }

    void dropValue() {
        value = null;
    }
}
