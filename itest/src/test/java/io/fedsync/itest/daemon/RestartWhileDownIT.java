package io.fedsync.itest.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 9, item 1: no change is ever owed silently. A real fedsyncd process is killed (-9) and
 * restarted while a cluster is down, and the cluster comes back after: every update, create and
 * delete made meanwhile must arrive. Each test starts its own real etcd processes.
 */
@DisplayName("real fedsyncd killed (-9) and restarted while a real etcd is down")
class RestartWhileDownIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String USERS = KubeObjects.USERS_PREFIX;

    @TempDir
    Path dir;

    private EtcdClusters etcd;
    private FedsyncdProcess daemon;

    @AfterEach
    void tearDown() {
        if (daemon != null) {
            daemon.kill();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    private EtcdClusters etcds(String... names) {
        etcd = EtcdClusters.builder().withClusters(names).build().start();
        return etcd;
    }

    private FedsyncdProcess daemon(String... order) {
        FedsyncdProcess.Builder b = FedsyncdProcess.builder(dir.resolve("fedsyncd"));
        for (String name : order) {
            b.cluster(name, etcd.get(name));
        }
        return b.build();
    }

    private Client client(String name) {
        return etcd.client(name);
    }

    /** {@code n} users created on {@code on}, mirrored everywhere. */
    private List<String> seed(String on, int n) {
        List<String> keys = new ArrayList<>();
        String run = Names.randomSuffix();
        for (int i = 0; i < n; i++) {
            String name = "u-" + run + "-" + i;
            Kv.put(client(on), KubeObjects.userKey(name), KubeObjects.user(name, name + "@163.com"));
            keys.add(KubeObjects.userKey(name));
        }
        awaitIdentical(etcd.names());
        return keys;
    }

    /** On {@code on}: update 10, delete 5, create 5. Returns what {@code on} holds afterwards. */
    private SortedMap<String, String> changeWhileDown(String on, List<String> seeded, String tag) {
        for (int i = 0; i < 10; i++) {
            String key = seeded.get(i);
            Kv.put(client(on), key, KubeObjects.user(key.substring(USERS.length()), tag + "-updated@163.com"));
        }
        for (int i = 10; i < 15; i++) {
            Kv.delete(client(on), seeded.get(i));
        }
        for (int i = 0; i < 5; i++) {
            String name = "new-" + tag + "-" + Names.randomSuffix();
            Kv.put(client(on), KubeObjects.userKey(name), KubeObjects.user(name, tag + "-created@163.com"));
        }
        return Kv.keys(client(on), USERS);
    }

    private void awaitIdentical(List<String> clusters) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            SortedMap<String, String> first = Kv.keys(client(clusters.get(0)), USERS);
            for (String c : clusters.subList(1, clusters.size())) {
                if (!first.equals(Kv.keys(client(c), USERS))) {
                    return false;
                }
            }
            return true;
        });
    }

    private JsonNode cluster(String name) {
        for (JsonNode c : daemon.status().path("clusters")) {
            if (c.path("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no cluster " + name + " in " + daemon.status());
    }

    private void killAndRestart() {
        daemon.kill();
        daemon.start().awaitHealthy(WAIT);
    }

    @ParameterizedTest(name = "the down cluster is listed {0} in the config")
    @ValueSource(strings = {"last", "first"})
    @DisplayName("the users' case: host2 down, host updates 10, deletes 5, creates 5, fedsyncd kill -9 and restarted,"
            + " then host2 back: everything arrives")
    void restartWhileAClusterIsDown(String position) {
        etcds("host", "host2");
        daemon = ("last".equals(position) ? daemon("host", "host2") : daemon("host2", "host")).start()
                .awaitHealthy(WAIT);
        List<String> seeded = seed("host", 20);
        etcd.get("host2").stop();
        await().atMost(WAIT).until(() -> cluster("host2").path("state").asText().equals("down"));
        SortedMap<String, String> expected = changeWhileDown("host", seeded, "h");
        await().atMost(WAIT).untilAsserted(() -> assertThat(cluster("host2").path("owedKeys").asLong())
                .as("before the restart: what host2 is owed").isEqualTo(20));

        killAndRestart();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(cluster("host2").path("state").asText()).isEqualTo("down");
            assertThat(cluster("host2").path("owedKeys").asLong()).as("after the restart, still owed: %s",
                    daemon.status()).isGreaterThanOrEqualTo(20);
        });
        etcd.get("host2").start();

        awaitIdentical(List.of("host", "host2"));
        assertThat(Kv.keys(client("host2"), USERS)).isEqualTo(expected);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(cluster("host2").path("state").asText()).isEqualTo("live");
            assertThat(cluster("host2").path("owedKeys").asLong()).isZero();
        });
        assertThat(daemon.conflicts("")).isEmpty();
    }

    @Test
    @DisplayName("two restarts while host2 is down, with changes before and between them: everything arrives")
    void twoRestartsWhileDown() {
        etcds("host", "host2");
        daemon = daemon("host", "host2").start().awaitHealthy(WAIT);
        List<String> seeded = seed("host", 30);
        etcd.get("host2").stop();
        await().atMost(WAIT).until(() -> cluster("host2").path("state").asText().equals("down"));
        changeWhileDown("host", seeded, "first");
        killAndRestart();
        changeWhileDown("host", seeded.subList(15, 30), "second");
        killAndRestart();
        SortedMap<String, String> expected = Kv.keys(client("host"), USERS);
        etcd.get("host2").start();
        awaitIdentical(List.of("host", "host2"));
        assertThat(Kv.keys(client("host2"), USERS)).isEqualTo(expected);
        assertThat(daemon.conflicts("")).isEmpty();
    }

    @Test
    @DisplayName("3 clusters, host3 down: host's changes reach host2 at once and host3 after a restart")
    void threeClustersOneDownAcrossARestart() {
        etcds("host", "host2", "host3");
        daemon = daemon("host", "host2", "host3").start().awaitHealthy(WAIT);
        List<String> seeded = seed("host2", 20);
        etcd.get("host3").stop();
        await().atMost(WAIT).until(() -> cluster("host3").path("state").asText().equals("down"));
        SortedMap<String, String> expected = changeWhileDown("host", seeded, "h");
        await().atMost(WAIT).until(() -> Kv.keys(client("host2"), USERS).equals(expected));
        killAndRestart();
        await().atMost(WAIT).untilAsserted(() -> assertThat(cluster("host3").path("owedKeys").asLong())
                .as("host3 is owed what host and host2 agreed on").isGreaterThanOrEqualTo(20));
        etcd.get("host3").start();
        awaitIdentical(List.of("host", "host2", "host3"));
        assertThat(Kv.keys(client("host3"), USERS)).isEqualTo(expected);
        assertThat(daemon.conflicts("")).isEmpty();
    }

    @Test
    @DisplayName("host2 comes back while fedsyncd is down: everything changed on both sides arrives at the next start")
    void clusterBackWhileFedsyncdIsDown() {
        etcds("host", "host2");
        daemon = daemon("host", "host2").start().awaitHealthy(WAIT);
        List<String> seeded = seed("host", 30);
        etcd.get("host2").stop();
        await().atMost(WAIT).until(() -> cluster("host2").path("state").asText().equals("down"));
        changeWhileDown("host", seeded.subList(0, 15), "h");
        daemon.kill();
        etcd.get("host2").start();
        // host2 changes other keys while nobody mirrors.
        changeWhileDown("host2", seeded.subList(15, 30), "h2");
        daemon.start().awaitHealthy(WAIT);
        awaitIdentical(List.of("host", "host2"));
        Map<String, String> now = Kv.keys(client("host"), USERS);
        for (int i = 0; i < 10; i++) {
            assertThat(now.get(seeded.get(i))).contains("h-updated@");
            assertThat(now.get(seeded.get(15 + i))).contains("h2-updated@");
        }
        for (int i = 10; i < 15; i++) {
            assertThat(now).doesNotContainKeys(seeded.get(i), seeded.get(15 + i));
        }
        assertThat(now.values().stream().filter(v -> v.contains("h-created@"))).hasSize(5);
        assertThat(now.values().stream().filter(v -> v.contains("h2-created@"))).hasSize(5);
        assertThat(daemon.conflicts("")).isEmpty();
    }
}
