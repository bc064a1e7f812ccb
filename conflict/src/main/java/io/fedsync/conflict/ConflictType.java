package io.fedsync.conflict;

import java.util.Locale;

/** Why a key's versions could not be reconciled automatically. */
public enum ConflictType {
    /** Two clusters changed the same key without seeing each other's change. */
    CONCURRENT_UPDATE,
    /** One cluster deleted a key that another changed concurrently. */
    UPDATE_VS_DELETE,
    /** A key keeps changing back and forth faster than a person edits (another writer loops). */
    FLIP_FLOP;

    /** The name used in the API and in stored records, e.g. {@code concurrent-update}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static ConflictType fromWireName(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
