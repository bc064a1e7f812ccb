package io.fedsync.itest.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.WatchRecorder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, item 3: fencing that survives lost disks. Real fedsyncd processes against real etcds:
 * a replacement on an empty data dir takes over, the one it replaced cannot write when it comes
 * back from a pause, and of two started at once from fresh data dirs exactly one keeps writing.
 */
@DisplayName("fencing between real fedsyncd processes, 2 real etcd clusters per test")
class FencingIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host", "host2").build();

    @TempDir
    Path dir;

    private FedsyncdProcess a;
    private FedsyncdProcess b;

    @AfterEach
    void tearDown() {
        for (FedsyncdProcess d : new FedsyncdProcess[] {a, b}) {
            if (d != null) {
                d.resume();
                d.kill();
            }
        }
    }

    private FedsyncdProcess daemon(String id, Path dataDir) {
        return FedsyncdProcess.builder(dir.resolve("fedsyncd-" + id + "-" + Names.randomSuffix()))
                .nodeId(id).dataDir(dataDir).cluster("host", etcd.get("host")).cluster("host2", etcd.get("host2"))
                .build();
    }

    /** A put on host arrives on host2 as exactly one PUT event. */
    private void assertOnePutArrives() {
        String name = Names.random("once");
        String key = KubeObjects.userKey(name);
        try (WatchRecorder w = WatchRecorder.open(etcd.client("host2"), key)) {
            Kv.put(etcd.client("host"), key, KubeObjects.user(name, "once@163.com"));
            await().atMost(WAIT).until(() -> w.count() >= 1);
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(6)).until(() -> w.count() == 1);
        }
        assertThat(Kv.get(etcd.client("host2"), key)).isEqualTo(Kv.get(etcd.client("host"), key));
    }

    private static boolean healthy(FedsyncdProcess d) {
        try {
            return d.get("/healthz").status() == 200;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Test
    @DisplayName("a replacement on an empty data dir takes over; the old one, resumed from a pause, is fenced")
    void replacementOnAFreshDiskTakesOverAndTheOldOneCannotWrite() {
        a = daemon("a", dir.resolve("disk-1")).start().awaitHealthy(WAIT);
        assertOnePutArrives();
        long termA = a.status().path("term").asLong();
        a.pause();

        b = daemon("b", dir.resolve("disk-2-empty")).start().awaitHealthy(WAIT);
        assertThat(b.status().path("term").asLong()).as("above every fence it found").isGreaterThan(termA);
        assertOnePutArrives();

        a.resume();
        await().atMost(WAIT).until(() -> !healthy(a));
        assertThat(a.get("/healthz").json().path("reason").asText()).contains("fenced by another fedsyncd", "b-");
        assertThat(healthy(b)).isTrue();
        assertOnePutArrives();
        // And with the old disk gone for good, a third start on yet another empty disk still takes over.
        b.kill();
        b = daemon("c", dir.resolve("disk-3-empty")).start().awaitHealthy(WAIT);
        assertOnePutArrives();
    }

    @Test
    @DisplayName("a replacement on the same node id and an empty data dir is not fenced out by its own old term")
    void sameNodeIdFreshDisk() {
        a = daemon("a", dir.resolve("disk-1")).start().awaitHealthy(WAIT);
        assertOnePutArrives();
        a.kill();
        // Several restarts on the old disk push the term up; then the disk is lost.
        a.start().awaitHealthy(WAIT);
        a.kill();
        long fence = Kv.get(etcd.client("host"), "/fedsync/v1/fence").map(v -> Long.parseLong(v.substring(0, 20)))
                .orElseThrow();
        b = daemon("a", dir.resolve("disk-2-empty")).start().awaitHealthy(WAIT);
        assertThat(b.status().path("term").asLong()).isEqualTo(fence + 1);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(8)).until(() -> healthy(b));
        assertOnePutArrives();
    }

    @Test
    @DisplayName("two fedsyncd started at once from fresh data dirs: exactly one keeps writing, each put arrives once")
    void twoStartedAtOnceExactlyOneWrites() {
        a = daemon("a", dir.resolve("fresh-a"));
        b = daemon("b", dir.resolve("fresh-b"));
        a.start();
        b.start();
        await().atMost(WAIT).until(() -> healthy(a) && fenced(b) || healthy(b) && fenced(a));
        FedsyncdProcess winner = healthy(a) ? a : b;
        FedsyncdProcess loser = winner == a ? b : a;
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(8))
                .until(() -> healthy(winner) && !healthy(loser));
        for (int i = 0; i < 3; i++) {
            assertOnePutArrives();
        }
        assertThat(List.of(winner.status().path("writer").asText()))
                .allSatisfy(w -> assertThat(Kv.get(etcd.client("host"), "/fedsync/v1/fence").orElseThrow()).endsWith(w));
    }

    private static boolean fenced(FedsyncdProcess d) {
        try {
            FedsyncdProcess.Response r = d.get("/healthz");
            return r.status() == 503 && r.body().contains("fenced by another fedsyncd");
        } catch (RuntimeException e) {
            return false;
        }
    }
}
