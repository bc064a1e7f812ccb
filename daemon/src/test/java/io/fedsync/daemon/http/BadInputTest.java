package io.fedsync.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.raft.MembershipException;
import io.fedsync.raft.RaftStatus;
import io.fedsync.raft.api.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input on every endpoint of a real ApiServer: wrong methods, unknown query parameters,
 * malformed JSON, unknown ids, bodies too large or of the wrong type, no or a wrong token, and
 * resolutions of one conflict at once. Each is a 4xx JSON error and changes nothing.
 */
class BadInputTest {

    private static final String TOKEN = "bad-" + "7e".repeat(16);
    private static final String AUTH = "Bearer " + TOKEN;
    private static final String JSON = "application/json";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A Raft group of a, b, c that records every change asked of it. */
    static final class Group implements PeerChanges {
        final List<String> calls = new CopyOnWriteArrayList<>();

        RaftStatus status() {
            return new RaftStatus("a", "leader", "a", 3, 7, List.of(
                    new RaftStatus.PeerStatus("a", "127.0.0.1:7101", "leader", -1),
                    new RaftStatus.PeerStatus("b", "127.0.0.1:7102", "follower", 5)));
        }

        @Override
        public RaftStatus add(String id, String address) {
            calls.add("add " + id);
            return status();
        }

        @Override
        public RaftStatus remove(String id) {
            if (!id.equals("b")) {
                throw new MembershipException(MembershipException.Kind.UNKNOWN_PEER, "no replica " + id
                        + " in the group");
            }
            calls.add("remove " + id);
            return status();
        }
    }

    private final FakeMirrorService mirror = new FakeMirrorService();
    private final Group group = new Group();
    private ApiServer server;

    @BeforeEach
    void start() {
        ListenAddress listen = new ListenAddress("127.0.0.1", 0);
        server = ApiServer.start(mirror, listen, group::status, group, "a", Optional::empty,
                ApiAuth.of(ApiToken.of(Path.of("api.token"), TOKEN), listen));
        mirror.conflicts.add(ResolveRoutesTest.userConflict("c1", "a@163.com", "b@163.com"));
        mirror.conflicts.add(FakeMirrorService.resolved("done", "/registry/iam.kubesphere.io/users/bob", "host",
                "host", "host2"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private record Reply(int status, String contentType, String allow, JsonNode body, String text) {
    }

    private Reply send(String method, String path, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(20));
        headers.forEach(r::header);
        HttpResponse<String> h = CLIENT.send(r.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(h.body());
        } catch (java.io.IOException e) {
            json = null;
        }
        return new Reply(h.statusCode(), h.headers().firstValue("content-type").orElse(""),
                h.headers().firstValue("allow").orElse(null), json, h.body());
    }

    private static Map<String, String> headers(String... nameValue) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            m.put(nameValue[i], nameValue[i + 1]);
        }
        return m;
    }

    /** What a call could change: the conflicts, verification passes, the group. */
    private record State(List<ConflictRecord> conflicts, int verifies, List<String> groupCalls) {
    }

    private State state() {
        return new State(List.copyOf(mirror.conflicts), mirror.verifies.get(), List.copyOf(group.calls));
    }

    /** A 4xx JSON error with this status whose message contains {@code says}, and nothing changed. */
    private void refused(Reply r, int status, String says, State before) {
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/json");
        assertThat(r.body()).as(r.text()).isNotNull();
        assertThat(r.body().path("error").asText()).contains(says);
        assertThat(r.text()).doesNotContain(TOKEN);
        assertThat(state()).as("nothing changed").isEqualTo(before);
    }

    @Test
    void wrongMethodsAre405WithAllow() throws Exception {
        State before = state();
        String[][] calls = {
                {"PUT", "/healthz", "GET"}, {"POST", "/readyz", "GET"}, {"DELETE", "/metrics", "GET"},
                {"POST", "/api/v1/status", "GET"}, {"POST", "/api/v1/conflicts", "GET"},
                {"DELETE", "/api/v1/conflicts/c1", "GET"}, {"PUT", "/api/v1/conflicts/c1", "GET"},
                {"GET", "/api/v1/conflicts/c1/resolve", "POST"}, {"DELETE", "/api/v1/conflicts/c1/resolve", "POST"},
                {"PUT", "/api/v1/keys/registry/iam.kubesphere.io/users/xxp", "GET"},
                {"GET", "/api/v1/verify", "POST"}, {"PUT", "/api/v1/verify", "POST"},
                {"PUT", "/api/v1/peers", "GET, POST"}, {"DELETE", "/api/v1/peers", "GET, POST"},
                {"GET", "/api/v1/peers/b", "DELETE"}, {"PATCH", "/api/v1/peers/b", "DELETE"},
                {"PUT", "/api/v1/clusters", "GET, POST"}, {"GET", "/api/v1/clusters/m1", "DELETE"},
                {"POST", "/api/v1/clusters/m1/jwt", "GET"}};
        for (String[] c : calls) {
            Reply r = send(c[0], c[1], c[0].equals("GET") ? null : "{\"winner\": \"host\"}",
                    headers("authorization", AUTH, "content-type", JSON));
            refused(r, 405, "method " + c[0] + " is not allowed on " + c[1], before);
            assertThat(r.allow()).as(c[0] + " " + c[1]).isEqualTo(c[2]);
        }
    }

