package io.fedsync.itest.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.RaftReplicas;
import io.fedsync.itest.fixture.FreePorts;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.WatchRecorder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SCENARIOS.md S7 with a Raft group: three fedsyncd processes (separate JVMs, Apache Ratis on
 * loopback) over two real etcds. Only the leader mirrors; every replica answers from the
 * replicated state; a killed or paused leader is replaced and the paused one cannot write.
 */
@DisplayName("3 real fedsyncd replicas in a Raft group, 2 real etcd clusters per test")
class RaftGroupIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final List<String> IDS = List.of("a", "b", "c");

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host", "host2").build();

    /** Kept when a test fails: the replicas' logs, configs and data dirs. */
    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    private final Map<String, FedsyncdProcess> replicas = new LinkedHashMap<>();

    @BeforeEach
    void group() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        IDS.forEach(id -> ports.put(id, FreePorts.pick()));
        for (String id : IDS) {
            replicas.put(id, FedsyncdProcess.builder(dir.resolve("fedsyncd-" + id)).replica(id, ports)
                    .cluster("host", etcd.get("host")).cluster("host2", etcd.get("host2")).build());
        }
    }

    @AfterEach
    void stopAll() {
        replicas.values().forEach(r -> {
            r.resume();
            r.kill();
        });
    }

    private Client host() {
        return etcd.client("host");
    }

    private Client host2() {
        return etcd.client("host2");
    }

    private void startAll() {
        replicas.values().forEach(FedsyncdProcess::start);
        replicas.values().forEach(r -> r.awaitHealthy(WAIT));
    }

    /** The replica the running ones agree leads, once it mirrors. */
    private String awaitLeader(List<String> running) {
        return RaftReplicas.awaitLeader(replicas, running, WAIT);
    }

    private void assertArrivesOnce(String name) {
        String key = KubeObjects.userKey(name);
        try (WatchRecorder w = WatchRecorder.open(host2(), key)) {
            Kv.put(host(), key, KubeObjects.user(name, name + "@163.com"));
            await().atMost(WAIT).until(() -> w.count() >= 1);
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(6)).until(() -> w.count() == 1);
        }
    }

    @Test
    @DisplayName("one leader mirrors, the others follow; every replica is ready and answers status with raft{}")
    void oneLeaderMirrors() {
        startAll();
        String leader = awaitLeader(IDS);
        assertArrivesOnce(Names.random("g"));
        for (String id : IDS) {
            FedsyncdProcess r = replicas.get(id);
            JsonNode raft = r.status().path("raft");
            assertThat(raft.path("self").asText()).isEqualTo(id);
            assertThat(raft.path("role").asText()).isEqualTo(id.equals(leader) ? "leader" : "follower");
            assertThat(raft.path("peers")).hasSize(3);
            assertThat(r.get("/readyz").status()).as("replica %s ready", id).isEqualTo(200);
            if (!id.equals(leader)) {
                // A standby reads every cluster (never writes): each answered it at some revision.
                await().atMost(WAIT).untilAsserted(() -> {
                    JsonNode clusters = r.status().path("clusters");
                    assertThat(clusters.findValuesAsText("state")).containsOnly("standby");
                    assertThat(clusters.findValues("revision")).allMatch(v -> v.asLong() > 0);
                    assertThat(clusters.findValues("error")).allMatch(JsonNode::isNull);
                });
                // A call only the mirror answers is forwarded to it, and its answer relayed.
                FedsyncdProcess.Response verify = r.send("POST", "/api/v1/verify", null);
                assertThat(verify.status()).as("POST /api/v1/verify on follower %s: %s", id, verify.body())
                        .isEqualTo(200);
                assertThat(verify.json().path("keysChecked").asLong()).isPositive();
                assertThat(verify.json().path("clusters").toString()).isEqualTo("[\"host\",\"host2\"]");
            }
        }
    }

    @Test
    @DisplayName("kill -9 the leader under writers on both sides: a new leader continues, nothing is lost")
    void killTheLeaderUnderWriters() throws Exception {
        startAll();
        String first = awaitLeader(IDS);
        long firstTerm = replicas.get(first).status().path("term").asLong();
        Map<String, String> last = new ConcurrentHashMap<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Thread> writers = new ArrayList<>();
        for (String side : List.of("host", "host2")) {
            Thread t = new Thread(() -> {
                int n = 0;
                while (writing.get()) {
                    String name = side + "-" + (n % 50);
                    String value = KubeObjects.user(name, side + "-" + n + "@163.com");
                    Kv.put(etcd.client(side), KubeObjects.userKey(name), value);
                    last.put(KubeObjects.userKey(name), value);
                    n++;
                }
            }, "writer-" + side);
            t.start();
            writers.add(t);
        }
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
        replicas.get(first).kill();
        List<String> rest = IDS.stream().filter(id -> !id.equals(first)).toList();
        String second = awaitLeader(rest);
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
        writing.set(false);
        for (Thread t : writers) {
            t.join(30_000);
        }
        assertThat(second).isNotEqualTo(first);
        assertThat(replicas.get(second).status().path("term").asLong()).as("a higher fencing term")
                .isGreaterThan(firstTerm);
        await().atMost(WAIT).until(() -> Kv.keys(host(), KubeObjects.USERS_PREFIX)
                .equals(Kv.keys(host2(), KubeObjects.USERS_PREFIX)));
        Map<String, String> onHost2 = Kv.keys(host2(), KubeObjects.USERS_PREFIX);
        last.forEach((key, value) -> assertThat(onHost2.get(key)).as(key).isEqualTo(value));
        assertThat(replicas.get(second).conflicts("")).as("every writer wrote its own keys").isEmpty();
    }

    @Test
    @DisplayName("SIGSTOP the leader until another leads, SIGCONT: it stops mirroring and rejoins as a follower")
    void pausedLeaderIsDeposed() throws Exception {
        startAll();
        String first = awaitLeader(IDS);
        // Writers keep host busy, so the paused leader has writes in flight when it stops and resumes.
        AtomicBoolean writing = new AtomicBoolean(true);
        Map<String, String> last = new ConcurrentHashMap<>();
        Thread writer = new Thread(() -> {
            for (int n = 0; writing.get(); n++) {
                String name = "p-" + (n % 40);
                String value = KubeObjects.user(name, "p-" + n + "@163.com");
                Kv.put(host(), KubeObjects.userKey(name), value);
                last.put(KubeObjects.userKey(name), value);
            }
        }, "writer-host");
        writer.start();
        await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
        replicas.get(first).pause();
        List<String> rest = IDS.stream().filter(id -> !id.equals(first)).toList();
        String second = awaitLeader(rest);
        assertArrivesOnce(Names.random("while-paused"));
        replicas.get(first).resume();
        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode raft = replicas.get(first).status().path("raft");
            assertThat(raft.path("role").asText()).isEqualTo("follower");
            assertThat(raft.path("leader").asText()).isEqualTo(second);
        });
        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode status = replicas.get(first).status();
            assertThat(status.path("notices").findValuesAsText("message"))
                    .anySatisfy(m -> assertThat(m).startsWith("stopped mirroring"));
            assertThat(status.path("clusters").findValuesAsText("state")).containsOnly("standby");
        });
        writing.set(false);
        writer.join(30_000);
        // Whatever the resumed leader still tried failed on the fence: host2 holds each key's last write.
        await().atMost(WAIT).until(() -> Kv.keys(host(), KubeObjects.USERS_PREFIX)
                .equals(Kv.keys(host2(), KubeObjects.USERS_PREFIX)));
        Map<String, String> onHost2 = Kv.keys(host2(), KubeObjects.USERS_PREFIX);
        last.forEach((key, value) -> assertThat(onHost2.get(key)).as(key).isEqualTo(value));
        org.slf4j.LoggerFactory.getLogger(RaftGroupIT.class).info("the deposed leader {} counted {} writes rejected"
                + " by the fence", first, replicas.get(first).status().path("counters").path("fenceRejections").asLong());
        assertArrivesOnce(Names.random("after-resume"));
    }

    @Test
    @DisplayName("host2 down across a leader change: what host changed meanwhile arrives when host2 is back")
    void clusterDownAcrossALeaderChange() {
        startAll();
        String first = awaitLeader(IDS);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String name = Names.random("d" + i);
            keys.add(KubeObjects.userKey(name));
            Kv.put(host(), KubeObjects.userKey(name), KubeObjects.user(name, "before@163.com"));
        }
        await().atMost(WAIT).until(() -> keys.stream().allMatch(k -> Kv.get(host2(), k).isPresent()));
        etcd.get("host2").stop();
        for (int i = 0; i < keys.size(); i++) {
            if (i % 2 == 0) {
                Kv.delete(host(), keys.get(i));
            } else {
                Kv.put(host(), keys.get(i), KubeObjects.user("d", "while-down@163.com"));
            }
        }
        replicas.get(first).kill();
        awaitLeader(IDS.stream().filter(id -> !id.equals(first)).toList());
        etcd.get("host2").start();
        await().atMost(WAIT).until(() -> Kv.keys(host(), KubeObjects.USERS_PREFIX)
                .equals(Kv.keys(host2(), KubeObjects.USERS_PREFIX)));
        for (int i = 0; i < keys.size(); i++) {
            if (i % 2 == 0) {
                assertThat(Kv.get(host2(), keys.get(i))).as("deleted while down").isEmpty();
            } else {
                assertThat(Kv.get(host2(), keys.get(i)).orElseThrow()).contains("while-down@");
            }
        }
    }

    @Test
    @DisplayName("stop all three, edit both sides, start again: one open conflict, the same on every replica, kept"
            + " across another full restart")
    void stateSurvivesRestartsOfTheWholeGroup() {
        startAll();
        awaitLeader(IDS);
        String name = Names.random("c");
        String key = KubeObjects.userKey(name);
        Kv.put(host(), key, KubeObjects.user(name, "first@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(host2(), key).isPresent());
        replicas.values().forEach(FedsyncdProcess::stop);
        Kv.put(host(), key, KubeObjects.user(name, "a@163.com"));
        Kv.put(host2(), key, KubeObjects.user(name, "b@163.com"));
        startAll();
        awaitLeader(IDS);
        await().atMost(WAIT).until(() -> IDS.stream().allMatch(id -> !replicas.get(id).conflicts("state=open").isEmpty()));
        String id = replicas.get("a").conflicts("state=open").get(0).path("id").asText();
        for (String r : IDS) {
            assertThat(replicas.get(r).conflicts("state=open")).extracting(c -> c.path("id").asText())
                    .as("replica %s", r).containsExactly(id);
        }
        replicas.values().forEach(FedsyncdProcess::stop);
        startAll();
        awaitLeader(IDS);
        for (String r : IDS) {
            assertThat(replicas.get(r).conflicts("state=open")).extracting(c -> c.path("id").asText())
                    .as("replica %s after a second restart", r).containsExactly(id);
        }
    }

    @Test
    @DisplayName("kill two of three: the survivor stops mirroring and /readyz says why; one back: work resumes")
    void majorityLost() {
        startAll();
        String first = awaitLeader(IDS);
        List<String> others = IDS.stream().filter(id -> !id.equals(first)).toList();
        String survivor = others.get(0);
        replicas.get(first).kill();
        replicas.get(others.get(1)).kill();
        await().atMost(WAIT).untilAsserted(() -> {
            FedsyncdProcess.Response ready = replicas.get(survivor).get("/readyz");
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.body()).contains("no leader");
        });
        String name = Names.random("no-quorum");
        String key = KubeObjects.userKey(name);
        Kv.put(host(), key, KubeObjects.user(name, "n@163.com"));
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(8))
                .until(() -> Kv.get(host2(), key).isEmpty());
        replicas.get(first).start();
        String leader = awaitLeader(List.of(first, survivor));
        assertThat(leader).isIn(first, survivor);
        await().atMost(WAIT).until(() -> Kv.get(host2(), key).isPresent());
    }
}
