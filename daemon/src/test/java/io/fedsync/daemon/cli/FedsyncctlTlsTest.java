package io.fedsync.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.daemon.DaemonException;
import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.daemon.http.ApiAuth;
import io.fedsync.daemon.http.ApiServer;
import io.fedsync.daemon.http.ApiTls;
import io.fedsync.daemon.http.ApiToken;
import io.fedsync.daemon.http.Metrics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API over HTTPS (http.tls) and fedsyncctl's --cacert / $FEDSYNC_CACERT. */
class FedsyncctlTlsTest {

    private static final String TOKEN = "tls-" + "9c".repeat(16);

    @TempDir
    Path dir;

    private final FakeMirrorService mirror = new FakeMirrorService();
    private ApiServer server;
    private Path caFile;
    private Path tokenFile;

    /** A test file (daemon/src/test/resources/tls) copied into the temp dir. */
    private Path copy(String resource) throws IOException {
        try (InputStream in = FedsyncctlTlsTest.class.getResourceAsStream("/tls/" + resource)) {
            assertThat(in).as(resource).isNotNull();
            Path target = dir.resolve(resource);
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        }
    }

    private ApiServer start(ApiTls tls) {
        ListenAddress listen = new ListenAddress("127.0.0.1", 0);
        return ApiServer.start(mirror, listen, () -> null, null, "a", Optional::empty,
                ApiAuth.of(ApiToken.of(Path.of("api.token"), TOKEN), listen), Metrics.of("a", mirror, () -> null), tls);
    }

    @BeforeEach
    void startHttps() throws IOException {
        caFile = copy("api-ca.crt");
        tokenFile = Files.writeString(dir.resolve("api.token"), TOKEN + "\n");
        server = start(new ApiTls(copy("api-server.crt"), copy("api-server-pkcs1.key")));
        mirror.conflicts.add(io.fedsync.daemon.http.ResolveRoutesAccess.userConflict("c1", "a@163.com", "b@163.com"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static CtlRun run(Map<String, String> env, String... args) {
        return CtlRun.run(TOKEN, env, args);
    }

    private String https() {
        return "https://127.0.0.1:" + server.port();
    }

    @Test
    void fedsyncctlTrustsTheCaGivenByOptionOrEnvironment() {
        assertThat(server.scheme()).isEqualTo("https");
        CtlRun status = run(Map.of(), "--server", https(), "--cacert", caFile.toString(), "status");
        assertThat(status.code()).as(status.err()).isZero();
        assertThat(status.out()).contains("CLUSTER", "host2");

        CtlRun env = run(Map.of("FEDSYNC_CACERT", caFile.toString()), "--server", https(), "conflicts", "-o", "wide");
        assertThat(env.code()).as(env.err()).isZero();
        assertThat(env.out()).contains("c1");

        CtlRun resolve = run(Map.of("FEDSYNC_CACERT", caFile.toString()), "--server", https(), "--token-file",
                tokenFile.toString(), "resolve", "c1", "--winner", "host2");
        assertThat(resolve.code()).as(resolve.err()).isZero();
        assertThat(mirror.resolutions).containsExactly("c1 winner api");
    }

    @Test
    void withoutTheCaOrOverPlainHttpNothingIsSent() throws IOException {
        CtlRun untrusted = run(Map.of(), "--server", https(), "status");
        assertThat(untrusted.code()).isEqualTo(Fedsyncctl.NO_ANSWER);
        assertThat(untrusted.err()).contains("TLS failed", "--cacert");

        CtlRun wrongCa = run(Map.of(), "--server", https(), "--cacert", copy("ca.crt").toString(), "status");
        assertThat(wrongCa.code()).isEqualTo(Fedsyncctl.NO_ANSWER);
        assertThat(wrongCa.err()).contains("TLS failed");

        CtlRun plain = run(Map.of(), "--server", "http://127.0.0.1:" + server.port(), "--token-file",
                tokenFile.toString(), "resolve", "c1", "--winner", "host");
        assertThat(plain.code()).isEqualTo(Fedsyncctl.NO_ANSWER);
        assertThat(plain.err()).contains("https://");
        assertThat(mirror.resolutions).isEmpty();

        CtlRun missing = run(Map.of(), "--server", https(), "--cacert", dir.resolve("absent.crt").toString(), "status");
        assertThat(missing.code()).isEqualTo(Fedsyncctl.USAGE);
        assertThat(missing.err()).contains("--cacert", "absent.crt");
        CtlRun notACert = run(Map.of("FEDSYNC_CACERT", tokenFile.toString()), "--server", https(), "status");
        assertThat(notACert.code()).isEqualTo(Fedsyncctl.USAGE);
        assertThat(notACert.err()).contains("$FEDSYNC_CACERT").doesNotContain(TOKEN);
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsAClearStartError() throws IOException {
        ApiTls mismatched = new ApiTls(copy("api-server.crt"), copy("other-rsa-pkcs1.key"));
        assertThatThrownBy(() -> start(mismatched)).isInstanceOf(DaemonException.class)
                .hasMessageStartingWith("cannot serve the HTTP API over TLS (http.tls): ")
                .hasMessageContaining("is not the key of certFile").hasMessageNotContaining("BEGIN");
    }
}