    @Test
    void unknownQueryParametersAre400() throws Exception {
        State before = state();
        for (String path : List.of("/healthz?verbose=1", "/readyz?x", "/metrics?name=a", "/api/v1/status?watch=true",
                "/api/v1/conflicts/c1?diff=no", "/api/v1/keys/registry/iam.kubesphere.io/users/xxp?rev=3",
                "/api/v1/peers?all=1", "/api/v1/clusters?role=member", "/api/v1/clusters/m1/jwt?now=1")) {
            refused(send("GET", path, null, Map.of()), 400, "unknown query parameter", before);
        }
        refused(send("GET", "/api/v1/conflicts?sate=open", null, Map.of()), 400, "unknown query parameter 'sate'",
                before);
        refused(send("POST", "/api/v1/verify?dryRun=true", null, headers("authorization", AUTH)), 400,
                "unknown query parameter 'dryRun'", before);
        refused(send("POST", "/api/v1/conflicts/c1/resolve?force=1", "{\"winner\": \"host\"}",
                headers("authorization", AUTH, "content-type", JSON)), 400, "'force'", before);
        refused(send("POST", "/api/v1/peers?x=1", "{\"id\": \"d\", \"address\": \"127.0.0.1:7104\"}",
                headers("authorization", AUTH, "content-type", JSON)), 400, "'x'", before);
        refused(send("DELETE", "/api/v1/peers/b?now=1", null, headers("authorization", AUTH)), 400, "'now'", before);
        refused(send("POST", "/api/v1/clusters?dryRun=true", "{\"name\": \"m1\", \"kubeconfig\": \"/k\"}",
                headers("authorization", AUTH, "content-type", JSON)), 400, "'dryRun'", before);
        assertThat(send("GET", "/api/v1/status", null, Map.of()).status()).as("without a query: fine").isEqualTo(200);
    }

    @Test
    void malformedJsonIs400() throws Exception {
        State before = state();
        Map<String, String> h = headers("authorization", AUTH, "content-type", JSON);
        for (String body : List.of("{\"winner\": ", "[1, 2]", "\"host\"", "{}", "null", "{\"winner\": 3}",
                "{\"delete\": false}", "{\"value\": \"text\"}", "{\"winner\": \"host\", \"delete\": true}",
                "{\"winnr\": \"host\"}", "\u00ff\u00fe")) {
            refused(send("POST", "/api/v1/conflicts/c1/resolve", body, h), 400, "", before);
        }
        refused(send("POST", "/api/v1/conflicts/c1/resolve", null, headers("authorization", AUTH)), 400, "empty",
                before);
        for (String body : List.of("{\"id\": ", "[]", "{\"id\": \"d\"}", "{\"id\": 4, \"address\": \"x:1\"}")) {
            refused(send("POST", "/api/v1/peers", body, h), 400, "", before);
        }
    }

    @Test
    void unknownIdsAre404() throws Exception {
        State before = state();
        refused(send("GET", "/api/v1/conflicts/nope", null, Map.of()), 404, "no conflict with id 'nope'", before);
        refused(send("POST", "/api/v1/conflicts/nope/resolve", "{\"winner\": \"host\"}",
                headers("authorization", AUTH, "content-type", JSON)), 404, "no conflict", before);
        refused(send("DELETE", "/api/v1/peers/zz", null, headers("authorization", AUTH)), 404, "no replica zz",
                before);
        refused(send("GET", "/api/v1/keys/registry/iam.kubesphere.io/users/nobody", null, Map.of()), 404,
                "under no mirrored prefix", before);
        refused(send("GET", "/api/v1/nothing", null, Map.of()), 404, "no such endpoint", before);
        refused(send("POST", "/api/v1/conflicts/done/resolve", "{\"winner\": \"host\"}",
                headers("authorization", AUTH, "content-type", JSON)), 409, "already resolved", before);
    }

