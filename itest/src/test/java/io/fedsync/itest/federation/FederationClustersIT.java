package io.fedsync.itest.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.federation.DriftPolicy;
import io.fedsync.federation.FederatedKind;
import io.fedsync.federation.Federator;
import io.fedsync.federation.JoinCheck;
import io.fedsync.federation.JoinPreview;
import io.fedsync.federation.JwtSecret;
import io.fedsync.federation.KubeAccessException;
import io.fedsync.federation.KubeCluster;
import io.fedsync.federation.Profile;
import io.fedsync.federation.PushDecision;
import io.fedsync.federation.PushPlanner;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.FreePorts;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.WatchRecorder;
import io.fedsync.itest.kube.KubeApis;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The federation's view of clusters, against the Kubernetes API stand-in (a test fixture over a
 * real etcd, see {@code itest/.../kube}): connecting through a kubeconfig, the join checks, and
 * conditional writes of member copies. The jwtSecrets never appear in any result or error.
 */
@DisplayName("federation against the Kubernetes API stand-in over real etcd: kubeconfigs, join checks, member writes")
class FederationClustersIT {

    private static final String SECRET = "hosts-jwt-" + Names.randomSuffix() + "-do-not-print";
    private static final String OTHER_SECRET = "member-jwt-" + Names.randomSuffix() + "-do-not-print";
    private static final FederatedKind USERS = Profile.KUBESPHERE_V3.kinds().get(0);

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2", "member", "stranger", "other")
            .build();

    @RegisterExtension
    static final KubeApis KUBE = KubeApis.over(ETCD).build();

    @TempDir
    static Path dir;

    /** Every message the checks produce, to prove no secret is in any. */
    private final List<String> said = new ArrayList<>();

    @BeforeAll
    static void installKubeSphere() throws Exception {
        kubesphere("host", "host", SECRET);
        kubesphere("host2", "host", SECRET);
        kubesphere("member", "member", SECRET);
        kubesphere("stranger", "member", OTHER_SECRET);
        kubesphere("other", "host", SECRET);
    }

    /** kube-system and kubesphere-system/kubesphere-config as ks-installer leaves them (v3 layout). */
    private static void kubesphere(String cluster, String role, String secret) {
        io.fedsync.itest.kube.KubeSphereInstall.install(KUBE.apiClient(cluster), role, secret);
    }

    private static KubeCluster cluster(String name) {
        return KubeCluster.connect(name, KUBE.kubeconfig(name), null);
    }

    private JoinCheck.Report check(String member, Map<String, String> joined) {
        JoinCheck.Report r = JoinCheck.run(cluster(member), List.of(cluster("host"), cluster("host2")), joined,
                Profile.KUBESPHERE_V3, JwtSecret.FingerprintKey.random());
        r.results().forEach(x -> said.add(x.toString()));
        return r;
    }

    private static JoinCheck.Result result(JoinCheck.Report r, String check) {
        return r.results().stream().filter(x -> x.check().equals(check)).findFirst().orElseThrow();
    }

    @Test
    @DisplayName("a KubeSphere member whose jwtSecret is the hosts' passes every join check; its kube-system uid is what identifies it")
    void aMatchingMemberPasses() throws Exception {
        JoinCheck.Report r = check("member", Map.of());
        assertThat(r.passed()).as("%s", r.results()).isTrue();
        assertThat(r.results()).extracting(JoinCheck.Result::check)
                .containsExactly("reachable", "not joined already", "clusterRole member", "jwtSecret matches");
        assertThat(r.kubeSystemUid()).isEqualTo(cluster("member").kubeSystemUid()).isNotBlank();
        assertThat(String.join("\n", said)).doesNotContain(SECRET).doesNotContain(OTHER_SECRET);
    }

    @Test
    @DisplayName("a member with another jwtSecret, one joined already, and a host are refused, each naming the check and the fix")
    void refusalsNameTheCheckAndTheFix() throws Exception {
        JoinCheck.Report stranger = check("stranger", Map.of());
        assertThat(stranger.passed()).isFalse();
        JoinCheck.Result jwt = result(stranger, "jwtSecret matches");
        assertThat(jwt.status()).isEqualTo(JoinCheck.Status.FAIL);
        assertThat(jwt.detail()).contains("differs from the hosts'");
        assertThat(jwt.fix()).contains("authentication.jwtSecret").contains("restart ks-apiserver");

        String uid = cluster("member").kubeSystemUid();
        JoinCheck.Report twice = check("member", Map.of(uid, "member-a"));
        assertThat(result(twice, "not joined already").status()).isEqualTo(JoinCheck.Status.FAIL);
        assertThat(result(twice, "not joined already").detail()).contains("joined already as member-a");

        JoinCheck.Report host = check("other", Map.of());
        assertThat(result(host, "clusterRole member").detail()).isEqualTo("multicluster.clusterRole is host");
        assertThat(result(host, "clusterRole member").fix()).contains("multicluster.clusterRole: member");
        assertThat(String.join("\n", said)).doesNotContain(SECRET).doesNotContain(OTHER_SECRET);
    }

