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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 12, item 5: a dead replica replaced without downtime with {@code fedsyncctl peers}. Three
 * fedsyncd processes (separate JVMs, Ratis on loopback) over two real etcds, writers on both sides
 * the whole time; a follower is killed and its disk lost, removed, and a new replica on an empty
 * data dir is added; it catches up from the leader's snapshot (the log it would need is purged),
 * and then votes: with the old leader killed, the other survivor and the new replica elect.
 */
@DisplayName("replace a replica on an empty dataDir with fedsyncctl peers, under writers")
class RaftMembershipIT {

    private static final Logger LOG = LoggerFactory.getLogger(RaftMembershipIT.class);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration CTL = Duration.ofSeconds(120);
    private static final List<String> IDS = List.of("a", "b", "c");
    /** Small, so that a snapshot is taken and the log purged while the writers run. */
    private static final String SNAPSHOT_EVERY = "snapshotEvery: 10";

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host", "host2").build();

    @TempDir
    Path dir;

    private final Map<String, FedsyncdProcess> replicas = new LinkedHashMap<>();
    private final Map<String, Integer> raftPorts = new LinkedHashMap<>();

    @AfterEach
    void stopAll() {
        replicas.values().forEach(FedsyncdProcess::kill);
    }

    private Client host() {
        return etcd.client("host");
    }

    private Client host2() {
        return etcd.client("host2");
    }

    private FedsyncdProcess replica(String id, Map<String, Integer> group) {
        return FedsyncdProcess.builder(dir.resolve("fedsyncd-" + id)).replica(id, group).node(SNAPSHOT_EVERY)
                .cluster("host", etcd.get("host")).cluster("host2", etcd.get("host2")).build();
    }

