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
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** fedsyncd as users run it: a separate JVM with a config file, reached over HTTP. */
@DisplayName("real fedsyncd process, 2 real etcd clusters per test")
class FedsyncdProcessIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host", "host2").build();

    @TempDir
    Path dir;

    private FedsyncdProcess daemon;

    @AfterEach
    void stopDaemon() {
        if (daemon != null) {
            daemon.kill();
        }
    }

    private Client host() {
        return etcd.client("host");
    }

    private Client host2() {
        return etcd.client("host2");
    }

    private FedsyncdProcess daemon() {
        return FedsyncdProcess.builder(dir.resolve("fedsyncd")).cluster("host", etcd.get("host"))
                .cluster("host2", etcd.get("host2")).build();
    }

    private static String user(String name, String email) {
        return KubeObjects.user(name, email);
    }

    @Test
    @DisplayName("mirrors both ways; status has both ordered pairs with a cursor, idle lag 0; no conflict")
    void mirrorsBothWaysAndReportsStatus() {
        daemon = daemon().start().awaitHealthy(WAIT);
        String a = KubeObjects.userKey(Names.random("a"));
        String b = KubeObjects.userKey(Names.random("b"));
        Kv.put(host(), a, user("a", "a@163.com"));
        Kv.put(host2(), b, user("b", "b@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(host2(), a).isPresent() && Kv.get(host(), b).isPresent());
        assertThat(Kv.get(host2(), a)).isEqualTo(Kv.get(host(), a));
        assertThat(Kv.get(host(), b)).isEqualTo(Kv.get(host2(), b));

        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode pairs = daemon.status().path("pairs");
            assertThat(pairs).hasSize(2);
            for (JsonNode p : pairs) {
                assertThat(p.path("cursorRevision").asLong()).as(p.toString()).isPositive();
                assertThat(p.path("lagRevisions").asLong()).as(p.toString()).isZero();
                assertThat(p.path("lagMillis").asLong()).as(p.toString()).isZero();
            }
            assertThat(pairs.findValuesAsText("from")).containsExactlyInAnyOrder("host", "host2");
        });
        assertThat(daemon.conflicts("")).isEmpty();
        assertThat(daemon.get("/readyz").status()).isEqualTo(200);
    }

    @Test
    @DisplayName("kill -9, changes on both sides (create, update, delete), restart: all arrive, resumed from the cursor, higher term")
    void killedDaemonResumesFromCursor() {
        daemon = daemon().start().awaitHealthy(WAIT);
        String run = Names.randomSuffix();
        String updated = KubeObjects.userKey("upd-" + run);
        String deleted = KubeObjects.userKey("del-" + run);
        String created = KubeObjects.userKey("new-" + run);
        Kv.put(host(), updated, user("upd-" + run, "before@163.com"));
        Kv.put(host2(), deleted, user("del-" + run, "d@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(host2(), updated).isPresent() && Kv.get(host(), deleted).isPresent());
        await().atMost(WAIT).until(() -> daemon.status().path("pairs").findValues("lagRevisions").stream()
                .allMatch(n -> n.asLong() == 0));
        long termBefore = daemon.status().path("term").asLong();
        // Let the cursor be saved (every 250 ms) past the seeded keys before the kill.
        await().pollDelay(Duration.ofSeconds(1)).atMost(WAIT).until(() -> true);
        daemon.kill();

        Kv.put(host2(), updated, user("upd-" + run, "after@163.com"));
        Kv.delete(host(), deleted);
        Kv.put(host(), created, user("new-" + run, "n@163.com"));
        daemon.start().awaitHealthy(WAIT);

        await().atMost(WAIT).until(() -> Kv.get(host(), updated).map(v -> v.contains("after@163.com")).orElse(false)
                && Kv.get(host2(), deleted).isEmpty() && Kv.get(host2(), created).isPresent());
        assertThat(Kv.get(host(), updated)).isEqualTo(Kv.get(host2(), updated));
        assertThat(daemon.logText()).contains("resuming from cursor");
        assertThat(daemon.status().path("term").asLong()).isGreaterThan(termBefore);
        assertThat(daemon.conflicts("")).as("edits made on one side only are no conflict").isEmpty();
    }

    @Test
    @DisplayName("verification through the daemon: every verifyInterval and on POST /api/v1/verify; metadata changed"
            + " behind its back is repaired and reported in /api/v1/status")
    void verificationThroughTheDaemon() throws Exception {
        daemon = FedsyncdProcess.builder(dir.resolve("fedsyncd")).cluster("host", etcd.get("host"))
                .cluster("host2", etcd.get("host2")).mirror("verifyInterval: 2s").build().start().awaitHealthy(WAIT);
        String name = Names.random("v");
        String key = KubeObjects.userKey(name);
        Kv.put(host(), key, user(name, "v@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(host2(), key).isPresent());
        await().atMost(WAIT).untilAsserted(() -> assertThat(daemon.status().path("verify").path("keysChecked").asLong())
                .as("a periodic pass ran").isPositive());

        // Behind fedsyncd's back: host2's metadata loses the content hash (no watch sees metadata).
        String metaKey = "/fedsync/v1/meta" + key;
        com.fasterxml.jackson.databind.node.ObjectNode meta = (com.fasterxml.jackson.databind.node.ObjectNode)
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(Kv.get(host2(), metaKey).orElseThrow());
        meta.put("h", "0000000000000000");
        meta.put("r", Kv.getKeyValue(host2(), key).orElseThrow().getModRevision());
        Kv.put(host2(), metaKey, meta.toString());

        FedsyncdProcess.Response r = daemon.send("POST", "/api/v1/verify", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("keysChecked").asLong()).isPositive();
        await().atMost(WAIT).until(() -> !Kv.get(host2(), metaKey).orElseThrow().contains("0000000000000000"));
        // Found and repaired by this pass, or by a periodic one just before it: either says so.
        assertThat(daemon.status().path("notices").findValuesAsText("message"))
                .anySatisfy(m -> assertThat(m).isEqualTo("verification found 1 divergent keys, repaired 1"));
        FedsyncdProcess.Response again = daemon.send("POST", "/api/v1/verify", null);
        assertThat(again.json().path("divergent").asLong()).as("nothing left: %s", again.body()).isZero();
        assertThat(again.json().path("error").isNull()).isTrue();
    }

    @Test
    @DisplayName("a cluster whose etcd does not answer: fedsyncd starts, says it is down, and catches up when it answers")
    void unreachableClusterAtStartJoinsLater() {
        etcd.get("host2").stop();
        daemon = daemon().start().awaitHealthy(WAIT);
        await().atMost(WAIT).until(() -> daemon.clusterState("host2").equals("down"));
        JsonNode host2 = findCluster(daemon.status(), "host2");
        assertThat(host2.path("error").asText()).as("the reason is reported").isNotBlank();
        assertThat(daemon.get("/healthz").status()).as("one cluster down is not an unhealthy mirror").isEqualTo(200);
        assertThat(daemon.get("/readyz").status()).as("not ready while a cluster is down").isEqualTo(503);

        String key = KubeObjects.userKey(Names.random("while-down"));
        Kv.put(host(), key, user("while-down", "w@163.com"));
        etcd.get("host2").start();
        await().atMost(WAIT).until(() -> daemon.clusterState("host2").equals("live"));
        await().atMost(WAIT).until(() -> Kv.get(host2(), key).isPresent());
        assertThat(Kv.get(host2(), key)).isEqualTo(Kv.get(host(), key));
    }

    @Test
    @DisplayName("S2 through the daemon: edits while it is stopped become one open conflict in /api/v1/conflicts")
    void conflictsEndpointListsHeldConflict() {
        daemon = daemon().start().awaitHealthy(WAIT);
        String name = Names.random("s2");
        String key = KubeObjects.userKey(name);
        Kv.put(host(), key, user(name, "first@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(host2(), key).isPresent());
        await().pollDelay(Duration.ofSeconds(1)).atMost(WAIT).until(() -> true);
        assertThat(daemon.stop()).as("a clean exit 0 after SIGTERM, as systemd expects").isZero();
        Kv.put(host(), key, user(name, "one@163.com"));
        Kv.put(host2(), key, user(name, "two@163.com"));
        daemon.start().awaitHealthy(WAIT);

        await().atMost(WAIT).until(() -> !daemon.conflicts("state=open&key=" + key).isEmpty());
        List<JsonNode> open = daemon.conflicts("state=open&key=" + key);
        assertThat(open).singleElement().satisfies(c -> {
            assertThat(c.path("id").asText()).isNotBlank();
            assertThat(c.path("key").asText()).isEqualTo(key);
            assertThat(c.path("type").asText()).isEqualTo("concurrent-update");
            assertThat(c.path("state").asText()).isEqualTo("open");
            assertThat(c.path("clusters").toString()).isEqualTo("[\"host\",\"host2\"]");
            assertThat(c.path("detectedAt").asText()).isNotBlank();
        });
        String id = open.get(0).path("id").asText();
        FedsyncdProcess.Response one = daemon.get("/api/v1/conflicts/" + id);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.json().path("sides")).hasSize(2);
        assertThat(Kv.get(host(), key)).map(v -> v.contains("one@163.com")).contains(true);
        assertThat(Kv.get(host2(), key)).map(v -> v.contains("two@163.com")).contains(true);
    }

    @Test
    @DisplayName("HTTP bad input gets a JSON error: unknown path 404, wrong method 405, bad filter or %-escape 400, long path 414, big header 431")
    void httpErrorsAreJson() {
        daemon = daemon().start().awaitHealthy(WAIT);
        assertJsonError(daemon.get("/api/v1/nothing-here"), 404);
        assertJsonError(daemon.get("/api/v1/conflicts/no-such-id"), 404);
        assertJsonError(daemon.send("DELETE", "/api/v1/status", null), 405);
        assertJsonError(daemon.get("/api/v1/conflicts?state=bogus"), 400);
        // What HttpClient will not send: bad %-escapes, a 16 KiB path, a 20 KB header.
        assertJsonError(daemon.raw(request("/api/v1/conflicts?state=%zz", "")), 400);
        assertJsonError(daemon.raw(request("/api/v1/conflicts/%zz", "")), 400);
        assertJsonError(daemon.raw(request("/api/v1/conflicts/" + "a".repeat(16 * 1024), "")), 414);
        assertJsonError(daemon.raw(request("/healthz", "X-Big: " + "b".repeat(20_000) + "\r\n")), 431);
        assertThat(daemon.get("/healthz").status()).as("still serving").isEqualTo(200);
    }

    private static String request(String target, String extraHeaders) {
        return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extraHeaders + "Connection: close\r\n\r\n";
    }

    private static void assertJsonError(FedsyncdProcess.Response r, int status) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.json().path("error").asText()).as(r.body()).isNotBlank();
        assertThat(r.body()).doesNotContain("Exception", "\tat ");
    }

    private static JsonNode findCluster(JsonNode status, String name) {
        Optional<JsonNode> found = Optional.empty();
        for (JsonNode c : status.path("clusters")) {
            if (c.path("name").asText().equals(name)) {
                found = Optional.of(c);
            }
        }
        return found.orElseThrow();
    }
}
