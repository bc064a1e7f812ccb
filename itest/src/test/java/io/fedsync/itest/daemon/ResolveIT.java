package io.fedsync.itest.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.RaftReplicas;
import io.fedsync.itest.fixture.FreePorts;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.WatchRecorder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * S2 as users hit it, then an operator ends it through the HTTP API and {@code fedsyncctl}:
 * fedsyncd is down while the same user's email is edited differently on both hosts; at restart
 * there is one open concurrent-update conflict, held. A resolution (a winner, an object of the
 * operator's own, or a delete) is written once per cluster and nothing moves afterwards; bad
 * requests change nothing; the bearer token shows up in no answer and no log line.
 */
@DisplayName("resolving conflicts through fedsyncd's HTTP API and fedsyncctl, real etcds and fedsyncd processes")
class ResolveIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "itest-" + Long.toHexString(System.nanoTime()) + "-9f8e7d6c5b4a";

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host", "host2").build();

    @TempDir
    Path dir;

    private final List<FedsyncdProcess> daemons = new ArrayList<>();
    /** Every answer fedsyncd gave in the test, to show the token is in none. */
    private final List<String> answers = new ArrayList<>();

    @AfterEach
    void stop() {
        daemons.forEach(FedsyncdProcess::kill);
    }

    private Client host() {
        return etcd.client("host");
    }

    private Client host2() {
        return etcd.client("host2");
    }

    private Path tokenFile() throws Exception {
        Path f = dir.resolve("api.token");
        if (!Files.exists(f)) {
            Files.writeString(f, TOKEN + "\n");
        }
        return f;
    }

    private FedsyncdProcess.Builder builder(String name) throws Exception {
        return FedsyncdProcess.builder(dir.resolve(name)).cluster("host", etcd.get("host"))
                .cluster("host2", etcd.get("host2")).http("tokenFile: " + tokenFile());
    }

    private FedsyncdProcess.Response call(FedsyncdProcess d, String method, String path, String body,
                                          String authorization) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/json");
        if (authorization != null) {
            headers.put("authorization", authorization);
        }
        FedsyncdProcess.Response r = d.send(method, path, body, headers);
        answers.add(r.body());
        return r;
    }

    private FedsyncdProcess.Response resolve(FedsyncdProcess d, String id, String body) {
        return call(d, "POST", "/api/v1/conflicts/" + id + "/resolve", body, "Bearer " + TOKEN);
    }

    /** The open conflict on {@code key}, once there is exactly one. */
    private static JsonNode openConflict(FedsyncdProcess d, String key) {
        await().atMost(WAIT).until(() -> d.conflicts("state=open&key=" + key).size() == 1);
        return d.conflicts("state=open&key=" + key).get(0);
    }

    /**
     * S2: every user created on host and mirrored, the daemons stopped, each email edited
     * differently on both hosts, the daemons started: one open conflict per user.
     *
     * @return per key, host's and host2's value after the edits
     */
    private Map<String, String[]> concurrentEdits(List<FedsyncdProcess> group, List<String> names) {
        Map<String, String[]> edits = new LinkedHashMap<>();
        for (String name : names) {
            String key = KubeObjects.userKey(name);
            Kv.put(host(), key, KubeObjects.user(name, name + "@163.com"));
        }
        await().atMost(WAIT).until(() -> names.stream().allMatch(n -> Kv.get(host2(), KubeObjects.userKey(n)).isPresent()));
        // Let the mirror settle (its metadata stamped) before it stops.
        await().pollDelay(Duration.ofSeconds(1)).atMost(WAIT).until(() -> true);
        group.forEach(FedsyncdProcess::stop);
        for (String name : names) {
            String key = KubeObjects.userKey(name);
            String one = KubeObjects.user(name, name + "-one@163.com");
            String two = KubeObjects.user(name, name + "-two@163.com");
            Kv.put(host(), key, one);
            Kv.put(host2(), key, two);
            edits.put(key, new String[] {one, two});
        }
        group.forEach(FedsyncdProcess::start);
        group.forEach(d -> d.awaitHealthy(WAIT));
        return edits;
    }

    private static long events(WatchRecorder w, String key) {
        return w.eventsFor(key).size();
    }

    @Test
    @DisplayName("S2 resolved by winner, by value and by delete: each cluster written at most once, quiet after;"
            + " bad requests refused and nothing changed; two at once: one 409; fedsyncctl resolve; no token leaks")
    void resolvesThroughTheApiAndTheCli() throws Exception {
        FedsyncdProcess d = builder("fedsyncd").build();
        daemons.add(d);
        d.start().awaitHealthy(WAIT);
        String run = Names.random("r");
        List<String> names = List.of(run + "-w", run + "-v", run + "-d", run + "-x", run + "-c");
        Map<String, String[]> edits = concurrentEdits(List.of(d), names);
        String kW = KubeObjects.userKey(names.get(0));
        String kV = KubeObjects.userKey(names.get(1));
        String kD = KubeObjects.userKey(names.get(2));
        String kX = KubeObjects.userKey(names.get(3));
        String kC = KubeObjects.userKey(names.get(4));
        Map<String, String> ids = new LinkedHashMap<>();
        for (String key : edits.keySet()) {
            JsonNode c = openConflict(d, key);
            assertThat(c.path("type").asText()).isEqualTo("concurrent-update");
            ids.put(key, c.path("id").asText());
        }
        assertThat(d.logText()).contains("http.tokenFile").doesNotContain(TOKEN);

        // fedsyncctl conflicts: filters, paging through --limit, wide, json; conflict with and without colour.
        String runPrefix = KubeObjects.userKey(run);
        FedsyncdProcess.Result wide = FedsyncdProcess.fedsyncctl(WAIT, "--server", d.url(""), "conflicts", "--state",
                "open", "--kind", "users", "--cluster", "host2", "--type", "concurrent-update", "--key", runPrefix,
                "-o", "wide");
        assertThat(wide.exitCode()).as(wide.stderr()).isZero();
        assertThat(wide.stdout().lines().toList()).hasSize(1 + edits.size());
        assertThat(wide.stdout()).contains("REVISIONS", "VECTORS", "RESOLUTION", "User");
        ids.values().forEach(id -> assertThat(wide.stdout()).contains(id));
        FedsyncdProcess.Result two = FedsyncdProcess.fedsyncctl(WAIT, "--server", d.url(""), "conflicts", "--key",
                runPrefix, "--limit", "2");
        assertThat(two.exitCode()).as(two.stderr()).isZero();
        assertThat(two.stdout().lines().toList()).hasSize(3);
        assertThat(two.stderr()).contains("3 more conflicts not shown");
        FedsyncdProcess.Result asJson = FedsyncdProcess.fedsyncctl(WAIT, "--server", d.url(""), "conflicts", "--key",
                runPrefix, "--kind", "GlobalRole", "-o", "json");
        assertThat(asJson.exitCode()).as(asJson.stderr()).isZero();
        assertThat(JSON.readTree(asJson.stdout()).path("items")).as("no GlobalRole among the users").isEmpty();
        FedsyncdProcess.Result badKind = FedsyncdProcess.fedsyncctl(WAIT, "--server", d.url(""), "conflicts", "--type",
                "nonsense");
        assertThat(badKind.exitCode()).isEqualTo(1);
        assertThat(badKind.stderr()).contains("400", "'type'");
        FedsyncdProcess.Result plain = FedsyncdProcess.fedsyncctl(WAIT, "--server", d.url(""), "conflict",
                ids.get(kX));
        assertThat(plain.stdout()).contains("KIND:      User (users)", names.get(3) + "-one@163.com")
                .as("not a terminal: no colour").doesNotContain("\u001B[");
        FedsyncdProcess.Result coloured = FedsyncdProcess.fedsyncctl(WAIT, "--server", d.url(""), "conflict",
                ids.get(kX), "--color=always");
        assertThat(coloured.stdout()).contains("\u001B[31m" + names.get(3) + "-one@163.com\u001B[0m",
                "\u001B[32m" + names.get(3) + "-two@163.com\u001B[0m");

        // The detail shows what differs, per side.
        JsonNode detail = d.get("/api/v1/conflicts/" + ids.get(kX)).json();
        assertThat(detail.path("diff").toString()).isEqualTo("[{\"path\":\"/spec/email\",\"values\":{\"host\":\""
                + names.get(3) + "-one@163.com\",\"host2\":\"" + names.get(3) + "-two@163.com\"}}]");

        // GET /api/v1/keys/{key}: both sides present with different content, the open conflict named.
        JsonNode held = d.get("/api/v1/keys" + kX).json();
        assertThat(held.path("clusters")).hasSize(2);
        assertThat(held.path("clusters").findValuesAsText("present")).containsOnly("true");
        assertThat(held.path("clusters").get(0).path("valueHash").asText())
                .isNotEqualTo(held.path("clusters").get(1).path("valueHash").asText());
        assertThat(held.path("conflicts").findValuesAsText("id")).contains(ids.get(kX));

        try (WatchRecorder onHost = WatchRecorder.open(host(), KubeObjects.USERS_PREFIX);
             WatchRecorder onHost2 = WatchRecorder.open(host2(), KubeObjects.USERS_PREFIX)) {
            // ---- refused, nothing changed ----
            String x = ids.get(kX);
            String path = "/api/v1/conflicts/" + x + "/resolve";
            assertError(call(d, "POST", path, "{\"winner\": \"host\"}", null), 401, "Authorization: Bearer");
            assertError(call(d, "POST", path, "{\"winner\": \"host\"}", "Bearer " + TOKEN + "0"), 403, "not the one");
            assertError(call(d, "POST", "/api/v1/verify", null, null), 401, "Authorization");
            assertError(resolve(d, "0000000000000000", "{\"winner\": \"host\"}"), 404, "no conflict");
            assertError(resolve(d, x, "{\"winner\": \"host3\"}"), 422, "not a side");
            ObjectNode otherKind = (ObjectNode) JSON.readTree(edits.get(kX)[0]);
            otherKind.put("kind", "GlobalRole");
            assertError(resolve(d, x, "{\"value\": " + otherKind + "}"), 422, "kind 'GlobalRole' is not 'User'");
            ObjectNode otherName = (ObjectNode) JSON.readTree(edits.get(kX)[0]);
            ((ObjectNode) otherName.path("metadata")).put("name", "someone-else");
            assertError(resolve(d, x, "{\"value\": " + otherName + "}"), 422, "metadata.name");
            assertError(resolve(d, x, "{\"winner\": \"host\""), 400, "not JSON");
            assertError(resolve(d, x, "{\"winner\": \"host\", \"delete\": true}"), 400, "exactly one of");
            assertThat(d.conflicts("state=open&key=" + kX)).as("still open").hasSize(1);
            assertThat(Kv.get(host(), kX)).contains(edits.get(kX)[0]);
            assertThat(Kv.get(host2(), kX)).contains(edits.get(kX)[1]);

            // ---- by winner: host2's bytes everywhere ----
            FedsyncdProcess.Response byWinner = resolve(d, ids.get(kW), "{\"winner\": \"host2\"}");
            assertThat(byWinner.status()).as(byWinner.body()).isEqualTo(200);
            JsonNode res = byWinner.json().path("resolution");
            assertThat(byWinner.json().path("state").asText()).isEqualTo("resolved");
            assertThat(res.path("winner").asText()).isEqualTo("host2");
            assertThat(res.path("by").asText()).isEqualTo("api");
            assertThat(res.path("how").asText()).isEqualTo("winner");
            await().atMost(WAIT).until(() -> Kv.get(host(), kW).equals(Optional.of(edits.get(kW)[1])));
            assertThat(Kv.get(host2(), kW)).contains(edits.get(kW)[1]);
            assertError(resolve(d, ids.get(kW), "{\"winner\": \"host\"}"), 409, "already resolved");
            // Explained: one version everywhere, its metadata describing the data, the conflict resolved.
            await().atMost(WAIT).until(() -> {
                JsonNode k = d.get("/api/v1/keys" + kW).json();
                JsonNode a = k.path("clusters").get(0);
                JsonNode b = k.path("clusters").get(1);
                return a.path("described").asBoolean() && b.path("described").asBoolean()
                        && a.path("valueHash").equals(b.path("valueHash"))
                        && a.path("meta").path("vector").equals(b.path("meta").path("vector"));
            });
            JsonNode explained = d.get("/api/v1/keys" + kW).json();
            assertThat(explained.path("conflicts").get(0).path("state").asText()).isEqualTo("resolved");
            FedsyncdProcess.Result explainCtl = FedsyncdProcess.fedsyncctl(WAIT, "--server", d.url(""), "explain", kW);
            assertThat(explainCtl.exitCode()).as(explainCtl.stderr()).isZero();
            assertThat(explainCtl.stdout()).contains(kW, "host2", "present", ids.get(kW));

            // ---- by value: the operator's object everywhere ----
            ObjectNode mine = (ObjectNode) JSON.readTree(edits.get(kV)[0]);
            ((ObjectNode) mine.path("spec")).put("email", "operator@163.com");
            FedsyncdProcess.Response byValue = resolve(d, ids.get(kV), "{\"value\": " + mine + "}");
            assertThat(byValue.status()).as(byValue.body()).isEqualTo(200);
            assertThat(byValue.json().path("resolution").path("how").asText()).isEqualTo("value");
            String written = JSON.writeValueAsString(mine) + "\n";
            await().atMost(WAIT).until(() -> Kv.get(host(), kV).equals(Optional.of(written))
                    && Kv.get(host2(), kV).equals(Optional.of(written)));

            // ---- by delete: gone everywhere ----
            FedsyncdProcess.Response byDelete = resolve(d, ids.get(kD), "{\"delete\": true}");
            assertThat(byDelete.status()).as(byDelete.body()).isEqualTo(200);
            assertThat(byDelete.json().path("resolution").path("how").asText()).isEqualTo("delete");
            await().atMost(WAIT).until(() -> Kv.get(host(), kD).isEmpty() && Kv.get(host2(), kD).isEmpty());

            // ---- two resolutions of one conflict at once: exactly one wins ----
            CompletableFuture<FedsyncdProcess.Response> first =
                    CompletableFuture.supplyAsync(() -> resolve(d, x, "{\"winner\": \"host\"}"));
            CompletableFuture<FedsyncdProcess.Response> second =
                    CompletableFuture.supplyAsync(() -> resolve(d, x, "{\"winner\": \"host2\"}"));
            List<Integer> statuses = List.of(first.get().status(), second.get().status());
            assertThat(statuses).as(first.get().body() + " / " + second.get().body()).containsExactlyInAnyOrder(200, 409);
            String expected = first.get().status() == 200 ? edits.get(kX)[0] : edits.get(kX)[1];
            await().atMost(WAIT).until(() -> Kv.get(host(), kX).equals(Optional.of(expected))
                    && Kv.get(host2(), kX).equals(Optional.of(expected)));

            // ---- fedsyncctl: conflict shows the diff; resolve without the token is refused, with it works ----
            String c = ids.get(kC);
            FedsyncdProcess.Result shown = FedsyncdProcess.fedsyncctl(WAIT, "--server", d.url(""), "conflict", c);
            assertThat(shown.exitCode()).as(shown.stderr()).isZero();
            assertThat(shown.stdout()).contains("/spec/email", names.get(4) + "-one@163.com",
                    names.get(4) + "-two@163.com", "concurrent-update");
            FedsyncdProcess.Result noToken = FedsyncdProcess.fedsyncctl(WAIT, "--server", d.url(""), "resolve", c,
                    "--winner", "host");
            assertThat(noToken.exitCode()).as(noToken.stderr()).isEqualTo(1);
            assertThat(noToken.stderr()).contains("401");
            FedsyncdProcess.Result usage = FedsyncdProcess.fedsyncctl(WAIT, "--server", d.url(""), "resolve", c,
                    "--winner", "host", "--delete");
            assertThat(usage.exitCode()).as(usage.stderr()).isEqualTo(2);
            FedsyncdProcess.Result ctl = FedsyncdProcess.fedsyncctl(WAIT, "--server", d.url(""), "resolve", c,
                    "--winner", "host", "--token-file", tokenFile().toString());
            assertThat(ctl.exitCode()).as(ctl.stderr()).isZero();
            assertThat(ctl.stdout()).contains("resolved", "host wins");
            answers.add(shown.stdout() + shown.stderr() + noToken.stderr() + usage.stderr() + ctl.stdout() + ctl.stderr());
            await().atMost(WAIT).until(() -> Kv.get(host2(), kC).equals(Optional.of(edits.get(kC)[0])));

            // ---- afterwards: quiet, each cluster written at most once per key ----
            await().pollDelay(Duration.ofSeconds(3)).atMost(WAIT).until(() -> true);
            int before = onHost.count() + onHost2.count();
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> onHost.count() + onHost2.count() == before);
            Map<String, String> counts = edits.keySet().stream().collect(Collectors.toMap(k -> k,
                    k -> events(onHost, k) + "/" + events(onHost2, k), (a, b) -> a, LinkedHashMap::new));
            assertThat(events(onHost, kW)).as(counts.toString()).isEqualTo(1);
            assertThat(events(onHost2, kW)).as("the winner keeps its bytes: " + counts).isZero();
            assertThat(events(onHost, kV)).as(counts.toString()).isEqualTo(1);
            assertThat(events(onHost2, kV)).as(counts.toString()).isEqualTo(1);
            assertThat(onHost.eventsFor(kD)).as(counts.toString()).singleElement()
                    .satisfies(e -> assertThat(e.isDelete()).isTrue());
            assertThat(onHost2.eventsFor(kD)).as(counts.toString()).singleElement()
                    .satisfies(e -> assertThat(e.isDelete()).isTrue());
            assertThat(events(onHost, kX) + events(onHost2, kX)).as(counts.toString()).isEqualTo(1);
            assertThat(events(onHost, kC)).as(counts.toString()).isZero();
            assertThat(events(onHost2, kC)).as(counts.toString()).isEqualTo(1);
        }
        assertThat(d.conflicts("state=open")).as("every conflict ended").isEmpty();
        for (String key : edits.keySet()) {
            JsonNode r = d.conflicts("state=resolved&key=" + key).get(0);
            assertThat(r.path("resolution").path("by").asText()).isEqualTo("api");
            assertThat(r.path("resolution").path("at").asText()).isNotBlank();
        }
        // The token is in no answer and no log line.
        assertThat(answers).noneMatch(a -> a.contains(TOKEN));
        assertThat(d.logText()).doesNotContain(TOKEN);
    }

    @Test
    @DisplayName("a 3-replica group: a resolution sent to a follower is forwarded to the mirror, and every replica"
            + " shows it")
    void aFollowerForwardsAResolution() throws Exception {
        Map<String, Integer> ports = new LinkedHashMap<>();
        List.of("a", "b", "c").forEach(id -> ports.put(id, FreePorts.pick()));
        Map<String, FedsyncdProcess> group = new LinkedHashMap<>();
        for (String id : ports.keySet()) {
            FedsyncdProcess r = builder("fedsyncd-" + id).replica(id, ports).build();
            group.put(id, r);
            daemons.add(r);
        }
        group.values().forEach(FedsyncdProcess::start);
        group.values().forEach(r -> r.awaitHealthy(WAIT));
        String name = Names.random("grp");
        String key = KubeObjects.userKey(name);
        Map<String, String[]> edits = concurrentEdits(List.copyOf(group.values()), List.of(name));
        String leader = awaitLeader(group);
        FedsyncdProcess follower = group.entrySet().stream().filter(e -> !e.getKey().equals(leader))
                .findFirst().orElseThrow().getValue();
        String id = openConflict(group.get(leader), key).path("id").asText();
        await().atMost(WAIT).until(() -> follower.conflicts("state=open&key=" + key).size() == 1);

        assertError(call(follower, "POST", "/api/v1/conflicts/" + id + "/resolve", "{\"winner\": \"host\"}", null),
                401, "Authorization");
        FedsyncdProcess.Response r = resolve(follower, id, "{\"winner\": \"host\"}");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("resolution").path("winner").asText()).isEqualTo("host");
        assertThat(r.json().path("resolution").path("by").asText()).isEqualTo("api");
        await().atMost(WAIT).until(() -> Kv.get(host2(), key).equals(Optional.of(edits.get(key)[0])));
        assertThat(Kv.get(host(), key)).contains(edits.get(key)[0]);
        for (FedsyncdProcess replica : group.values()) {
            await().atMost(WAIT).until(() -> replica.conflicts("state=resolved&key=" + key).size() == 1);
        }
        // Explaining a key is the mirror's to answer too: the follower forwards it.
        FedsyncdProcess.Response explained = follower.get("/api/v1/keys" + key);
        assertThat(explained.status()).as(explained.body()).isEqualTo(200);
        assertThat(explained.json().path("clusters").findValuesAsText("present")).containsExactly("true", "true");
        assertThat(answers).noneMatch(a -> a.contains(TOKEN));
        group.values().forEach(g -> assertThat(g.logText()).doesNotContain(TOKEN));
    }

    @Test
    @DisplayName("bad input against a real daemon changes nothing in etcd; six resolutions of one conflict at once:"
            + " exactly one 200, five 409, the key written once")
    void badInputAndResolutionsAtOnce() throws Exception {
        FedsyncdProcess d = builder("fedsyncd").build();
        daemons.add(d);
        d.start().awaitHealthy(WAIT);
        String name = Names.random("race");
        String key = KubeObjects.userKey(name);
        Map<String, String[]> edits = concurrentEdits(List.of(d), List.of(name));
        String id = openConflict(d, key).path("id").asText();
        String path = "/api/v1/conflicts/" + id + "/resolve";
        Map<String, String> json = Map.of("content-type", "application/json", "authorization", "Bearer " + TOKEN);

        try (WatchRecorder onHost = WatchRecorder.open(host(), key);
             WatchRecorder onHost2 = WatchRecorder.open(host2(), key)) {
            // ---- bad input: each a 4xx JSON error, nothing written ----
            FedsyncdProcess.Response wrongMethod = d.send("GET", path, null, Map.of());
            assertError(wrongMethod, 405, "not allowed");
            assertError(d.send("POST", path, "{\"winner\": \"host\"}",
                    Map.of("content-type", "text/plain", "authorization", "Bearer " + TOKEN)), 415, "application/json");
            assertError(d.send("POST", path + "?force=true", "{\"winner\": \"host\"}", json), 400, "'force'");
            assertError(d.send("POST", path, "{\"winner\": \"host\"", json), 400, "not JSON");
            assertError(d.send("POST", path, "{\"value\": {\"pad\": \"" + "x".repeat(1_600_000) + "\"}}", json), 413,
                    "");
            assertError(d.send("POST", "/api/v1/verify", "{}", json), 413, "takes no body");
            assertError(d.send("GET", "/api/v1/conflicts?limit=0", null, Map.of()), 400, "'limit'");
            assertError(d.send("GET", "/api/v1/conflicts?continue=bm9wZQ", null, Map.of()), 400, "'continue'");
            assertError(d.send("GET", "/api/v1/status?verbose=1", null, Map.of()), 400, "unknown query parameter");
            assertThat(d.conflicts("state=open&key=" + key)).as("still open").hasSize(1);
            assertThat(Kv.get(host(), key)).contains(edits.get(key)[0]);
            assertThat(Kv.get(host2(), key)).contains(edits.get(key)[1]);
            assertThat(onHost.count() + onHost2.count()).as("nothing written").isZero();

            // ---- six at once ----
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
            List<CompletableFuture<FedsyncdProcess.Response>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String winner = i % 2 == 0 ? "host" : "host2";
                calls.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return resolve(d, id, "{\"winner\": \"" + winner + "\"}");
                }, pool));
            }
            go.countDown();
            List<FedsyncdProcess.Response> done = calls.stream().map(CompletableFuture::join).toList();
            pool.shutdown();
            String all = done.stream().map(r -> r.status() + " " + r.body()).collect(Collectors.joining("\n"));
            List<FedsyncdProcess.Response> won = done.stream().filter(r -> r.status() == 200).toList();
            assertThat(won).as(all).hasSize(1);
            assertThat(done.stream().filter(r -> r.status() == 409).count()).as(all).isEqualTo(5);
            String winner = won.get(0).json().path("resolution").path("winner").asText();
            String expected = winner.equals("host") ? edits.get(key)[0] : edits.get(key)[1];
            await().atMost(WAIT).until(() -> Kv.get(host(), key).equals(Optional.of(expected))
                    && Kv.get(host2(), key).equals(Optional.of(expected)));
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> onHost.count() + onHost2.count() == 1);
            WatchRecorder loser = winner.equals("host") ? onHost2 : onHost;
            assertThat(loser.eventsFor(key)).as("the loser written once").hasSize(1);
            JsonNode record = d.conflicts("key=" + key).get(0);
            assertThat(record.path("state").asText()).isEqualTo("resolved");
            assertThat(record.path("resolution").path("winner").asText()).isEqualTo(winner);
        }
        assertThat(d.logText()).doesNotContain(TOKEN);
    }

    private static String awaitLeader(Map<String, FedsyncdProcess> group) {
        return RaftReplicas.awaitLeader(group, group.keySet(), WAIT);
    }

    private static void assertError(FedsyncdProcess.Response r, int status, String says) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.json().path("error").asText()).contains(says);
    }
}