    @Test
    @DisplayName("an unreachable member fails 'reachable' with what to check, fast; bad kubeconfigs are named, never quoted")
    void unreachableAndBadKubeconfigs() throws Exception {
        Path dead = dir.resolve("dead.kubeconfig");
        String yaml = Files.readString(KUBE.kubeconfig("member"))
                .replaceAll("server: \\S+", "server: http://127.0.0.1:" + FreePorts.pick());
        Files.writeString(dead, yaml);
        long start = System.nanoTime();
        JoinCheck.Report r = JoinCheck.run(KubeCluster.connect("dead", dead, null), List.of(cluster("host")), Map.of(),
                Profile.KUBESPHERE_V3, JwtSecret.FingerprintKey.random());
        assertThat(System.nanoTime() - start).isLessThan(20_000_000_000L);
        assertThat(r.results()).singleElement().satisfies(x -> {
            assertThat(x.check()).isEqualTo("reachable");
            assertThat(x.status()).isEqualTo(JoinCheck.Status.FAIL);
            assertThat(x.detail()).contains("did not answer");
            assertThat(x.fix()).contains("127.0.0.1");
        });

        Path garbage = dir.resolve("garbage.kubeconfig");
        Files.writeString(garbage, "token: " + SECRET + "\n: : [\n");
        assertThatThrownBy(() -> KubeCluster.connect("g", garbage, null))
                .hasMessageContaining("is not a valid kubeconfig").hasMessageNotContaining(SECRET);
        assertThatThrownBy(() -> KubeCluster.connect("m", dir.resolve("missing.kubeconfig"), null))
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> KubeCluster.connect("m", KUBE.kubeconfig("member"), "no-such-context"))
                .hasMessageContaining("has no context 'no-such-context'");