    private static Optional<JsonNode> raft(FedsyncdProcess r) {
        try {
            return Optional.of(r.status().path("raft"));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static List<String> members(FedsyncdProcess r) {
        return raft(r).map(j -> j.path("peers").findValuesAsText("id").stream().sorted().toList()).orElse(List.of());
    }

    /** The replica the running ones agree leads, once it mirrors. */
    private String awaitLeader(List<String> running) {
        return RaftReplicas.awaitLeader(replicas, running, WAIT);
    }

    private String urls(String... ids) {
        return String.join(",", Stream.of(ids).map(id -> replicas.get(id).url("")).toList());
    }

    private static FedsyncdProcess.Result ctl(String... args) {
        FedsyncdProcess.Result r = FedsyncdProcess.fedsyncctl(CTL, args);
        LOG.info("fedsyncctl {} -> {}\n{}{}", String.join(" ", args), r.exitCode(), r.stdout(), r.stderr());
        return r;
    }

    /** The Raft log of this replica no longer starts at index 0, and it has a snapshot. */
    private static boolean purgedAndSnapshotted(FedsyncdProcess r) {
        Path raft = r.dataDir().resolve("raft");
        try (Stream<Path> files = Files.walk(raft)) {
            List<String> names = files.map(p -> p.getFileName().toString()).toList();
            boolean snapshot = names.stream().anyMatch(n -> n.matches("snapshot\\.\\d+_\\d+"));
            boolean logFromZero = names.stream().anyMatch(n -> n.equals("log_inprogress_0") || n.startsWith("log_0-"));
            boolean anyLog = names.stream().anyMatch(n -> n.startsWith("log_"));
            return snapshot && anyLog && !logFromZero;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    @DisplayName("kill -9 a follower, lose its disk, peers remove; new replica d on an empty dataDir, peers add: it"
            + " installs the snapshot, votes after the leader is killed, and nothing is lost")
    void replaceADeadReplicaOnAnEmptyDataDir() throws Exception {
        IDS.forEach(id -> raftPorts.put(id, FreePorts.pick()));
        IDS.forEach(id -> replicas.put(id, replica(id, raftPorts)));
        replicas.values().forEach(FedsyncdProcess::start);
        replicas.values().forEach(r -> r.awaitHealthy(WAIT));
        // Ratis starts a new log segment on a new term (or at 32 MB): one failover first closes the
        // segment that starts at index 0, so that the snapshots taken later let it be purged.
        String first = awaitLeader(IDS);
        replicas.get(first).stop();
        awaitLeader(IDS.stream().filter(id -> !id.equals(first)).toList());
        replicas.get(first).start().awaitHealthy(WAIT);
        String leader = awaitLeader(IDS);
        List<String> followers = IDS.stream().filter(id -> !id.equals(leader)).toList();
        String victim = followers.get(1);
        String other = followers.get(0);
        LOG.info("leader {}, the follower to replace {}, the other follower {}", leader, victim, other);

        Map<String, String> last = new ConcurrentHashMap<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Thread> writers = new ArrayList<>();
        for (String side : List.of("host", "host2")) {
            Thread t = new Thread(() -> {
                for (int n = 0; writing.get(); n++) {
                    String name = side + "-" + (n % 40);
                    String value = KubeObjects.user(name, side + "-" + n + "@163.com");
                    Kv.put(etcd.client(side), KubeObjects.userKey(name), value);
                    last.put(KubeObjects.userKey(name), value);
                }
            }, "writer-" + side);
            t.start();
            writers.add(t);
        }
        try {
            // The follower dies with its disk.
            replicas.get(victim).kill();
            deleteTree(replicas.get(victim).dataDir());

            // Refusals first, each with the daemon's reason, and nothing changes.
            FedsyncdProcess.Result unknown = ctl("--server", urls(other), "peers", "remove", "zz");
            assertThat(unknown.exitCode()).isEqualTo(1);
            assertThat(unknown.stderr()).contains("404", "no replica zz in the group");
            // On a loaded machine the leader may step down for a moment when the follower dies (the
            // group answers 503 "has no leader now" meanwhile): ask again once it leads again.
            FedsyncdProcess.Result removeLeader = await().atMost(WAIT).until(() -> {
                assertThat(awaitLeader(List.of(leader, other))).as("leadership stayed with %s", leader)
                        .isEqualTo(leader);
                return ctl("--server", urls(other), "peers", "remove", leader);
            }, r -> !r.stderr().contains("has no leader now"));
            assertThat(removeLeader.exitCode()).isEqualTo(1);
            assertThat(removeLeader.stderr()).contains("409", "replica " + leader + " leads the group",
                    "stop fedsyncd on " + leader);
            FedsyncdProcess.Result present = ctl("--server", urls(other), "peers", "add", other,
                    "127.0.0.1:" + FreePorts.pick());
            assertThat(present.exitCode()).isEqualTo(1);
            assertThat(present.stderr()).contains("409", "replica " + other + " is already a member");
            FedsyncdProcess.Result nobody = ctl("--server", replicas.get(victim).url(""), "peers", "remove", victim);
            assertThat(nobody.exitCode()).as("no replica answered").isEqualTo(3);

            // Removed through a follower (the dead replica's URL first: it does not answer).
            FedsyncdProcess.Result removed = ctl("--server", urls(victim, other), "peers", "remove", victim);
            assertThat(removed.exitCode()).as(removed.stderr()).isZero();
            List<String> two = Stream.of(leader, other).sorted().toList();
            assertThat(removed.stdout()).contains("peer " + victim + " removed; group is now " + String.join(",", two));
            await().atMost(WAIT).until(() -> members(replicas.get(leader)).equals(two)
                    && members(replicas.get(other)).equals(two));

            // The writers keep the log growing: snapshots are taken and the log purged past index 0,
            // so a new replica cannot catch up from the log alone.
            await().atMost(WAIT).until(() -> purgedAndSnapshotted(replicas.get(leader))
                    && purgedAndSnapshotted(replicas.get(other)));

            // d: a new id, an empty data dir, a new Raft port; its file lists the group as it will be.
            Map<String, Integer> withD = new LinkedHashMap<>();
            withD.put(leader, raftPorts.get(leader));
            withD.put(other, raftPorts.get(other));
            withD.put("d", FreePorts.pick());
            FedsyncdProcess d = replica("d", withD);
            replicas.put("d", d);
            d.start().awaitHealthy(WAIT);
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(raft(d).map(r -> r.path("role").asText()).orElse("")).isEqualTo("not-member");
                FedsyncdProcess.Response ready = d.get("/readyz");
                assertThat(ready.status()).isEqualTo(503);
                assertThat(ready.body()).contains("not a member", "fedsyncctl peers add d");
            });
            FedsyncdProcess.Response notMember = d.send("POST", "/api/v1/peers",
                    "{\"id\":\"e\",\"address\":\"127.0.0.1:1\"}", Map.of("content-type", "application/json"));
            assertThat(notMember.status()).isEqualTo(503);
            assertThat(notMember.json().path("error").asText()).contains("not a member");

            String dAddress = "127.0.0.1:" + withD.get("d");
            FedsyncdProcess.Result added = ctl("--server", urls("d", other), "peers", "add", "d", dAddress);
            assertThat(added.exitCode()).as(added.stderr()).isZero();
            List<String> group = Stream.of(leader, other, "d").sorted().toList();
            assertThat(added.stdout()).contains("peer d added; group is now " + String.join(",", group));
            await().atMost(WAIT).untilAsserted(() -> {
                for (String id : List.of(leader, other, "d")) {
                    assertThat(members(replicas.get(id))).as("group as %s sees it", id).isEqualTo(group);
                }
                assertThat(raft(d).map(r -> r.path("role").asText()).orElse("")).isEqualTo("follower");
                assertThat(d.get("/readyz").status()).isEqualTo(200);
            });
            assertThat(d.logText()).as("d's state came from the leader's snapshot")
                    .contains("loading the snapshot installed from the leader");
            FedsyncdProcess.Result again = ctl("--server", urls(other), "peers", "add", "d", dAddress);
            assertThat(again.exitCode()).isEqualTo(1);
            assertThat(again.stderr()).contains("409", "already a member");

            // The old leader dies: the other survivor and d must elect (2 of 3), so d is a voter.
            replicas.get(leader).kill();
            String next = awaitLeader(List.of(other, "d"));
            LOG.info("new leader {} with {} and d", next, other);
            await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
        } finally {
            writing.set(false);
            for (Thread t : writers) {
                t.join(30_000);
            }
        }

        await().atMost(WAIT).until(() -> Kv.keys(host(), KubeObjects.USERS_PREFIX)
                .equals(Kv.keys(host2(), KubeObjects.USERS_PREFIX)));
        Map<String, String> onHost = Kv.keys(host(), KubeObjects.USERS_PREFIX);
        Map<String, String> onHost2 = Kv.keys(host2(), KubeObjects.USERS_PREFIX);
        assertThat(last).isNotEmpty();
        last.forEach((key, value) -> {
            assertThat(onHost.get(key)).as("%s on host", key).isEqualTo(value);
            assertThat(onHost2.get(key)).as("%s on host2", key).isEqualTo(value);
        });
        assertThat(replicas.get(other).conflicts("")).as("every writer wrote its own keys").isEmpty();

        // The old leader comes back with its original config file (it still lists the removed replica):
        // it uses the group's configuration.
        replicas.get(leader).start().awaitHealthy(WAIT);
        assertThat(Files.readString(replicas.get(leader).configFile())).contains("{id: " + victim + ",");
        List<String> three = Stream.of(leader, other, "d").sorted().toList();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(raft(replicas.get(leader)).map(r -> r.path("role").asText()).orElse("")).isEqualTo("follower");
            assertThat(members(replicas.get(leader))).isEqualTo(three);
        });
    }
}
