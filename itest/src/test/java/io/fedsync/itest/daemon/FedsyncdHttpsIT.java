package io.fedsync.itest.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.EtcdPki;
import io.fedsync.itest.fixture.FedsyncdProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * fedsyncd serving its HTTP API over HTTPS ({@code http.tls}) with an openssl-made certificate
 * (the etcd TLS fixture's server certificate, for 127.0.0.1), and fedsyncctl talking to it with
 * {@code --cacert}.
 */
@DisplayName("real fedsyncd process serving HTTPS (http.tls); fedsyncctl --cacert")
class FedsyncdHttpsIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TOKEN = "https-" + Long.toHexString(System.nanoTime()) + "-0a1b2c3d";

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host", "host2").build();

    @TempDir
    Path dir;

    private FedsyncdProcess daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.kill();
        }
    }

    private FedsyncdProcess.Builder builder(Path certFile, Path keyFile, Path tokenFile) {
        return FedsyncdProcess.builder(dir.resolve("fedsyncd")).cluster("host", etcd.get("host"))
                .cluster("host2", etcd.get("host2")).http("tokenFile: " + tokenFile).http("tls:")
                .http("  certFile: " + certFile).http("  keyFile: " + keyFile);
    }

    @Test
    @DisplayName("fedsyncctl over https:// with --cacert: status, conflicts, verify with the token; refused"
            + " without the CA or over http://; a key that is not the certificate's fails --check naming it")
    void fedsyncctlOverHttps() throws Exception {
        EtcdPki pki = EtcdPki.inDirectory(dir.resolve("pki"));
        Path tokenFile = Files.writeString(dir.resolve("api.token"), TOKEN + "\n");

        // --check reads the files: a key of another certificate is named, one line, exit 2.
        FedsyncdProcess wrong = builder(pki.serverCertFile(), pki.clientKeyFile(), tokenFile).build();
        FedsyncdProcess.Result check = FedsyncdProcess.runOnce(WAIT, "--config", wrong.configFile().toString(),
                "--check");
        assertThat(check.exitCode()).as(check.stderr()).isEqualTo(2);
        assertThat(check.stderr().strip()).doesNotContain("\n", "PRIVATE KEY")
                .contains("'http.tls.keyFile'", "is not the key of certFile " + pki.serverCertFile());

        daemon = builder(pki.serverCertFile(), pki.serverKeyFile(), tokenFile).build().start();
        String https = "https://127.0.0.1:" + daemon.httpPort();
        String ca = pki.caFile().toString();
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).until(() -> {
            assertThat(daemon.isRunning()).as(daemon.logTail(30)).isTrue();
            return FedsyncdProcess.fedsyncctl(WAIT, "--server", https, "--cacert", ca, "status").exitCode() == 0;
        });

        FedsyncdProcess.Result status = FedsyncdProcess.fedsyncctl(WAIT, "--server", https, "--cacert", ca, "status");
        assertThat(status.exitCode()).as(status.stderr()).isZero();
        assertThat(status.stdout()).contains("host2", "live");
        FedsyncdProcess.Result conflicts = FedsyncdProcess.fedsyncctl(WAIT, "conflicts", "--server", https,
                "--cacert", ca, "-o", "json");
        assertThat(conflicts.exitCode()).as(conflicts.stderr()).isZero();
        assertThat(conflicts.stdout()).contains("\"items\"", "\"total\"");
        FedsyncdProcess.Result verify = FedsyncdProcess.fedsyncctl(WAIT, "--server", https, "--cacert", ca,
                "--token-file", tokenFile.toString(), "verify");
        assertThat(verify.exitCode()).as(verify.stderr()).isZero();
        assertThat(verify.stdout()).contains("KEYS CHECKED");

        FedsyncdProcess.Result untrusted = FedsyncdProcess.fedsyncctl(WAIT, "--server", https, "status");
        assertThat(untrusted.exitCode()).isEqualTo(3);
        assertThat(untrusted.stderr()).contains("TLS failed", "--cacert");
        FedsyncdProcess.Result otherCa = FedsyncdProcess.fedsyncctl(WAIT, "--server", https, "--cacert",
                EtcdPki.inDirectory(dir.resolve("other-pki")).caFile().toString(), "status");
        assertThat(otherCa.exitCode()).isEqualTo(3);
        FedsyncdProcess.Result plain = FedsyncdProcess.fedsyncctl(WAIT, "--server", "http://127.0.0.1:"
                + daemon.httpPort(), "--token-file", tokenFile.toString(), "verify");
        assertThat(plain.exitCode()).isEqualTo(3);
        assertThat(plain.stderr()).contains("https://");

        String everything = status.stdout() + status.stderr() + conflicts.stdout() + verify.stdout()
                + verify.stderr() + untrusted.stderr() + plain.stderr();
        assertThat(everything).doesNotContain(TOKEN);
        assertThat(daemon.logText()).contains("HTTP API on https://", "http.tls.certFile=" + pki.serverCertFile())
                .doesNotContain(TOKEN, "PRIVATE KEY", "Exception in thread");
    }
}
