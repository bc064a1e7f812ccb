package io.fedsync.federation;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What to do about one object on one member, decided by {@link PushPlanner}. A write names the
 * resourceVersion it was decided on, so that it is conditional (409 on the member means decide
 * again, never a blind overwrite).
 */
public sealed interface PushDecision {

    /** Why, for logs and the report. */
    String reason();

    /** Create the copy on the member. */
    record Create(ObjectNode copy, String reason) implements PushDecision {
    }

    /** Replace the member's copy, conditional on {@code resourceVersion}. */
    record Update(ObjectNode copy, String resourceVersion, boolean drift, String reason) implements PushDecision {
    }

    /** Delete fedsync's copy from the member, conditional on {@code resourceVersion}. */
    record Delete(String resourceVersion, String reason) implements PushDecision {
    }

    /** Nothing to write: in sync, not placed there, or not fedsync's to touch. */
    record Nothing(String reason) implements PushDecision {
    }

    /** The member's copy differs and is left as it is (driftPolicy report, or a foreign object). */
    record Report(MemberCopy.State state, String reason) implements PushDecision {
    }

    /** Not yet: the hosts disagree (the mirror has not settled, or a conflict is open). Decide again later. */
    record Hold(boolean conflict, String reason) implements PushDecision {
    }

    /** Never to this member while its jwtSecret differs from the hosts'. */
    record Refuse(String reason) implements PushDecision {
    }
}
