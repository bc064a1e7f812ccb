package io.fedsync.federation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PushPlannerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final FederatedKind USERS = Profile.KUBESPHERE_V3.kinds().get(0);

    private static byte[] sample(String name) throws Exception {
        try (InputStream in = PushPlannerTest.class.getResourceAsStream("/samples/" + name)) {
            return in.readAllBytes();
        }
    }

    private static Map<String, Optional<byte[]>> hosts(byte[] host, byte[] host2) {
        Map<String, Optional<byte[]>> m = new LinkedHashMap<>();
        m.put("host2", Optional.ofNullable(host2));
        m.put("host", Optional.ofNullable(host));
        return m;
    }

    private static PushDecision decide(Map<String, Optional<byte[]>> hosts, Optional<JsonNode> member) {
        return PushPlanner.decide(USERS, hosts, null, true, true, member, DriftPolicy.OVERWRITE, null);
    }

    /** What the member's apiserver serves after fedsync wrote {@code copy}. */
    private static JsonNode served(ObjectNode copy) {
        ObjectNode s = copy.deepCopy();
        ((ObjectNode) s.path("metadata")).put("resourceVersion", "77").put("uid", "on-member");
        return s;
    }

    @Test
    void theSameUserOnBothHostsIsOneCreateFromTheFirstHostThenNothing() throws Exception {
        var hosts = hosts(sample("user-xxp-created-on-host.json"), sample("user-xxp-created-on-host2.json"));
        PushDecision d = decide(hosts, Optional.empty());
        assertThat(d).isInstanceOf(PushDecision.Create.class);
        ObjectNode copy = ((PushDecision.Create) d).copy();
        assertThat(copy.path("metadata").path("annotations").path(MemberCopy.ORIGIN_CLUSTER).asText()).isEqualTo("host");
        assertThat(decide(hosts, Optional.of(served(copy)))).isInstanceOf(PushDecision.Nothing.class);
    }

    @Test
    void whileTheHostsDifferTheMemberKeepsWhatItHas() throws Exception {
        var differ = hosts(sample("user-xxp-edited-on-host.json"), sample("user-xxp-created-on-host2.json"));
        assertThat(decide(differ, Optional.empty())).isInstanceOf(PushDecision.Hold.class)
                .satisfies(d -> assertThat(d.reason()).contains("different versions"));
        var half = hosts(sample("user-xxp-created-on-host.json"), null);
        assertThat(decide(half, Optional.empty())).isInstanceOf(PushDecision.Hold.class)
                .satisfies(d -> assertThat(d.reason()).contains("present on host but not on 1 other host"));
        PushDecision conflict = PushPlanner.decide(USERS, hosts(sample("user-xxp-edited-on-host.json"),
                sample("user-xxp-created-on-host2.json")), "c-42", true, true, Optional.empty(), DriftPolicy.OVERWRITE, null);
        assertThat(conflict).isEqualTo(new PushDecision.Hold(true,
                "open conflict c-42 between the hosts: pushed nowhere until it is resolved"));
    }

    @Test
    void aMemberWithAnotherJwtSecretGetsNothingWhatever() throws Exception {
        PushDecision d = PushPlanner.decide(USERS, hosts(sample("user-xxp-created-on-host.json"),
                sample("user-xxp-created-on-host.json")), null, true, false, Optional.empty(), DriftPolicy.OVERWRITE, null);
        assertThat(d).isInstanceOf(PushDecision.Refuse.class);
    }

    @Test
    void anEditOnTheHostsIsAConditionalUpdate() throws Exception {
        ObjectNode old = ((PushDecision.Create) decide(hosts(sample("user-xxp-created-on-host.json"),
                sample("user-xxp-created-on-host.json")), Optional.empty())).copy();
        var edited = hosts(sample("user-xxp-edited-on-host.json"), sample("user-xxp-edited-on-host.json"));
        PushDecision d = decide(edited, Optional.of(served(old)));
        assertThat(d).isInstanceOfSatisfying(PushDecision.Update.class, u -> {
            assertThat(u.resourceVersion()).isEqualTo("77");
            assertThat(u.drift()).isFalse();
        });
    }

    @Test
    void driftIsOverwrittenOrReportedByPolicy() throws Exception {
        var hosts = hosts(sample("user-xxp-created-on-host.json"), sample("user-xxp-created-on-host.json"));
        ObjectNode copy = ((PushDecision.Create) decide(hosts, Optional.empty())).copy();
        ObjectNode edited = (ObjectNode) served(copy);
        ((ObjectNode) edited.path("spec")).put("email", "edited-on-member@163.com");
        assertThat(decide(hosts, Optional.of(edited))).isInstanceOfSatisfying(PushDecision.Update.class,
                u -> assertThat(u.drift()).isTrue());
        PushDecision report = PushPlanner.decide(USERS, hosts, null, true, true, Optional.of(edited),
                DriftPolicy.REPORT, null);
        assertThat(report).isInstanceOfSatisfying(PushDecision.Report.class,
                r -> assertThat(r.state()).isEqualTo(MemberCopy.State.DRIFTED));
    }

    @Test
    void deletesTakeOnlyFedsyncsOwnCopies() throws Exception {
        var gone = hosts(null, null);
        ObjectNode copy = ((PushDecision.Create) decide(hosts(sample("user-xxp-created-on-host.json"),
                sample("user-xxp-created-on-host.json")), Optional.empty())).copy();
        assertThat(decide(gone, Optional.of(served(copy)))).isEqualTo(new PushDecision.Delete("77",
                "deleted on every host"));
        JsonNode foreign = JSON.readTree(sample("user-xxp-created-on-host.json"));
        assertThat(decide(gone, Optional.of(foreign))).isInstanceOf(PushDecision.Nothing.class);
        assertThat(decide(gone, Optional.empty())).isInstanceOf(PushDecision.Nothing.class);
        PushDecision unplaced = PushPlanner.decide(USERS, hosts(sample("user-xxp-created-on-host.json"),
                sample("user-xxp-created-on-host.json")), null, false, true, Optional.of(served(copy)),
                DriftPolicy.OVERWRITE, null);
        assertThat(unplaced).isInstanceOf(PushDecision.Delete.class)
                .satisfies(d -> assertThat(d.reason()).isEqualTo("no longer placed on this member"));
    }

    @Test
    void anUncopyableHostObjectHoldsWithTheReason() throws Exception {
        byte[] bad = "not json".getBytes();
        assertThat(decide(hosts(bad, bad), Optional.empty())).isInstanceOf(PushDecision.Hold.class)
                .satisfies(d -> assertThat(d.reason()).isEqualTo("host holds an object fedsync cannot copy: not a JSON object"));
    }

    @Test
    void theHostsViewIsWorkedOutOnceAndGivesEveryMemberTheSameDecision() throws Exception {
        var agreed = hosts(sample("user-xxp-created-on-host.json"), sample("user-xxp-created-on-host2.json"));
        PushPlanner.HostsView view = PushPlanner.settle(USERS, agreed, null);
        assertThat(view).isInstanceOf(PushPlanner.Agreed.class);
        assertThat(((PushPlanner.Agreed) view).from()).isEqualTo("host");
        assertThat(PushPlanner.settle(USERS, hosts(null, null), null)).isInstanceOf(PushPlanner.Absent.class);
        assertThat(PushPlanner.settle(USERS, hosts(sample("user-xxp-edited-on-host.json"),
                sample("user-xxp-created-on-host2.json")), null)).isInstanceOf(PushPlanner.Unsettled.class);

        // The view is not even asked for while the secret differs or a conflict is open.
        java.util.function.Supplier<PushPlanner.HostsView> never = () -> {
            throw new AssertionError("the hosts' view was worked out for nothing");
        };
        assertThat(PushPlanner.decideObserved(never, null, true, false, Optional.empty(), DriftPolicy.OVERWRITE))
                .isInstanceOf(PushDecision.Refuse.class);
        assertThat(PushPlanner.decideObserved(never, "c-1", true, true, Optional.empty(), DriftPolicy.OVERWRITE))
                .isInstanceOf(PushDecision.Hold.class);

        // What was observed of the member decides as the member's object itself does.
        ObjectNode copy = ((PushDecision.Create) decide(agreed, Optional.empty())).copy();
        JsonNode onMember = served(copy);
        ObjectNode edited = ((ObjectNode) onMember).deepCopy();
        ((ObjectNode) edited.path("spec")).put("email", "edited-on-member@163.com");
        for (JsonNode member : java.util.List.of(onMember, edited)) {
            PushDecision fromObject = decide(agreed, Optional.of(member));
            PushDecision fromObserved = PushPlanner.decideObserved(() -> view, null, true, true,
                    Optional.of(MemberCopy.Observed.of(member)), DriftPolicy.OVERWRITE);
            assertThat(fromObserved.getClass()).isEqualTo(fromObject.getClass());
            assertThat(fromObserved.reason()).isEqualTo(fromObject.reason());
        }
        assertThat(MemberCopy.Observed.of(onMember).resourceVersion()).isEqualTo("77");
        assertThat(MemberCopy.Observed.of(edited).recordedHash()).isNotEqualTo(MemberCopy.Observed.of(edited).contentHash());
    }
}
