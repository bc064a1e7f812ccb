package io.fedsync.federation;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What joining a member would do to it, object by object, without writing anything ({@code
 * fedsyncctl join --dry-run}): users asked for this after a new host deleted a member's existing
 * workspaces at join. Every object the hosts federate to the member, and every object of those
 * kinds the member already holds, gets one row: created, updated, adopted (the member already holds
 * the same content: fedsync writes its marks on it), overwritten (it holds another version of that name), left alone, deleted (a
 * copy fedsync made that the hosts no longer hold), or held (the hosts disagree).
 */
public final class JoinPreview {

    public enum Action { CREATE, UPDATE, ADOPT, OVERWRITE, LEAVE, DELETE, HOLD }

    /** One object: its kind's resource, its name, what joining does to it and why. */
    public record Row(String resource, String name, Action action, String reason) {
    }

    private JoinPreview() {
    }

    /**
     * @param member  the member as placement sees it (its name and cluster labels)
     * @param joined  the members joined already (for workspace placement by selector)
     */
    public static List<Row> of(Profile profile, DriftPolicy policy, Map<String, KubeCluster> hosts, KubeCluster cluster,
                               Member member, Collection<Member> joined, Federator.MirrorView mirror)
            throws KubeAccessException {
        List<Member> members = new ArrayList<>(joined);
        members.removeIf(m -> m.name().equals(member.name()));
        members.add(member);
        // Every host object of every kind, read once.
        Map<String, Map<String, Map<String, JsonNode>>> onHosts = new TreeMap<>(); // kind -> host -> name -> object
        for (FederatedKind kind : profile.kinds()) {
            Map<String, Map<String, JsonNode>> byHost = new TreeMap<>();
            for (Map.Entry<String, KubeCluster> h : new TreeMap<>(hosts).entrySet()) {
                Map<String, JsonNode> objects = new TreeMap<>();
                for (JsonNode o : h.getValue().list(new FederatedKind.Target(kind.group(), kind.version(),
                        kind.plural(), kind.kind()), null)) {
                    objects.put(o.path("metadata").path("name").asText(), o);
                }
                byHost.put(h.getKey(), objects);
            }
            onHosts.put(kind.plural(), byHost);
        }
        List<Row> rows = new ArrayList<>();
        for (FederatedKind kind : profile.kinds()) {
            Map<String, Map<String, JsonNode>> byHost = onHosts.get(kind.plural());
            Map<String, JsonNode> onMember = new TreeMap<>();
            for (JsonNode o : cluster.list(kind.target(), null)) {
                onMember.put(o.path("metadata").path("name").asText(), o);
            }
            Set<String> names = new TreeSet<>(onMember.keySet());
            byHost.values().forEach(m -> names.addAll(m.keySet()));
            for (String name : names) {
                Map<String, Optional<byte[]>> hostValues = new TreeMap<>();
                JsonNode any = null;
                for (Map.Entry<String, Map<String, JsonNode>> h : byHost.entrySet()) {
                    JsonNode o = h.getValue().get(name);
                    hostValues.put(h.getKey(), Optional.ofNullable(o == null ? null
                            : o.toString().getBytes(StandardCharsets.UTF_8)));
                    any = any == null ? o : any;
                }
                boolean placed = any != null && Placement.of(kind, any, members,
                        ws -> workspaceMembers(profile, onHosts, ws, members)).members().contains(member.name());
                Optional<JsonNode> held = Optional.ofNullable(onMember.get(name));
                String conflict = mirror.openConflict(kind.registryPrefix() + name).orElse(null);
                PushDecision d = PushPlanner.decide(kind, hostValues, conflict, placed, true, held, policy, null);
                rows.add(new Row(kind.target().plural(), name, action(d, held), d.reason()));
            }
        }
        return rows;
    }

    private static Action action(PushDecision d, Optional<JsonNode> held) {
        if (d instanceof PushDecision.Create) {
            return Action.CREATE;
        }
        if (d instanceof PushDecision.Update u) {
            return u.drift() ? Action.OVERWRITE : u.reason().startsWith(PushPlanner.ADOPTED) ? Action.ADOPT
                    : Action.UPDATE;
        }
        if (d instanceof PushDecision.Delete) {
            return Action.DELETE;
        }
        if (d instanceof PushDecision.Hold) {
            return Action.HOLD;
        }
        return Action.LEAVE;
    }

    private static Set<String> workspaceMembers(Profile profile, Map<String, Map<String, Map<String, JsonNode>>> onHosts,
                                                String workspace, Collection<Member> members) {
        for (FederatedKind k : profile.kinds()) {
            if (k.placement() != FederatedKind.PlacementRule.SPEC_PLACEMENT) {
                continue;
            }
            for (Map<String, JsonNode> byName : onHosts.get(k.plural()).values()) {
                JsonNode t = byName.get(workspace);
                if (t != null) {
                    return Placement.of(k, t, members, w -> Set.of()).members();
                }
            }
        }
        return Set.of();
    }
}
