package io.fedsync.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.conflict.ConflictType;
import io.fedsync.daemon.DaemonException;
import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.raft.api.json.Json;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ApiServerTest {

    private static final FakeMirrorService MIRROR = new FakeMirrorService();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static ApiServer server;

    @BeforeAll
    static void start() {
        server = ApiServer.start(MIRROR, new ListenAddress("127.0.0.1", 0));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void reset() {
        MIRROR.healthy = true;
        MIRROR.status = FakeMirrorService.status("live", "live");
        MIRROR.conflicts.clear();
        MIRROR.conflicts.addAll(List.of(
                FakeMirrorService.open("a1", "/registry/iam.kubesphere.io/users/alice",
                        ConflictType.CONCURRENT_UPDATE, "host", "host2"),
                FakeMirrorService.open("b2", "/registry/tenant.kubesphere.io/workspaces/w1",
                        ConflictType.UPDATE_VS_DELETE, "host2", "host3"),
                FakeMirrorService.resolved("c3", "/registry/iam.kubesphere.io/users/bob", "host", "host", "host3")));
        MIRROR.calledFrom.clear();
    }

    private record Reply(int status, String contentType, JsonNode body) {
    }

    private static Reply send(String method, String path) throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers().firstValue("content-type").orElse(""),
                Json.MAPPER.readTree(r.body()));
    }

    private static Reply get(String path) throws Exception {
        return send("GET", path);
    }

    private static List<String> ids(Reply r) {
        return r.body().get("items").findValuesAsText("id");
    }

    @Test
    void healthzFollowsTheMirror() throws Exception {
        Reply ok = get("/healthz");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.contentType()).startsWith("application/json");
        assertThat(ok.body().toString()).isEqualTo("{\"status\":\"ok\"}");

        MIRROR.healthy = false;
        MIRROR.status = FakeMirrorService.status("fenced", "live");
        Reply down = get("/healthz");
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.body().get("status").asText()).isEqualTo("unavailable");
        assertThat(down.body().get("reason").asText()).contains("fenced", "host");
    }

    @Test
    void readyzNeedsEveryClusterLive() throws Exception {
        assertThat(get("/readyz").status()).isEqualTo(200);

        MIRROR.status = FakeMirrorService.status("live", "down");
        Reply notReady = get("/readyz");

        assertThat(notReady.status()).isEqualTo(503);
        assertThat(notReady.body().get("reason").asText()).isEqualTo("cluster host2 is down (connection refused)");
    }

    @Test
    void mirrorCallsRunOffTheEventLoop() throws Exception {
        get("/healthz");
        get("/api/v1/status");
        get("/api/v1/conflicts");

        assertThat(MIRROR.calledFrom).isNotEmpty().noneMatch(t -> t.contains("eventloop"));
    }

    @Test
    void statusShape() throws Exception {
        Reply r = get("/api/v1/status");

        assertThat(r.status()).isEqualTo(200);
        JsonNode s = r.body();
        assertThat(s.get("term").asLong()).isEqualTo(7);
        assertThat(s.get("startedAt").asText()).isEqualTo("2025-01-02T03:04:05Z");
        assertThat(s.get("policy").asText()).isEqualTo("hold");
        assertThat(s.get("prefixes").get(0).asText()).isEqualTo("/registry/iam.kubesphere.io/");
        assertThat(s.get("clusters").findValuesAsText("name")).containsExactly("host", "host2");
        JsonNode pair = s.get("pairs").get(0);
        assertThat(pair.get("from").asText()).isEqualTo("host");
        assertThat(pair.get("to").asText()).isEqualTo("host2");
        assertThat(pair.get("cursorRevision").asLong()).isEqualTo(118);
        assertThat(pair.get("lagRevisions").asLong()).isEqualTo(2);
        assertThat(pair.get("lagMillis").asLong()).isEqualTo(40);
        assertThat(s.get("problems").get(0).get("key").asText()).isEqualTo("/registry/iam.kubesphere.io/users/big");
        assertThat(s.get("counters").get("writes").asLong()).isEqualTo(12);
    }

    @Test
    void conflictsListsEverythingOldestFirst() throws Exception {
        Reply r = get("/api/v1/conflicts");

        assertThat(r.status()).isEqualTo(200);
        assertThat(ids(r)).containsExactly("a1", "b2", "c3");
        JsonNode first = r.body().get("items").get(0);
        assertThat(first.get("type").asText()).isEqualTo("concurrent-update");
        assertThat(first.get("state").asText()).isEqualTo("open");
        assertThat(first.get("detectedAt").asText()).isEqualTo("2025-01-02T03:04:05Z");
        assertThat(first.get("clusters").toString()).isEqualTo("[\"host\",\"host2\"]");
    }

    @Test
    void conflictFilters() throws Exception {
        assertThat(ids(get("/api/v1/conflicts?state=open"))).containsExactly("a1", "b2");
        assertThat(ids(get("/api/v1/conflicts?state=resolved"))).containsExactly("c3");
        assertThat(ids(get("/api/v1/conflicts?state=converged"))).isEmpty();
        assertThat(ids(get("/api/v1/conflicts?type=update-vs-delete"))).containsExactly("b2");
        assertThat(ids(get("/api/v1/conflicts?key=/registry/iam.kubesphere.io/"))).containsExactly("a1", "c3");
        assertThat(ids(get("/api/v1/conflicts?cluster=host3"))).containsExactly("b2", "c3");
        assertThat(ids(get("/api/v1/conflicts?cluster=host3&state=open&key=%2Fregistry%2Ftenant")))
                .containsExactly("b2");
    }

    @Test
    void conflictsComeInPagesWithAContinueToken() throws Exception {
        Reply first = get("/api/v1/conflicts?limit=2");
        assertThat(first.status()).isEqualTo(200);
        assertThat(ids(first)).containsExactly("a1", "b2");
        JsonNode meta = first.body().get("metadata");
        assertThat(meta.get("total").asInt()).isEqualTo(3);
        assertThat(meta.get("remainingItemCount").asInt()).isEqualTo(1);
        Reply second = get("/api/v1/conflicts?limit=2&continue="
                + java.net.URLEncoder.encode(meta.get("continue").asText(), StandardCharsets.UTF_8));
        assertThat(ids(second)).containsExactly("c3");
        assertThat(second.body().get("metadata").has("continue")).isFalse();
        assertThat(ids(get("/api/v1/conflicts?kind=workspaces"))).containsExactly("b2");
        assertThat(get("/api/v1/conflicts").body().get("items").get(0).get("resource").asText()).isEqualTo("users");

        Reply badToken = get("/api/v1/conflicts?continue=bm9wZQ");
        assertThat(badToken.status()).isEqualTo(400);
        assertThat(badToken.contentType()).startsWith("application/json");
        assertThat(badToken.body().get("error").asText()).contains("'continue'");
        Reply badLimit = get("/api/v1/conflicts?limit=0");
        assertThat(badLimit.status()).isEqualTo(400);
        assertThat(badLimit.body().get("error").asText()).contains("'limit' must be a whole number from 1 to 1000");
        assertThat(get("/api/v1/conflicts?limit=abc").status()).isEqualTo(400);
        assertThat(get("/api/v1/conflicts?limit=1001").status()).isEqualTo(400);
    }

    @Test
    void badFiltersAre400WithJson() throws Exception {
        Reply badState = get("/api/v1/conflicts?state=closed");
        assertThat(badState.status()).isEqualTo(400);
        assertThat(badState.body().get("error").asText())
                .isEqualTo("query parameter 'state' must be one of open, resolved, converged, got 'closed'");

        assertThat(get("/api/v1/conflicts?type=bad").body().get("error").asText()).contains("'type'");
        Reply unknown = get("/api/v1/conflicts?stat=open");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body().get("error").asText()).contains("unknown query parameter 'stat'");
        assertThat(get("/api/v1/conflicts?state=open&state=resolved").status()).isEqualTo(400);
    }

    @Test
    void oneConflictOr404() throws Exception {
        Reply found = get("/api/v1/conflicts/b2");
        assertThat(found.status()).isEqualTo(200);
        assertThat(found.body().get("key").asText()).isEqualTo("/registry/tenant.kubesphere.io/workspaces/w1");
        assertThat(found.body().get("sides").get(0).get("valueEncoding").asText()).isEqualTo("utf8");

        Reply missing = get("/api/v1/conflicts/zz");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body().get("error").asText()).isEqualTo("no conflict with id 'zz'");
    }

    @Test
    void unknownPathsAndMethodsAreJsonErrors() throws Exception {
        Reply notFound = get("/api/v2/nothing");
        assertThat(notFound.status()).isEqualTo(404);
        assertThat(notFound.contentType()).startsWith("application/json");
        assertThat(notFound.body().get("error").asText()).isEqualTo("no such endpoint: GET /api/v2/nothing");

        Reply wrongMethod = send("DELETE", "/api/v1/status");
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertThat(wrongMethod.body().get("error").asText()).contains("DELETE");
    }

    @Test
    void mirrorFailuresAre500WithJson() throws Exception {
        MIRROR.status = null;

        Reply r = get("/api/v1/status");

        assertThat(r.status()).isEqualTo(500);
        assertThat(r.body().get("error").asText()).startsWith("internal error");
    }

    /** What Java's HttpClient refuses to send: raw bytes over a socket, read until fedsyncd closes. */
    private static Reply raw(String requestHead) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(requestHead.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int headEnd = response.indexOf("\r\n\r\n");
            assertThat(headEnd).as("a complete response: %s", response).isPositive();
            String head = response.substring(0, headEnd);
            int status = Integer.parseInt(head.split(" ")[1]);
            String contentType = head.lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("content-type:"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("");
            return new Reply(status, contentType, Json.MAPPER.readTree(response.substring(headEnd + 4)));
        }
    }

    private static Reply rawGet(String target) throws Exception {
        return raw("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    }

    private static void assertJsonError(Reply r, int status, String... fragments) {
        assertThat(r.status()).as(r.body().toString()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/json");
        assertThat(r.body().get("error").asText()).contains(fragments);
    }

    @Test
    void badPercentEncodingIsA400WithJsonSayingWhere() throws Exception {
        assertJsonError(rawGet("/api/v1/conflicts?state=%zz"), 400,
                "the query string is not valid URL encoding (a '%' must be followed by two hex digits)");
        assertJsonError(rawGet("/api/v1/conflicts/%zz"), 400, "the path is not valid URL encoding",
                "/api/v1/conflicts/%zz");
    }

    @Test
    void tooLongARequestLineIs414WithJson() throws Exception {
        assertJsonError(rawGet("/api/v1/conflicts/" + "a".repeat(16 * 1024)), 414,
                "request line too long: fedsyncd accepts up to 8192 bytes");
    }

    @Test
    void tooLargeHeadersAre431WithJson() throws Exception {
        assertJsonError(raw("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "b".repeat(20_000)
                + "\r\nConnection: close\r\n\r\n"), 431, "request headers too large: fedsyncd accepts up to 8192 bytes");
    }

    @Test
    void garbageIsA400WithJsonAndTheServerCarriesOn() throws Exception {
        assertJsonError(raw("NOT HTTP AT ALL\r\n\r\n"), 400, "malformed HTTP request");
        assertThat(get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void anAddressOfAnotherHostIsSaidToBeJustThat() {
        // 203.0.113.0/24 is TEST-NET-3: never an address of this host.
        ListenAddress elsewhere = new ListenAddress("203.0.113.7", 0);

        assertThatThrownBy(() -> ApiServer.start(MIRROR, elsewhere))
                .isInstanceOf(DaemonException.class)
                .hasMessageStartingWith("cannot listen on 203.0.113.7:0 (http.listen): ")
                .hasMessageContaining("Cannot assign requested address (203.0.113.7 is not an address of this host; "
                        + "use one of its addresses, or 0.0.0.0 for all of them)")
                .hasMessageNotContaining("another process");
        assertThat(ApiServer.bindProblem(new BindException("Permission denied"), new ListenAddress("0.0.0.0", 80)))
                .isEqualTo("Permission denied (ports below 1024 need root or the CAP_NET_BIND_SERVICE capability)");
    }

    @Test
    void aPortInUseIsAClearError() {
        ListenAddress taken = server.address();

        assertThatThrownBy(() -> ApiServer.start(MIRROR, taken))
                .isInstanceOf(DaemonException.class)
                .hasMessageStartingWith("cannot listen on " + taken + " (http.listen): ")
                .hasMessageContaining("in use");
    }
}
