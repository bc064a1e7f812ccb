package io.fedsync.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.mirror.VerifyResult;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas serving HTTPS (http.tls) with a private CA: a follower forwards a call only the mirror
 * answers to the mirror's https:// address, trusting {@code http.tls.caFile}; without it the
 * mirror's certificate is not trusted and the follower says so (503), never forwarding in clear.
 */
class HttpsForwardingTest {

    @TempDir
    Path dir;

    private ApiServer leader;
    private ApiServer follower;

    @AfterEach
    void stop() {
        if (leader != null) {
            leader.close();
        }
        if (follower != null) {
            follower.close();
        }
    }

    private Path copy(String resource) throws IOException {
        try (InputStream in = HttpsForwardingTest.class.getResourceAsStream("/tls/" + resource)) {
            assertThat(in).as(resource).isNotNull();
            Path target = dir.resolve(resource);
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        }
    }

    private static ApiServer start(FakeMirrorService mirror, String self, java.util.function.Supplier<Optional<String>>
            mirrorApi, ApiTls tls) {
        ListenAddress listen = new ListenAddress("127.0.0.1", 0);
        return ApiServer.start(mirror, listen, () -> null, null, self, mirrorApi, ApiAuth.of(null, listen),
                Metrics.of(self, mirror, () -> null), tls);
    }

    private HttpResponse<String> verifyThroughFollower(ApiTls tls) throws Exception {
        FakeMirrorService leaderMirror = new FakeMirrorService();
        leaderMirror.verifyResult = new VerifyResult(FakeMirrorService.T0, List.of("host", "host2"), 42, 0, 0, 0, 0, 0,
                5, null);
        leader = start(leaderMirror, "a", Optional::empty, tls);
        FakeMirrorService followerMirror = new FakeMirrorService();
        followerMirror.notMirroring = "replica b does not lead";
        String leaderUrl = "https://127.0.0.1:" + leader.port();
        follower = start(followerMirror, "b", () -> Optional.of(leaderUrl), tls);
        HttpClient client = HttpClient.newBuilder().sslContext(new ApiTls(tls.certFile(), tls.keyFile(),
                copy("api-ca.crt")).replicaTrust()).connectTimeout(Duration.ofSeconds(5)).build();
        return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + follower.port() + "/api/v1/verify"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aFollowerTrustsTheReplicasCaFromCaFile() throws Exception {
        ApiTls tls = new ApiTls(copy("api-server.crt"), copy("api-server-pkcs1.key"), copy("api-ca.crt"));
        HttpResponse<String> r = verifyThroughFollower(tls);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue(MirrorForwarder.ANSWERED_BY)).hasValueSatisfying(v -> assertThat(v)
                .startsWith("https://127.0.0.1:"));
        assertThat(r.body()).contains("\"keysChecked\":42");
    }

    @Test
    void withoutCaFileAPrivateCaIsNotTrustedAndTheFollowerSaysSo() throws Exception {
        ApiTls tls = new ApiTls(copy("api-server.crt"), copy("api-server-pkcs1.key"));
        HttpResponse<String> r = verifyThroughFollower(tls);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("did not answer");
    }

    @Test
    void aCaFileThatHoldsNoCertificateIsRefusedByName() throws Exception {
        Path key = copy("api-server-pkcs1.key");
        ApiTls tls = new ApiTls(copy("api-server.crt"), key, key);
        assertThatThrownBy(tls::replicaCas).hasMessageContaining(key.toString())
                .hasMessageContaining("no readable PEM certificate").hasMessageNotContaining("BEGIN");
    }
}
