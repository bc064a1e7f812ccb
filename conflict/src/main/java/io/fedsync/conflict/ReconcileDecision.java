package io.fedsync.conflict;

import java.util.List;

/** What the mirror should do with one key, given every cluster's version of it. */
public sealed interface ReconcileDecision {

    /** Every cluster holds the same version, stamped: nothing to write. */
    record InSync() implements ReconcileDecision {
    }

    /**
     * One version dominates: every cluster that does not hold it gets it (value or delete), and
     * the winner's own metadata is stamped with {@code vector} if it is not already.
     */
    record Propagate(Version winner, VersionVector vector) implements ReconcileDecision {
    }

    /**
     * Concurrent versions that are the same object after normalisation: each side keeps its
     * bytes and is stamped with {@code merged}; clusters behind get {@code representative}.
     */
    record Converge(VersionVector merged, List<Version> sides, Version representative) implements ReconcileDecision {
    }

    /** Concurrent versions that really differ: for the policy, or an operator, to settle. */
    record Conflict(ConflictType type, List<Version> contenders, VersionVector merged) implements ReconcileDecision {
    }
}