    @Test
    void bodiesOfTheWrongTypeAre415() throws Exception {
        State before = state();
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "application/yaml",
                "application/jsonx", "multipart/form-data; boundary=x")) {
            refused(send("POST", "/api/v1/conflicts/c1/resolve", "{\"winner\": \"host\"}",
                    headers("authorization", AUTH, "content-type", type)), 415, "Content-Type: application/json",
                    before);
            refused(send("POST", "/api/v1/peers", "{\"id\": \"d\", \"address\": \"127.0.0.1:7104\"}",
                    headers("authorization", AUTH, "content-type", type)), 415, "not '" + type + "'", before);
            refused(send("POST", "/api/v1/clusters", "{\"name\": \"m1\", \"kubeconfig\": \"/k\"}",
                    headers("authorization", AUTH, "content-type", type)), 415, "not '" + type + "'", before);
        }
        refused(send("POST", "/api/v1/conflicts/c1/resolve", "{\"winner\": \"host\"}", headers("authorization", AUTH)),
                415, "no Content-Type was sent", before);

        Reply ok = send("POST", "/api/v1/conflicts/c1/resolve", "{\"winner\": \"host\"}",
                headers("authorization", AUTH, "content-type", "Application/JSON; charset=utf-8"));
        assertThat(ok.status()).as("JSON with a charset, in any case: fine").isEqualTo(200);
    }

    @Test
    void bodiesTooLargeOrWhereNoneIsTakenAre413() throws Exception {
        State before = state();
        Map<String, String> h = headers("authorization", AUTH, "content-type", JSON);
        refused(send("POST", "/api/v1/conflicts/c1/resolve", "{\"value\": {\"pad\": \""
                + "x".repeat(ResolveBody.MAX_BODY_BYTES) + "\"}}", h), 413, "", before);
        refused(send("POST", "/api/v1/peers", "{\"id\": \"" + "d".repeat(PeerRoutes.MAX_BODY_BYTES)
                + "\", \"address\": \"127.0.0.1:7104\"}", h), 413, "", before);
        refused(send("POST", "/api/v1/verify", "{\"all\": true}", h), 413, "POST /api/v1/verify takes no body", before);
        refused(send("DELETE", "/api/v1/peers/b", "{\"force\": true}", h), 413, "takes no body", before);
        refused(send("DELETE", "/api/v1/clusters/m1", "{\"force\": true}", h), 413, "takes no body", before);
        refused(send("POST", "/api/v1/clusters", "{\"name\": \"" + "m".repeat(ClusterService.MAX_BODY_BYTES)
                + "\", \"kubeconfig\": \"/k\"}", h), 413, "", before);
    }

    @Test
    void clusterCallsWithoutAFederationSectionSaySo() throws Exception {
        State before = state();
        Reply list = send("GET", "/api/v1/clusters", null, Map.of());
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body().path("federation").path("enabled").asBoolean(true)).isFalse();
        refused(send("POST", "/api/v1/clusters", "{\"name\": \"m1\", \"kubeconfig\": \"/k\"}",
                headers("authorization", AUTH, "content-type", JSON)), 412, "federation is not configured", before);
        refused(send("DELETE", "/api/v1/clusters/m1", null, headers("authorization", AUTH)), 412,
                "federation is not configured", before);
        refused(send("GET", "/api/v1/clusters/m1/jwt", null, Map.of()), 412, "federation is not configured", before);
    }

    @Test
    void noOrAWrongTokenIs401Or403() throws Exception {
        State before = state();
        String[][] calls = {{"POST", "/api/v1/conflicts/c1/resolve", "{\"winner\": \"host\"}"},
                {"POST", "/api/v1/verify", null}, {"POST", "/api/v1/peers", "{\"id\": \"d\", \"address\": \"x:1\"}"},
                {"DELETE", "/api/v1/peers/b", null},
                {"POST", "/api/v1/clusters", "{\"name\": \"m1\", \"kubeconfig\": \"/k\"}"},
                {"DELETE", "/api/v1/clusters/m1", null}};
        for (String[] c : calls) {
            refused(send(c[0], c[1], c[2], headers("content-type", JSON)), 401, "Authorization: Bearer", before);
            refused(send(c[0], c[1], c[2], headers("content-type", JSON, "authorization", "Basic " + TOKEN)), 401,
                    "must be 'Bearer <token>'", before);
            refused(send(c[0], c[1], c[2], headers("content-type", JSON, "authorization", AUTH + "x")), 403,
                    "not the one", before);
            refused(send(c[0], c[1], c[2], headers("content-type", JSON, "authorization", "Bearer ")), 401, "",
                    before);
        }
    }

    @Test
    void resolutionsOfOneConflictAtOnceOneWinsTheOthers409() throws Exception {
        int n = 8;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Reply>> replies = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                String winner = i % 2 == 0 ? "host" : "host2";
                replies.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                        return send("POST", "/api/v1/conflicts/c1/resolve", "{\"winner\": \"" + winner + "\"}",
                                headers("authorization", AUTH, "content-type", JSON));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, pool));
            }
            go.countDown();
            List<Reply> done = replies.stream().map(CompletableFuture::join).toList();
            List<Reply> won = done.stream().filter(r -> r.status() == 200).toList();
            assertThat(won).hasSize(1);
            assertThat(done.stream().filter(r -> r.status() == 409).toList()).hasSize(n - 1)
                    .allSatisfy(r -> assertThat(r.body().path("error").asText()).contains("already resolved"));
            ConflictRecord c1 = mirror.conflict("c1").orElseThrow();
            assertThat(c1.isOpen()).isFalse();
            assertThat(c1.resolution().winner()).isEqualTo(won.get(0).body().path("resolution").path("winner").asText());
        } finally {
            pool.shutdownNow();
        }
    }
}