        Path insecure = dir.resolve("insecure.kubeconfig");
        Files.writeString(insecure, Files.readString(KUBE.kubeconfig("member"))
                .replaceFirst("(?m)^(\\s*)server:", "$1insecure-skip-tls-verify: true\n$1server:"));
        KubeCluster c = KubeCluster.connect("member", insecure, null);
        assertThat(c.warnings()).singleElement().asString().contains("insecure-skip-tls-verify");
        assertThat(c.kubeSystemUid()).isNotBlank();
    }

    @Test
    @DisplayName("join --dry-run: per object what joining would create, adopt, overwrite, leave alone or hold; nothing is written")
    void aDryRunListsWhatJoiningWouldDoAndWritesNothing() throws Exception {
        String run = Names.randomSuffix();
        String fresh = "fresh-" + run;
        String same = "same-" + run;
        String other = "other-" + run;
        String theirs = "theirs-" + run;
        String halfway = "halfway-" + run;
        KubeCluster host = cluster("host");
        KubeCluster host2 = cluster("host2");
        KubeCluster member = cluster("member");
        for (KubeCluster h : List.of(host, host2)) {
            h.createVersion(USERS.target(), userObject(fresh, "fresh@163.com"));
            h.createVersion(USERS.target(), userObject(same, "same@163.com"));
            h.createVersion(USERS.target(), userObject(other, "hosts@163.com"));
        }
        host.createVersion(USERS.target(), userObject(halfway, "halfway@163.com"));
        member.createVersion(USERS.target(), userObject(same, "same@163.com"));
        member.createVersion(USERS.target(), userObject(other, "members-own@163.com"));
        member.createVersion(USERS.target(), userObject(theirs, "theirs@163.com"));

        List<JoinPreview.Row> rows;
        try (WatchRecorder w = WatchRecorder.open(ETCD.client("member"), USERS.registryPrefix())) {
            rows = JoinPreview.of(Profile.KUBESPHERE_V3, DriftPolicy.OVERWRITE, Map.of("host", host, "host2", host2),
                    member, new io.fedsync.federation.Member("member", Map.of()), List.of(), Federator.MirrorView.NONE);
            await().during(java.time.Duration.ofSeconds(2)).atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> w.count() == 0);
        }
        Map<String, JoinPreview.Action> actions = new java.util.TreeMap<>();
        rows.stream().filter(r -> r.resource().equals("users") && r.name().endsWith(run))
                .forEach(r -> actions.put(r.name(), r.action()));
        assertThat(actions).containsExactlyInAnyOrderEntriesOf(Map.of(
                fresh, JoinPreview.Action.CREATE,
                same, JoinPreview.Action.ADOPT,
                other, JoinPreview.Action.OVERWRITE,
                theirs, JoinPreview.Action.LEAVE,
                halfway, JoinPreview.Action.HOLD));
        assertThat(rows).filteredOn(r -> r.name().equals(other)).singleElement()
                .satisfies(r -> assertThat(r.reason()).contains("fedsync did not write"));
        assertThat(member.get(USERS.target(), "", fresh)).as("a dry run writes nothing").isEmpty();
    }

    private static ObjectNode userObject(String name, String email) throws Exception {
        ObjectNode u = (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(KubeObjects.user(name, email));
        ObjectNode meta = (ObjectNode) u.path("metadata");
        List.of("uid", "creationTimestamp", "managedFields", "generation", "resourceVersion").forEach(meta::remove);
        return u;
    }

    @Test
    @DisplayName("member copies: created once from the hosts' agreed object, in sync after, a stale replace is a 409, deletes only fedsync's own")
    void memberCopiesAreConditional() throws Exception {
        KubeCluster member = cluster("member");
        String name = Names.random("fed");
        byte[] onHosts = KubeObjects.user(name, name + "@163.com").getBytes(StandardCharsets.UTF_8);
        Map<String, Optional<byte[]>> hosts = Map.of("host", Optional.of(onHosts), "host2", Optional.of(onHosts));

        PushDecision first = PushPlanner.decide(USERS, hosts, null, true, true, member.get(USERS.target(), "", name),
                DriftPolicy.OVERWRITE, "{host:1}");
        assertThat(first).isInstanceOf(PushDecision.Create.class);
        member.createVersion(USERS.target(), ((PushDecision.Create) first).copy());
        JsonNode created = member.get(USERS.target(), "", name).orElseThrow();
        assertThat(created.path("metadata").path("labels").path("kubefed.io/managed").asText()).isEqualTo("false");
        Optional<JsonNode> onMember = member.get(USERS.target(), "", name);
        assertThat(PushPlanner.decide(USERS, hosts, null, true, true, onMember, DriftPolicy.OVERWRITE, "{host:1}"))
                .isInstanceOf(PushDecision.Nothing.class);

        // Someone edits the copy on the member; the overwrite is conditional on what was read.
        ObjectNode edited = onMember.get().deepCopy();
        ((ObjectNode) edited.path("spec")).put("email", "edited-on-member@163.com");
        String staleVersion = onMember.get().path("metadata").path("resourceVersion").asText();
        member.replaceVersion(USERS.target(), edited, staleVersion);
        Optional<JsonNode> drifted = member.get(USERS.target(), "", name);
        PushDecision repair = PushPlanner.decide(USERS, hosts, null, true, true, drifted, DriftPolicy.OVERWRITE, "{host:1}");
        assertThat(repair).isInstanceOfSatisfying(PushDecision.Update.class, u -> assertThat(u.drift()).isTrue());
        PushDecision.Update u = (PushDecision.Update) repair;
        assertThatThrownBy(() -> member.replaceVersion(USERS.target(), u.copy(), staleVersion))
                .isInstanceOfSatisfying(KubeAccessException.class, e -> assertThat(e.conflict()).isTrue());
        member.replaceVersion(USERS.target(), u.copy(), u.resourceVersion());
        assertThat(member.get(USERS.target(), "", name).orElseThrow().path("spec").path("email").asText())
                .isEqualTo(name + "@163.com");

        // Deleted on every host: fedsync deletes its copy, and never an object it did not write.
        Map<String, Optional<byte[]>> gone = Map.of("host", Optional.empty(), "host2", Optional.empty());
        PushDecision delete = PushPlanner.decide(USERS, gone, null, true, true, member.get(USERS.target(), "", name),
                DriftPolicy.OVERWRITE, null);
        assertThat(delete).isInstanceOf(PushDecision.Delete.class);
        member.delete(USERS.target(), "", name, ((PushDecision.Delete) delete).resourceVersion());
        assertThat(member.get(USERS.target(), "", name)).isEmpty();

        String theirs = Names.random("theirs");
        ObjectNode foreign = (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(KubeObjects.user(theirs, "t@163.com"));
        member.createVersion(USERS.target(), foreign);
        assertThat(PushPlanner.decide(USERS, gone, null, true, true, member.get(USERS.target(), "", theirs),
                DriftPolicy.OVERWRITE, null)).isInstanceOf(PushDecision.Nothing.class);
        assertThat(member.get(USERS.target(), "", theirs)).isPresent();
    }
}
