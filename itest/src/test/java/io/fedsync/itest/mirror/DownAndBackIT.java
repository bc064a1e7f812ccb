package io.fedsync.itest.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.mirror.MirrorStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SCENARIOS.md S5 (a cluster or the mirror is down while writes and deletes happen) and S6 (the
 * mirror falls behind past compaction), each test on its own pair of real etcd processes.
 */
@DisplayName("mirror down and back, 2 real etcd clusters per test")
class DownAndBackIT {

    private static final String USERS = KubeObjects.USERS_PREFIX;

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host", "host2").build();

    private MirrorHarness mirror;

    @AfterEach
    void stopMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    private Client host() {
        return etcd.client("host");
    }

    private Client host2() {
        return etcd.client("host2");
    }

    /** Users on both sides, mirrored and settled. */
    private List<String> seed(int n) {
        String run = Names.randomSuffix();
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = "seed-" + run + "-" + i;
            Kv.put(i % 2 == 0 ? host() : host2(), KubeObjects.userKey(name), KubeObjects.user(name, name + "@163.com"));
            names.add(name);
        }
        Convergence.awaitIdentical(List.of(host(), host2()), USERS, Duration.ofSeconds(60));
        mirror.awaitSettled();
        return names;
    }

    /** Starts the mirror, seeds {@code n} users, then kills (-9) or stops host2's etcd and waits until it is down. */
    private List<String> seedThenStopHost2(int n, boolean kill) {
        mirror = new MirrorHarness(etcd, new ResolutionPolicy.Hold()).start();
        List<String> seeded = seed(n);
        if (kill) {
            etcd.get("host2").kill();
        } else {
            etcd.get("host2").stop();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> state("host2").equals("down"));
        return seeded;
    }

    /** A user created on host; returns its name. */
    private String createOnHost() {
        String created = "created-while-down-" + Names.randomSuffix();
        Kv.put(host(), KubeObjects.userKey(created), KubeObjects.user(created, "c@163.com"));
        return created;
    }

    /** Creates, updates and deletes on both sides, on disjoint keys (no conflicts). */
    private void changeBothSides(List<String> seeded) {
        for (int i = 0; i < 20; i++) {
            String n = "new-host-" + Names.randomSuffix();
            Kv.put(host(), KubeObjects.userKey(n), KubeObjects.user(n, "h@163.com"));
            String m = "new-host2-" + Names.randomSuffix();
            Kv.put(host2(), KubeObjects.userKey(m), KubeObjects.user(m, "h2@163.com"));
        }
        for (int i = 0; i < seeded.size(); i++) {
            String key = KubeObjects.userKey(seeded.get(i));
            switch (i % 4) {
                case 0 -> Kv.delete(host(), key);
                case 1 -> Kv.delete(host2(), key);
                case 2 -> Kv.put(host(), key, KubeObjects.user(seeded.get(i), "changed-on-host@163.com"));
                default -> Kv.put(host2(), key, KubeObjects.user(seeded.get(i), "changed-on-host2@163.com"));
            }
        }
    }

    private void assertChangesArrived(List<String> seeded) {
        Convergence.awaitIdentical(List.of(host(), host2()), USERS, Duration.ofSeconds(60));
        mirror.awaitSettled();
        Map<String, String> onHost = Kv.keys(host(), USERS);
        for (int i = 0; i < seeded.size(); i++) {
            String key = KubeObjects.userKey(seeded.get(i));
            switch (i % 4) {
                case 0, 1 -> assertThat(onHost).as("deleted " + key).doesNotContainKey(key);
                case 2 -> assertThat(onHost.get(key)).contains("changed-on-host@");
                default -> assertThat(onHost.get(key)).contains("changed-on-host2@");
            }
        }
        assertThat(onHost.keySet().stream().filter(k -> k.contains("/new-host-"))).hasSize(20);
        assertThat(onHost.keySet().stream().filter(k -> k.contains("/new-host2-"))).hasSize(20);
        assertThat(mirror.conflicts()).as("no conflicts: every change was on its own key").isEmpty();
        // Nothing deleted comes back once the mirror has settled.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(6))
                .until(() -> Convergence.identical(List.of(host(), host2()), USERS)
                        && Kv.keys(host(), USERS).equals(onHost));
    }

    @Test
    @DisplayName("S5: the mirror is down while both sides create, update and delete; on restart from its cursor, all arrives")
    void mirrorDownThenResumesFromCursor() {
        mirror = new MirrorHarness(etcd, new ResolutionPolicy.Hold()).start();
        List<String> seeded = seed(16);
        mirror.stop();
        assertThat(mirror.store().loadCursors()).as("cursors stored when the mirror stopped").isNotEmpty()
                .allSatisfy((k, v) -> assertThat(v).isPositive());
        changeBothSides(seeded);
        mirror.start();
        assertChangesArrived(seeded);
        assertThat(mirror.counter("compactionReconciles")).isZero();
    }

    @Test
    @DisplayName("S5: host2's etcd is killed (-9) while host creates, updates and deletes; when it is back, all arrives")
    void clusterKilledThenBack() {
        List<String> seeded = seedThenStopHost2(16, true);
        for (int i = 0; i < seeded.size(); i++) {
            String key = KubeObjects.userKey(seeded.get(i));
            if (i % 2 == 0) {
                Kv.delete(host(), key);
            } else {
                Kv.put(host(), key, KubeObjects.user(seeded.get(i), "while-down@163.com"));
            }
        }
        String created = createOnHost();
        assertThat(mirror.engine().healthy()).isTrue();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(pair("host", "host2"))
                .as("status while host2 is down: host's changes are owed to it")
                .satisfies(p -> assertThat(p.lagRevisions()).isPositive())
                .satisfies(p -> assertThat(p.lagMillis()).isPositive()));
        etcd.get("host2").restart();
        Convergence.awaitIdentical(List.of(host(), host2()), USERS, Duration.ofSeconds(60));
        mirror.awaitSettled();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(pair("host", "host2"))
                .satisfies(p -> assertThat(p.lagRevisions()).isZero())
                .satisfies(p -> assertThat(p.lagMillis()).isZero()));
        Map<String, String> onHost2 = Kv.keys(host2(), USERS);
        for (int i = 0; i < seeded.size(); i++) {
            String key = KubeObjects.userKey(seeded.get(i));
            if (i % 2 == 0) {
                assertThat(onHost2).doesNotContainKey(key);
            } else {
                assertThat(onHost2.get(key)).contains("while-down@");
            }
        }
        assertThat(onHost2).containsKey(KubeObjects.userKey(created));
        assertThat(mirror.conflicts()).isEmpty();
    }

    /**
     * gRPC spaces a channel's reconnect attempts exponentially (1 s, 1.6×, up to 2 min): a client
     * kept across a 90 s outage saw etcd back 27 s after it answered. The mirror must not wait
     * for that: host2 must be live within 10 s of answering, however long it was away.
     */
    @Test
    @DisplayName("S5: host2's etcd is stopped for 90 s; it is live again within 10 s of answering, and what changed arrives")
    void longOutageEndsAtOnce() {
        List<String> seeded = seedThenStopHost2(4, false);
        String created = createOnHost();
        Kv.delete(host(), KubeObjects.userKey(seeded.get(0)));
        Duration outage = Duration.ofSeconds(90);
        await().during(outage).atMost(outage.plusSeconds(10)).pollInterval(Duration.ofSeconds(1))
                .until(() -> state("host2").equals("down") && mirror.engine().healthy());

        etcd.get("host2").start();
        long answered = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> state("host2").equals("live"));
        System.out.printf("[DownAndBackIT] host2 (a real etcd, stopped for %d s) was live %d ms after it answered%n",
                outage.toSeconds(), (System.nanoTime() - answered) / 1_000_000);
        Convergence.awaitIdentical(List.of(host(), host2()), USERS, Duration.ofSeconds(30));
        assertThat(Kv.keys(host2(), USERS)).containsKey(KubeObjects.userKey(created))
                .doesNotContainKey(KubeObjects.userKey(seeded.get(0)));
        assertThat(mirror.conflicts()).isEmpty();
    }

    @Test
    @DisplayName("S5: host2's etcd is paused (SIGSTOP) during writes; after SIGCONT every write arrives")
    void clusterPausedThenResumed() {
        mirror = new MirrorHarness(etcd, new ResolutionPolicy.Hold()).start();
        List<String> seeded = seed(8);
        etcd.get("host2").pause();
        try {
            for (String name : seeded) {
                Kv.put(host(), KubeObjects.userKey(name), KubeObjects.user(name, "during-pause@163.com"));
            }
        } finally {
            etcd.get("host2").resume();
        }
        Convergence.awaitIdentical(List.of(host(), host2()), USERS, Duration.ofSeconds(90));
        assertThat(Kv.keys(host2(), USERS).values()).allMatch(v -> v.contains("during-pause@"));
    }

    @Test
    @DisplayName("S6: the mirror falls behind past host's compaction; it reconciles from metadata, deletes included")
    void compactedPastCursorReconcilesFromMetadata() {
        mirror = new MirrorHarness(etcd, new ResolutionPolicy.Hold()).start();
        List<String> seeded = seed(24);
        mirror.stop();
        changeBothSides(seeded);
        etcd.get("host").compactToCurrent();
        etcd.get("host2").compactToCurrent();
        mirror.start();
        assertChangesArrived(seeded);
        assertThat(mirror.counter("compactionReconciles")).isPositive();
    }

    private MirrorStatus.PairStatus pair(String from, String to) {
        return mirror.engine().status().pairs().stream().filter(p -> p.from().equals(from) && p.to().equals(to))
                .findFirst().orElseThrow();
    }

    private String state(String cluster) {
        MirrorStatus s = mirror.engine().status();
        return s.clusters().stream().filter(c -> c.name().equals(cluster)).findFirst().orElseThrow().state();
    }
}
