package io.fedsync.itest.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.WatchRecorder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The scenarios with three real etcd clusters mirrored N-way by one mirror. */
@DisplayName("mirror, 3 real etcd clusters")
class ThreeClusterScenariosIT {

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2", "host3").build();

    private static final Duration QUIET = Duration.ofSeconds(2);

    private MirrorHarness mirror;

    @AfterEach
    void stopMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    private static List<Client> all() {
        return List.of(ETCD.client("host"), ETCD.client("host2"), ETCD.client("host3"));
    }

    private List<ConflictRecord> conflictsFor(String key) {
        return mirror.conflicts().stream().filter(c -> c.key().equals(key)).toList();
    }

    private static List<WatchRecorder> watch(String key) {
        return all().stream().map(c -> WatchRecorder.open(c, key)).toList();
    }

    private static int events(List<WatchRecorder> ws) {
        return ws.stream().mapToInt(WatchRecorder::count).sum();
    }

    @Test
    @DisplayName("S1: one user created on all three (different uid/timestamps) converges with no data write")
    void s1ConvergesAcrossThree() {
        String name = Names.random("u");
        String key = KubeObjects.userKey(name);
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        List<String> values = List.of(
                KubeObjects.user(name, "same@163.com", UUID.randomUUID().toString(), Instant.parse("2026-11-23T17:19:47Z")),
                KubeObjects.user(name, "same@163.com", UUID.randomUUID().toString(), Instant.parse("2026-11-23T17:19:48Z")),
                KubeObjects.user(name, "same@163.com", UUID.randomUUID().toString(), Instant.parse("2026-11-23T17:19:49Z")));
        List<WatchRecorder> ws = watch(key);
        try {
            for (int i = 0; i < 3; i++) {
                Kv.put(all().get(i), key, values.get(i));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> conflictsFor(key).stream()
                    .anyMatch(c -> c.state() == ConflictState.CONVERGED && c.clusters().size() == 3));
            mirror.awaitSettled();
            // Only the three user writes: the mirror wrote no data.
            await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> events(ws) == 3);
        } finally {
            ws.forEach(WatchRecorder::close);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(Kv.get(all().get(i), key)).contains(values.get(i));
        }
    }

    @Test
    @DisplayName("S2: two of three edit concurrently: one open conflict between them, the third keeps its version")
    void s2TwoOfThreeConflict() {
        String name = Names.random("u");
        String key = KubeObjects.userKey(name);
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        String first = KubeObjects.user(name, "first@163.com");
        Kv.put(all().get(2), key, first);
        await().atMost(Duration.ofSeconds(30)).until(() -> all().stream().allMatch(c -> Kv.get(c, key).isPresent()));
        mirror.awaitSettled();
        mirror.stop();
        Kv.put(all().get(0), key, KubeObjects.user(name, "a@163.com"));
        Kv.put(all().get(1), key, KubeObjects.user(name, "b@163.com"));
        List<WatchRecorder> ws = watch(key);
        try {
            mirror.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> !conflictsFor(key).isEmpty());
            mirror.awaitSettled();
            await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> events(ws) == 0);
        } finally {
            ws.forEach(WatchRecorder::close);
        }
        assertThat(conflictsFor(key)).singleElement().satisfies(c -> {
            assertThat(c.state()).isEqualTo(ConflictState.OPEN);
            assertThat(c.type()).isEqualTo(ConflictType.CONCURRENT_UPDATE);
            assertThat(c.clusters()).containsExactly("host", "host2");
        });
        assertThat(Kv.get(all().get(2), key)).contains(first);

        ConflictRecord r = mirror.engine().resolve(conflictsFor(key).get(0).id(), "host");
        assertThat(r.state()).isEqualTo(ConflictState.RESOLVED);
        String winner = Kv.get(all().get(0), key).orElseThrow();
        Convergence.awaitIdentical(all(), key, Duration.ofSeconds(30));
        assertThat(Kv.get(all().get(2), key)).contains(winner);
    }

    /**
     * The soak's lost write: host3's write A reached host but not host2 (down), and host2 wrote B.
     * host holds a copy of host3's A. Under priority the change made on the cluster listed first
     * wins, wherever it is held: a copy on host must not rank as host's own change.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "priority {0}: {1} wins")
    @org.junit.jupiter.params.provider.CsvSource({"'host,host2,host3', host2", "'host3,host2,host', host3"})
    @DisplayName("S2 priority, 3 clusters: a write copied to host ranks as the cluster that made it, not as host")
    void priorityRanksTheWriteNotItsCopy(String order, String expectedWinner) {
        String name = Names.random("u");
        String key = KubeObjects.userKey(name);
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Priority(List.of(order.split(",")))).start();
        Kv.put(all().get(0), key, KubeObjects.user(name, "first@163.com"));
        await().atMost(Duration.ofSeconds(30)).until(() -> all().stream().allMatch(c -> Kv.get(c, key).isPresent()));
        mirror.awaitSettled();
        ETCD.get("host2").kill();
        String a = KubeObjects.user(name, "a-from-host3@163.com");
        Kv.put(all().get(2), key, a);
        await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(all().get(0), key).equals(Optional.of(a)));
        mirror.stop();
        ETCD.get("host2").restart();
        String b = KubeObjects.user(name, "b-from-host2@163.com");
        Kv.put(all().get(1), key, b);
        mirror.start();
        String expected = expectedWinner.equals("host2") ? b : a;
        await().atMost(Duration.ofSeconds(30)).until(() -> all().stream()
                .allMatch(c -> Kv.get(c, key).equals(Optional.of(expected))));
        mirror.awaitSettled();
        assertThat(conflictsFor(key)).singleElement().satisfies(c -> {
            assertThat(c.state()).isEqualTo(ConflictState.RESOLVED);
            assertThat(c.resolution().by()).isEqualTo("priority");
            assertThat(c.resolution().reason()).startsWith("priority: the change made on " + expectedWinner);
            assertThat(c.sides()).filteredOn(side -> side.cluster().equals("host")).singleElement()
                    .satisfies(side -> assertThat(side.origin()).as("host holds host3's write").isEqualTo("host3"));
        });
        for (Client c : all()) {
            assertThat(Kv.get(c, key)).as("every cluster holds %s's write", expectedWinner).contains(expected);
        }
    }

    @Test
    @DisplayName("S3/S4: a delete reaches both others; round-robin edits are never conflicts")
    void deletesAndSequentialEdits() {
        String name = Names.random("u");
        String key = KubeObjects.userKey(name);
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        for (int i = 0; i < 6; i++) {
            String value = KubeObjects.user(name, "round-" + i + "@163.com");
            Kv.put(all().get(i % 3), key, value);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> all().stream().allMatch(c -> Kv.get(c, key).equals(Optional.of(value))));
            mirror.awaitSettled();
        }
        assertThat(conflictsFor(key)).isEmpty();
        Kv.delete(all().get(1), key);
        await().atMost(Duration.ofSeconds(30)).until(() -> all().stream().allMatch(c -> Kv.get(c, key).isEmpty()));
        mirror.awaitSettled();
        await().during(QUIET).atMost(QUIET.plusSeconds(5))
                .until(() -> all().stream().allMatch(c -> Kv.get(c, key).isEmpty()));
        assertThat(conflictsFor(key)).isEmpty();
    }
}
