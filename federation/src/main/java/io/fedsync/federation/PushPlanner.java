package io.fedsync.federation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Decides what one member should get for one object (pure and idempotent: the same inputs give
 * the same decision, and a decision carried out gives {@code Nothing} next time).
 *
 * <p>The hosts must agree first: the object's content is the same on every host (the same object
 * created on two hosts with different uids and timestamps agrees), or absent from all. While they
 * differ — the mirror is still copying, or holds an open conflict — the member keeps what it has.
 * Then the member gets one write, made from the host whose name sorts first, not one per host.
 *
 * <p>Deletes need no tombstones: fedsync's copies are marked ({@value MemberCopy#ORIGIN_CLUSTER}),
 * so a copy on a member whose object the hosts no longer hold, or that is no longer placed there,
 * is deleted whenever the member is reconciled — also after it was down, or after fedsync lost its
 * state. An object fedsync never wrote is never deleted.
 */
public final class PushPlanner {

    /** How an adoption's reason starts. */
    public static final String ADOPTED = "adopted: marked as ";

    private PushPlanner() {
    }

    /**
     * What the hosts hold for one object, worked out once for their current versions and shared by
     * every member's decision (the copy's content and hash do not depend on the member).
     */
    public sealed interface HostsView permits Unsettled, Absent, Agreed {
    }

    /** The hosts differ (the mirror is still copying, or one holds what fedsync cannot copy). */
    public record Unsettled(String reason) implements HostsView {
    }

    /** No host holds the object. */
    public record Absent() implements HostsView {
    }

    /** The hosts agree: {@code desired} is the member copy, made from host {@code from}. */
    public record Agreed(String from, ObjectNode desired) implements HostsView {
    }

    /**
     * @param hosts         each host's stored object (empty when it has none), by host name
     * @param versionVector the mirror's vector for the object (for the copy's annotation), or null
     */
    public static HostsView settle(FederatedKind kind, Map<String, Optional<byte[]>> hosts, String versionVector) {
        SortedMap<String, Optional<byte[]>> byName = new TreeMap<>(hosts);
        List<String> present = byName.entrySet().stream().filter(h -> h.getValue().isPresent()).map(Map.Entry::getKey)
                .toList();
        if (present.isEmpty()) {
            return new Absent();
        }
        if (present.size() < byName.size()) {
            // Decided before any copy is made: the mirror is still copying (a burst of creates meets
            // this once per object and member), and no copy is needed to say so.
            return new Unsettled("present on " + String.join(", ", present) + " but not on "
                    + (byName.size() - present.size()) + " other host(s): the hosts have not settled");
        }
        SortedMap<String, ObjectNode> copies = new TreeMap<>();
        for (Map.Entry<String, Optional<byte[]>> h : byName.entrySet()) {
            try {
                copies.put(h.getKey(), MemberCopy.desired(kind, h.getValue().get(),
                        new MemberCopy.Source(h.getKey(), versionVector)));
            } catch (IllegalArgumentException e) {
                return new Unsettled(h.getKey() + " holds an object fedsync cannot copy: " + e.getMessage());
            }
        }
        if (copies.values().stream().map(PushPlanner::hashOf).distinct().count() > 1) {
            return new Unsettled("the hosts hold different versions (" + String.join(", ", copies.keySet())
                    + "): the hosts have not settled");
        }
        Map.Entry<String, ObjectNode> first = copies.entrySet().iterator().next();
        return new Agreed(first.getKey(), first.getValue());
    }

    /** A desired copy's content hash, as {@link MemberCopy#desired} recorded it. */
    private static String hashOf(ObjectNode desired) {
        return desired.path("metadata").path("annotations").path(MemberCopy.CONTENT_HASH).asText();
    }

