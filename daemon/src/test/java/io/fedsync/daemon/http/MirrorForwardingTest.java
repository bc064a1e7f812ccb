package io.fedsync.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.mirror.VerifyResult;
import io.fedsync.raft.api.json.Json;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A call only the mirror answers (POST /api/v1/verify), sent to a replica that does not mirror:
 * two real API servers on loopback, the follower's mirror refusing as ReplicatedMirror does.
 */
class MirrorForwardingTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final FakeMirrorService leaderMirror = new FakeMirrorService();
    private final AtomicReference<Optional<String>> target = new AtomicReference<>(Optional.empty());
    private ApiServer leader;
    private ApiServer follower;

    @BeforeEach
    void start() {
        leader = ApiServer.start(leaderMirror, new ListenAddress("127.0.0.1", 0), () -> null, null, "a",
                Optional::empty);
        FakeMirrorService followerMirror = new FakeMirrorService();
        followerMirror.notMirroring = "replica b does not lead; the leader is a (raft 127.0.0.1:7101)";
        follower = ApiServer.start(followerMirror, new ListenAddress("127.0.0.1", 0), () -> null, null, "b",
                target::get);
    }

    @AfterEach
    void stop() {
        leader.close();
        follower.close();
    }

    private static HttpResponse<String> post(ApiServer server, String path, String forwardedBy) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(20));
        if (forwardedBy != null) {
            r.header(MirrorForwarder.FORWARDED_BY, forwardedBy);
        }
        return CLIENT.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aFollowerForwardsVerifyToTheMirrorAndRelaysItsAnswer() throws Exception {
        String leaderUrl = "http://127.0.0.1:" + leader.port();
        target.set(Optional.of(leaderUrl));
        leaderMirror.verifyResult = new VerifyResult(FakeMirrorService.T0, List.of("host", "host2"), 1234, 2, 2, 0, 0,
                0, 77, null);

        HttpResponse<String> r = post(follower, "/api/v1/verify", null);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue(MirrorForwarder.ANSWERED_BY)).contains(leaderUrl);
        JsonNode body = Json.MAPPER.readTree(r.body());
        assertThat(body.path("keysChecked").asLong()).isEqualTo(1234);
        assertThat(body.path("divergent").asLong()).isEqualTo(2);
        assertThat(leaderMirror.calledFrom).as("the pass ran on the mirror, once").hasSize(1);
    }

    @Test
    void aResolutionIsForwardedWithItsBodyAndAuthorization() throws Exception {
        leader.close();
        String token = "fwd-" + "c0ffee".repeat(6);
        ListenAddress listen = new ListenAddress("127.0.0.1", 0);
        leader = ApiServer.start(leaderMirror, listen, () -> null, null, "a", Optional::empty,
                ApiAuth.of(ApiToken.of(java.nio.file.Path.of("api.token"), token), listen));
        String leaderUrl = "http://127.0.0.1:" + leader.port();
        target.set(Optional.of(leaderUrl));
        leaderMirror.conflicts.add(ResolveRoutesTest.userConflict("c1", "a@163.com", "b@163.com"));

        HttpResponse<String> unauthorised = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + follower.port() + "/api/v1/conflicts/c1/resolve")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"winner\": \"host2\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(unauthorised.statusCode()).as("the mirror judges the token: none sent, none forwarded")
                .isEqualTo(401);
        assertThat(leaderMirror.resolutions).isEmpty();

        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + follower.port()
                        + "/api/v1/conflicts/c1/resolve"))
                .header("content-type", "application/json").header("authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"winner\": \"host2\"}"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue(MirrorForwarder.ANSWERED_BY)).contains(leaderUrl);
        assertThat(Json.MAPPER.readTree(r.body()).path("resolution").path("winner").asText()).isEqualTo("host2");
        assertThat(leaderMirror.resolutions).containsExactly("c1 winner api");
        assertThat(r.body()).doesNotContain(token);
    }

    @Test
    void aForwardedCallIsNeverForwardedAgain() throws Exception {
        target.set(Optional.of("http://127.0.0.1:" + leader.port()));

        HttpResponse<String> r = post(follower, "/api/v1/verify", "c");

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(Json.MAPPER.readTree(r.body()).path("error").asText())
                .contains("does not lead", "forwarded here by replica c", "not forwarded again");
        assertThat(leaderMirror.calledFrom).isEmpty();
    }

    @Test
    void withNoMirrorKnownTheFollowerAnswers503NamingTheLeader() throws Exception {
        HttpResponse<String> r = post(follower, "/api/v1/verify", null);

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(Json.MAPPER.readTree(r.body()).path("error").asText()).contains("the leader is a");
    }

    @Test
    void aMirrorThatDoesNotAnswerIs503WithWhy() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        target.set(Optional.of("http://127.0.0.1:" + closed));

        HttpResponse<String> r = post(follower, "/api/v1/verify", null);

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(Json.MAPPER.readTree(r.body()).path("error").asText())
                .contains("does not lead", "forwarding to the mirror failed", "127.0.0.1:" + closed, "connection refused");
    }
}
