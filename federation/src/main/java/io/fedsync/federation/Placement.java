package io.fedsync.federation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Which members receive an object (pure: the same inputs always give the same answer, whichever
 * replica asks). Users, global roles, groups and their bindings go to every member; workspace
 * roles and bindings to the members of their workspace (label {@code kubesphere.io/workspace});
 * a workspace template to the clusters of its {@code spec.placement}: the {@code clusters} list
 * when it has one, else the {@code clusterSelector} against the members' labels.
 */
public final class Placement {

    public static final String WORKSPACE_LABEL = "kubesphere.io/workspace";

    private Placement() {
    }

    /**
     * @param members  the target members, sorted by name
     * @param unplaced why some or all could not be placed (unknown clusters named in a placement,
     *                 a missing workspace label, a malformed selector), for the report
     */
    public record Result(Set<String> members, List<String> unplaced) {
        public Result {
            members = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(members));
            unplaced = List.copyOf(unplaced);
        }
    }

    /**
     * @param workspaceMembers the members a workspace (by name) is placed on; empty for a workspace
     *                         the hosts do not hold
     */
    public static Result of(FederatedKind kind, JsonNode object, Collection<Member> members,
                            Function<String, Set<String>> workspaceMembers) {
        return switch (kind.placement()) {
            case ALL_MEMBERS -> new Result(names(members), List.of());
            case WORKSPACE_MEMBERS -> {
                String ws = object.path("metadata").path("labels").path(WORKSPACE_LABEL).asText("");
                if (ws.isEmpty()) {
                    yield new Result(Set.of(), List.of("no " + WORKSPACE_LABEL + " label: it belongs to no workspace"));
                }
                Set<String> in = new TreeSet<>(workspaceMembers.apply(ws));
                in.retainAll(names(members));
                yield new Result(in, List.of());
            }
            case SPEC_PLACEMENT -> specPlacement(object, members);
        };
    }

    private static Result specPlacement(JsonNode object, Collection<Member> members) {
        JsonNode placement = object.path("spec").path("placement");
        Set<String> known = names(members);
        JsonNode clusters = placement.path("clusters");
        if (clusters.isArray() && !clusters.isEmpty()) {
            Set<String> out = new TreeSet<>();
            List<String> notes = new ArrayList<>();
            for (JsonNode c : clusters) {
                String name = c.path("name").asText("");
                if (name.isEmpty()) {
                    notes.add("a spec.placement.clusters entry has no name");
                } else if (known.contains(name)) {
                    out.add(name);
                } else {
                    notes.add("spec.placement names cluster " + name + ", which is not a joined member");
                }
            }
            return new Result(out, notes);
        }
        JsonNode selector = placement.path("clusterSelector");
        if (selector.isMissingNode() || selector.isNull()) {
            // KubeSphere: a workspace with no placement lives on the host only.
            return new Result(Set.of(), List.of());
        }
        LabelSelector s;
        try {
            s = LabelSelector.parse(selector);
        } catch (IllegalArgumentException e) {
            return new Result(Set.of(), List.of("spec.placement." + e.getMessage()));
        }
        Set<String> out = new TreeSet<>();
        for (Member m : members) {
            if (s.matches(m.labels())) {
                out.add(m.name());
            }
        }
        return new Result(out, List.of());
    }

    private static Set<String> names(Collection<Member> members) {
        Set<String> out = new TreeSet<>();
        members.forEach(m -> out.add(m.name()));
        return out;
    }
}
