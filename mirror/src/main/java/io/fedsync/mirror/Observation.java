package io.fedsync.mirror;

/**
 * What the mirror learnt about one key in one cluster at one revision: from a watch event (data
 * only), or from a read that also returned the metadata.
 *
 * @param observedAt   the revision at which this was true
 * @param dataPresent  the data key existed
 * @param value        its value when present
 * @param dataModRev   its mod_revision when present
 * @param metaKnown    the metadata part is filled in
 * @param meta         the metadata record, null when absent (or when not known)
 * @param metaModRev   the metadata key's mod_revision, 0 when absent
 * @param metaObservedAt the revision at which the metadata part was true (may be later than the
 *                     data's when resuming: data replays from the cursor, metadata is current)
 */
record Observation(long observedAt, boolean dataPresent, byte[] value, long dataModRev, boolean metaKnown,
                   MetaRecord meta, long metaModRev, long metaObservedAt) {

    Observation(long observedAt, boolean dataPresent, byte[] value, long dataModRev, boolean metaKnown,
                MetaRecord meta, long metaModRev) {
        this(observedAt, dataPresent, value, dataModRev, metaKnown, meta, metaModRev, observedAt);
    }

    static Observation event(long revision, byte[] value, boolean deleted) {
        return new Observation(revision, !deleted, deleted ? null : value, deleted ? 0 : revision, false, null, 0);
    }
}
