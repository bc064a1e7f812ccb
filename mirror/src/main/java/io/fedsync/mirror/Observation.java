package io.fedsync.mirror;

/**
 * What the mirror learnt about one key in one cluster at one revision: from a watch event (data
 * only), or from a read or a listing that also returned the metadata.
 *
 * @param observedAt     the revision at which the data part was true
 * @param dataPresent    the data key existed
 * @param value          its value when present and read; null when absent or not read (a
 *                       keys-only listing)
 * @param dataModRev     its mod_revision when present
 * @param receivedAt     wall-clock millis when a watch delivered this change, 0 when it came
 *                       from a read (last-writer-wins uses it for values without a time of their own)
 * @param metaKnown      the metadata part is filled in
 * @param meta           the metadata record, null when absent (or when not known)
 * @param metaModRev     the metadata key's mod_revision, 0 when absent
 * @param metaObservedAt the revision at which the metadata part was true
 */
record Observation(long observedAt, boolean dataPresent, byte[] value, long dataModRev, long receivedAt,
                   boolean metaKnown, MetaRecord meta, long metaModRev, long metaObservedAt) {

    static Observation event(long revision, byte[] value, boolean deleted, long receivedAt) {
        return new Observation(revision, !deleted, deleted ? null : value, deleted ? 0 : revision, receivedAt,
                false, null, 0, -1);
    }

    /** Data and metadata both read at {@code revision}. */
    static Observation read(long revision, boolean dataPresent, byte[] value, long dataModRev, MetaRecord meta,
                            long metaModRev) {
        return new Observation(revision, dataPresent, value, dataModRev, 0, true, meta, metaModRev, revision);
    }

    /** Absent with no metadata at {@code revision}. */
    static Observation nothing(long revision) {
        return read(revision, false, null, 0, null, 0);
    }
}