    /**
     * @param hosts          each host's stored object (empty when it has none), by host name
     * @param openConflict   the id of an open mirror conflict on the object, or null
     * @param placed         the object is placed on this member
     * @param jwtMatches     the member's jwtSecret matches the hosts'
     * @param onMember       what the member holds (empty when nothing)
     * @param versionVector  the mirror's vector for the object (for the copy's annotation), or null
     */
    public static PushDecision decide(FederatedKind kind, Map<String, Optional<byte[]>> hosts, String openConflict,
                                      boolean placed, boolean jwtMatches, Optional<JsonNode> onMember,
                                      DriftPolicy driftPolicy, String versionVector) {
        return decide(() -> settle(kind, hosts, versionVector), openConflict, placed, jwtMatches, onMember,
                driftPolicy);
    }

    /**
     * {@link #decide(FederatedKind, Map, String, boolean, boolean, Optional, DriftPolicy, String)} with
     * the hosts' view worked out already (asked for only when the secret and the mirror allow a push).
     */
    public static PushDecision decide(java.util.function.Supplier<HostsView> hostsView, String openConflict,
                                      boolean placed, boolean jwtMatches, Optional<JsonNode> onMember,
                                      DriftPolicy driftPolicy) {
        return decideObserved(hostsView, openConflict, placed, jwtMatches, onMember.map(MemberCopy.Observed::of),
                driftPolicy);
    }

    /** The same decision from what was observed of the member's object (see {@link MemberCopy.Observed}). */
    public static PushDecision decideObserved(java.util.function.Supplier<HostsView> hostsView, String openConflict,
                                              boolean placed, boolean jwtMatches,
                                              Optional<MemberCopy.Observed> onMember, DriftPolicy driftPolicy) {
        if (!jwtMatches) {
            return new PushDecision.Refuse("the member's jwtSecret differs from the hosts': tokens the hosts issue"
                    + " would not verify there");
        }
        if (openConflict != null) {
            return new PushDecision.Hold(true, "open conflict " + openConflict + " between the hosts: pushed nowhere"
                    + " until it is resolved");
        }
        HostsView view = hostsView.get();
        if (view instanceof Unsettled u) {
            return new PushDecision.Hold(false, u.reason());
        }
        boolean mine = onMember.map(MemberCopy.Observed::writtenByFedsync).orElse(false);
        String rv = onMember.map(MemberCopy.Observed::resourceVersion).orElse("");
        if (view instanceof Absent || !placed) {
            String why = view instanceof Absent ? "deleted on every host" : "no longer placed on this member";
            if (onMember.isEmpty()) {
                return new PushDecision.Nothing(why + "; the member has none");
            }
            return mine ? new PushDecision.Delete(rv, why)
                    : new PushDecision.Nothing(why + "; the member's object was not written by fedsync: left alone");
        }
        Agreed agreed = (Agreed) view;
        ObjectNode desired = agreed.desired();
        MemberCopy.State state = MemberCopy.compareObserved(onMember, desired);
        return switch (state) {
            case IN_SYNC -> new PushDecision.Nothing("in sync");
            case MISSING -> new PushDecision.Create(desired, "created from " + agreed.from());
            case OUTDATED -> new PushDecision.Update(desired, rv, false, "updated from " + agreed.from());
            case ADOPTABLE -> new PushDecision.Update(desired, rv, false, ADOPTED + agreed.from()
                    + "'s (the member held the same object, not yet marked as fedsync's)");
            case DRIFTED, FOREIGN -> {
                String what = state == MemberCopy.State.DRIFTED ? "the member's copy was edited on the member"
                        : "the member holds an object of this name that fedsync did not write";
                yield driftPolicy == DriftPolicy.OVERWRITE
                        ? new PushDecision.Update(desired, rv, true, what + "; overwritten from " + agreed.from()
                        + " (driftPolicy overwrite)")
                        : new PushDecision.Report(state, what + "; left as it is (driftPolicy report)");
            }
        };
    }

    /** Does the member's object carry fedsync's mark? */
    static boolean writtenByFedsync(JsonNode object) {
        return object.path("metadata").path("annotations").has(MemberCopy.ORIGIN_CLUSTER);
    }
}
