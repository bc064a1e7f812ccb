package io.fedsync.federation;

import java.util.Locale;

/** What to do with a member's copy someone edited ({@code federation.driftPolicy}). Reported either way. */
public enum DriftPolicy {
    /** Write the hosts' version back (the default). */
    OVERWRITE,
    /** Leave the member's edit in place. */
    REPORT;

    public static DriftPolicy parse(String s) {
        return switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
            case "overwrite" -> OVERWRITE;
            case "report" -> REPORT;
            default -> throw new IllegalArgumentException("unknown federation.driftPolicy '" + s
                    + "' (expected overwrite or report)");
        };
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
