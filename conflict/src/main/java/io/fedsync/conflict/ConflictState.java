package io.fedsync.conflict;

import java.util.Locale;

/** Where a conflict stands. */
public enum ConflictState {
    /** Waiting for an operator; the key is not propagated meanwhile. */
    OPEN,
    /** A winner was chosen (by policy or operator) and written everywhere. */
    RESOLVED,
    /** The versions were the same object after normalisation; nothing was overwritten. */
    CONVERGED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ConflictState fromWireName(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
