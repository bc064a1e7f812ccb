package io.fedsync.itest.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedsync.federation.FederatedKind;
import io.fedsync.federation.Profile;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.FreePorts;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.RaftReplicas;
import io.fedsync.itest.fixture.WatchRecorder;
import io.fedsync.itest.kube.KubeApis;
import io.fedsync.itest.kube.KubeUsers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The federation run by a Raft group: three fedsyncd processes (Apache Ratis on loopback) over
 * two host etcds with the Kubernetes API stand-in (a test fixture) over each, and a member. Only
 * the leader pushes; a join made through a follower is committed in the replicated state and
 * seen by every replica; a member down across a leader change (the leader killed with SIGKILL)
 * gets the delete it missed from the new leader. No jwtSecret in any log, answer or data dir
 * (the Raft log and snapshots included).
 */
@DisplayName("federation from a Raft group of 3 real fedsyncd processes: join through a follower, member down across kill -9 of the leader")
class FederationRaftIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String SECRET = "raft-jwt-" + Names.randomSuffix() + "-c0ffee0123456789";
    private static final FederatedKind USERS = Profile.KUBESPHERE_V3.kinds().get(0);
    private static final List<String> IDS = List.of("a", "b", "c");

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2", "member").build();

    @RegisterExtension
    static final KubeApis KUBE = KubeApis.over(ETCD).build();

    @TempDir
    Path dir;

    private final Map<String, FedsyncdProcess> replicas = new LinkedHashMap<>();
    private final List<String> answers = new ArrayList<>();

    @BeforeAll
    static void installKubeSphere() throws Exception {
        for (String c : List.of("host", "host2", "member")) {
            io.fedsync.itest.kube.KubeSphereInstall.install(KUBE.apiClient(c), c.startsWith("host") ? "host" : "member",
                    SECRET);
        }
    }

    @AfterEach
    void stopAll() throws IOException {
        replicas.values().forEach(r -> {
            r.resume();
            r.kill();
        });
        for (FedsyncdProcess r : replicas.values()) {
            assertThat(r.logText()).as("replica %s's log", r.nodeId()).doesNotContain(SECRET);
            try (Stream<Path> files = Files.walk(r.dataDir())) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1))
                            .as("%s (Raft log, snapshots, state)", f).doesNotContain(SECRET);
                }
            }
        }
        assertThat(String.join("\n", answers)).as("every answer and CLI output").doesNotContain(SECRET);
    }

    private void startGroup() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        IDS.forEach(id -> ports.put(id, FreePorts.pick()));
        for (String id : IDS) {
            replicas.put(id, FedsyncdProcess.builder(dir.resolve("fedsyncd-" + id)).replica(id, ports)
                    .cluster("host", ETCD.get("host")).cluster("host2", ETCD.get("host2"))
                    .kubeconfig("host", KUBE.kubeconfig("host")).kubeconfig("host2", KUBE.kubeconfig("host2"))
                    .federation("resync: 2s").build());
        }
        replicas.values().forEach(FedsyncdProcess::start);
        replicas.values().forEach(r -> r.awaitHealthy(WAIT));
    }

    private static KubeUsers users(String cluster) {
        return new KubeUsers(KUBE.apiClient(cluster));
    }

    private static void create(String cluster, String name, String email) {
        users(cluster).create(name, email);
    }

    private static Optional<JsonNode> get(String cluster, String name) {
        return users(cluster).get(name);
    }

    private static JsonNode readTree(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private List<String> memberNames(FedsyncdProcess r) {
        FedsyncdProcess.Response list = r.get("/api/v1/clusters");
        answers.add(list.body());
        List<String> names = new ArrayList<>();
        list.json().path("items").forEach(i -> {
            if (i.path("role").asText().equals("member")) {
                names.add(i.path("name").asText());
            }
        });
        return names;
    }

    @Test
    @DisplayName("a join through a follower is committed for all; only the leader pushes; after kill -9 of the leader the new one delivers the delete a down member missed")
    void joinThroughAFollowerAndSurviveALeaderKill() {
        startGroup();
        String leader = RaftReplicas.awaitLeader(replicas, IDS, WAIT);
        String follower = IDS.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
        FedsyncdProcess.Result join = FedsyncdProcess.fedsyncctl(Duration.ofSeconds(60), "--server",
                replicas.get(follower).url(""), "join", "member", "--kubeconfig", KUBE.kubeconfig("member").toString());
        answers.add(join.stdout() + join.stderr());
        assertThat(join.exitCode()).as(join.stdout() + join.stderr()).isZero();
        for (String id : IDS) {
            await().atMost(WAIT).until(() -> memberNames(replicas.get(id)).contains("member"));
        }

        String doomed = Names.random("doomed");
        String key = USERS.registryPrefix() + doomed;
        try (WatchRecorder onMember = WatchRecorder.open(ETCD.client("member"), key)) {
            create("host", doomed, "d@163.com");
            await().atMost(WAIT).until(() -> get("member", doomed).isPresent());
            await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(10)).until(() -> onMember.count() == 1);
        }
        // Only the leader pushes: its metrics count the member and the create, the others' none.
        for (String id : IDS) {
            String metrics = replicas.get(id).get("/metrics").body();
            answers.add(metrics);
            if (id.equals(leader)) {
                assertThat(metrics).as("leader %s", id)
                        .containsPattern("fedsync_federation_members\\{[^}]*} 1\\.0")
                        .containsPattern("fedsync_federation_member_writes_total\\{member=\"member\"[^}]*op=\"create\"[^}]*} [1-9]");
            } else {
                assertThat(metrics).as("follower %s (leader %s)", id, leader)
                        .containsPattern("fedsync_federation_members\\{[^}]*} 0\\.0")
                        .doesNotContain("fedsync_federation_member_writes_total{");
            }
        }

        KUBE.stop("member");
        users("host").delete(doomed);
        await().atMost(WAIT).until(() -> get("host2", doomed).isEmpty());
        replicas.get(leader).kill();
        List<String> survivors = IDS.stream().filter(id -> !id.equals(leader)).toList();
        String next = RaftReplicas.awaitLeader(replicas, survivors, WAIT);
        assertThat(next).isNotEqualTo(leader);
        String added = Names.random("added");
        create("host2", added, "a@163.com");

        KUBE.restart("member");
        await().atMost(WAIT).until(() -> get("member", doomed).isEmpty() && get("member", added).isPresent());
        assertThat(replicas.get(next).logText()).contains("[member users " + doomed + "] deleted");
        FedsyncdProcess.Result clusters = FedsyncdProcess.fedsyncctl(Duration.ofSeconds(30), "--server",
                replicas.get(survivors.stream().filter(id -> !id.equals(next)).findFirst().orElseThrow()).url(""),
                "clusters", "-o", "json");
        answers.add(clusters.stdout() + clusters.stderr());
        assertThat(clusters.exitCode()).as(clusters.stderr()).isZero();
        JsonNode member = null;
        for (JsonNode item : readTree(clusters.stdout()).path("items")) {
            if (item.path("name").asText().equals("member")) {
                member = item;
            }
        }
        assertThat(member).as("the new leader's view, through the other survivor").isNotNull();
        assertThat(member.path("jwtSecret").asText()).isEqualTo("matches");
    }
}
