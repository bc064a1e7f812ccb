package io.fedsync.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictSide;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.VersionVector;
import io.fedsync.conflict.WriteTime;
import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.raft.api.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** POST /api/v1/conflicts/{id}/resolve and the token on every call that changes something. */
class ResolveRoutesTest {

    private static final String TOKEN = "tok-" + "5a".repeat(16);
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final FakeMirrorService mirror = new FakeMirrorService();
    private final List<String> answers = new ArrayList<>();
    private ApiServer server;

    @BeforeEach
    void start() {
        ListenAddress listen = new ListenAddress("127.0.0.1", 0);
        server = ApiServer.start(mirror, listen, () -> null, null, "a", Optional::empty,
                ApiAuth.of(ApiToken.of(Path.of("api.token"), TOKEN), listen));
        mirror.conflicts.add(userConflict("c1", "a@163.com", "b@163.com"));
        mirror.conflicts.add(FakeMirrorService.resolved("done", "/registry/iam.kubesphere.io/users/bob", "host",
                "host", "host2"));
    }

    @AfterEach
    void stop() {
        server.close();
        assertThat(answers).as("no answer echoes the token").noneMatch(a -> a.contains(TOKEN));
    }

    static ConflictRecord userConflict(String id, String emailHost, String emailHost2) {
        List<ConflictSide> sides = List.of(side("host", emailHost), side("host2", emailHost2));
        return new ConflictRecord(id, "/registry/iam.kubesphere.io/users/xxp", ConflictType.CONCURRENT_UPDATE,
                ConflictState.OPEN, List.of("host", "host2"), sides, List.of("/spec/email"), FakeMirrorService.T0,
                FakeMirrorService.T0, null);
    }

    private static ConflictSide side(String cluster, String email) {
        String user = "{\"apiVersion\":\"iam.kubesphere.io/v1alpha2\",\"kind\":\"User\",\"metadata\":{\"name\":\"xxp\","
                + "\"uid\":\"" + cluster + "-uid\"},\"spec\":{\"email\":\"" + email + "\"}}\n";
        return new ConflictSide(cluster, user.getBytes(StandardCharsets.UTF_8), false,
                VersionVector.of(Map.of(cluster, 2L)), 10, WriteTime.UNKNOWN);
    }

    private record Reply(int status, JsonNode body, String wwwAuthenticate) {
    }

    private Reply send(String method, String path, String body, String authorization) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(20));
        if (authorization != null) {
            r.header("authorization", authorization);
        }
        if (body != null) {
            r.header("content-type", "application/json");
        }
        HttpResponse<String> h = CLIENT.send(r.build(), HttpResponse.BodyHandlers.ofString());
        answers.add(h.headers().map() + h.body());
        return new Reply(h.statusCode(), Json.MAPPER.readTree(h.body()),
                h.headers().firstValue("www-authenticate").orElse(null));
    }

    private Reply resolve(String id, String body) throws Exception {
        return send("POST", "/api/v1/conflicts/" + id + "/resolve", body, "Bearer " + TOKEN);
    }

    @Test
    void mutatingCallsNeedTheTokenAndChangeNothingWithout() throws Exception {
        for (String[] call : new String[][] {{"POST", "/api/v1/conflicts/c1/resolve"}, {"POST", "/api/v1/verify"},
                {"POST", "/api/v1/peers"}, {"DELETE", "/api/v1/peers/b"}}) {
            Reply missing = send(call[0], call[1], "{\"winner\": \"host\"}", null);
            assertThat(missing.status()).as(call[1]).isEqualTo(401);
            assertThat(missing.wwwAuthenticate()).startsWith("Bearer");
            assertThat(missing.body().path("error").asText()).contains("Authorization: Bearer");
            Reply wrong = send(call[0], call[1], "{\"winner\": \"host\"}", "Bearer " + TOKEN + "x");
            assertThat(wrong.status()).as(call[1]).isEqualTo(403);
            assertThat(wrong.body().path("error").asText()).contains("not the one in");
        }
        assertThat(mirror.resolutions).isEmpty();
        assertThat(mirror.conflict("c1").orElseThrow().isOpen()).isTrue();
        assertThat(send("GET", "/api/v1/conflicts/c1", null, null).status()).as("reads stay open").isEqualTo(200);
    }

    @Test
    void resolvesByWinnerAndAnswersTheRecord() throws Exception {
        Reply r = resolve("c1", "{\"winner\": \"host2\"}");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().path("state").asText()).isEqualTo("resolved");
        assertThat(r.body().path("resolution").path("winner").asText()).isEqualTo("host2");
        assertThat(r.body().path("resolution").path("by").asText()).isEqualTo("api");
        assertThat(r.body().path("resolution").path("how").asText()).isEqualTo("winner");
        assertThat(mirror.resolutions).containsExactly("c1 winner api");
    }

    @Test
    void valueAndDeleteReachTheMirror() throws Exception {
        assertThat(resolve("c1", "{\"value\": {\"kind\": \"User\"}}").status()).isEqualTo(200);
        mirror.conflicts.add(userConflict("c2", "x", "y"));
        assertThat(resolve("c2", "{\"delete\": true}").status()).isEqualTo(200);
        assertThat(mirror.resolutions).containsExactly("c1 value api", "c2 delete api");
    }

    @Test
    void refusalsAreJsonWithTheirStatus() throws Exception {
        assertThat(resolve("nope", "{\"winner\": \"host\"}").status()).isEqualTo(404);
        assertThat(resolve("done", "{\"winner\": \"host\"}").status()).isEqualTo(409);
        Reply notASide = resolve("c1", "{\"winner\": \"host9\"}");
        assertThat(notASide.status()).isEqualTo(422);
        assertThat(notASide.body().path("error").asText()).contains("not a side");
        assertThat(resolve("c1", "{\"winner\": ").status()).isEqualTo(400);
        assertThat(resolve("c1", "{\"winner\": \"host\", \"delete\": true}").status()).isEqualTo(400);
        assertThat(resolve("c1", null).status()).isEqualTo(400);
        Reply huge = resolve("c1", "{\"value\": {\"pad\": \"" + "x".repeat(ResolveBody.MAX_BODY_BYTES) + "\"}}");
        assertThat(huge.status()).isEqualTo(413);
        assertThat(huge.body().has("error")).isTrue();
        assertThat(mirror.conflict("c1").orElseThrow().isOpen()).as("nothing changed").isTrue();
    }

    @Test
    void aConflictShowsItsDiffPerSide() throws Exception {
        Reply r = send("GET", "/api/v1/conflicts/c1", null, null);

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().path("diff").toString())
                .isEqualTo("[{\"path\":\"/spec/email\",\"values\":{\"host\":\"a@163.com\",\"host2\":\"b@163.com\"}}]");
        // Every side's decoded object beside its stored text.
        assertThat(r.body().path("sides")).hasSize(2).allSatisfy(side -> {
            assertThat(side.path("object").path("kind").asText()).isEqualTo("User");
            assertThat(side.path("value").isTextual()).isTrue();
        });
        assertThat(r.body().path("sides").path(1).path("object").path("spec").path("email").asText())
                .isEqualTo("b@163.com");
    }
}
