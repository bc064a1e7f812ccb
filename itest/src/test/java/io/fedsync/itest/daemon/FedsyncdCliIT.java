package io.fedsync.itest.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedsync.itest.fixture.EtcdPki;
import io.fedsync.itest.fixture.FedsyncdProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fedsyncd command line, run as a real process: bad config is one clear line and exit 2. */
@DisplayName("real fedsyncd process: --check and bad config")
class FedsyncdCliIT {

    private static final Duration RUN = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private Path config(String yaml) throws IOException {
        Path file = dir.resolve("fedsync.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    /** A valid config as the fixture writes it (nothing needs to listen on these endpoints for --check). */
    private String valid() throws IOException {
        FedsyncdProcess generated = FedsyncdProcess.builder(dir.resolve("generated"))
                .cluster("host", "http://127.0.0.1:2379").cluster("host2", "http://127.0.0.1:22379").build();
        return Files.readString(generated.configFile());
    }

    private static void assertNoStackTrace(FedsyncdProcess.Result r) {
        assertThat(r.stderr() + r.stdout()).doesNotContain("\tat ", "Exception in thread");
    }

    /** Exit 2 and exactly one line on stderr, which is returned. */
    private static String refused(FedsyncdProcess.Result r) {
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(2);
        assertNoStackTrace(r);
        String line = r.stderr().strip();
        assertThat(line).as("one line").doesNotContain("\n");
        return line;
    }

    private static FedsyncdProcess.Result check(Path file) {
        return FedsyncdProcess.runOnce(RUN, "--config", file.toString(), "--check");
    }

    /** The valid config with cluster host on https:// with these files (line 9 endpoints, 10 caFile, ...). */
    private String withTls(Path ca, Path cert, Path key) throws IOException {
        return valid().replace("      endpoints: [http://127.0.0.1:2379]",
                "      endpoints: [https://127.0.0.1:2379]\n      caFile: " + ca + "\n      certFile: " + cert
                        + "\n      keyFile: " + key);
    }

    @Test
    @DisplayName("--check on a valid config prints 'config OK' and exits 0")
    void checkValid() throws IOException {
        Path file = config(valid());
        FedsyncdProcess.Result r = FedsyncdProcess.runOnce(RUN, "--config", file.toString(), "--check");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("config OK");
    }

    @Test
    @DisplayName("an unknown key is named with its line; exit 2; no stack trace")
    void unknownKeyIsNamed() throws IOException {
        Path file = config(valid().replace("  conflictPolicy: hold",
                "  conflictPolicy: hold\n  conflictPolcy: lww"));
        FedsyncdProcess.Result r = FedsyncdProcess.runOnce(RUN, "--config", file.toString(), "--check");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).contains("conflictPolcy").containsPattern("line \\d+");
        assertNoStackTrace(r);
    }

    @Test
    @DisplayName("malformed YAML: exit 2, one clear message, no stack trace")
    void malformedYaml() throws IOException {
        Path file = config("node:\n  id: a\n  dataDir: [unclosed\nclusters: {\n");
        FedsyncdProcess.Result r = FedsyncdProcess.runOnce(RUN, "--config", file.toString(), "--check");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).isNotBlank().contains(file.getFileName().toString());
        assertNoStackTrace(r);
    }

    @Test
    @DisplayName("a missing config file: exit 2, names the file")
    void missingFile() {
        Path file = dir.resolve("nope.yaml");
        FedsyncdProcess.Result r = FedsyncdProcess.runOnce(RUN, "--config", file.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).contains("nope.yaml");
        assertNoStackTrace(r);
    }

    @Test
    @DisplayName("kubeadm's TLS files as they are (PKCS#1 RSA key, or SEC1 EC, or PKCS#8) pass --check")
    void kubeadmTlsFilesPassCheck() throws IOException {
        EtcdPki pki = EtcdPki.inDirectory(dir.resolve("pki"));
        assertThat(Files.readAllLines(pki.clientKeyFile()).get(0)).isEqualTo("-----BEGIN RSA PRIVATE KEY-----");
        for (EtcdPki.KeyForm form : EtcdPki.KeyForm.values()) {
            FedsyncdProcess.Result r = check(config(withTls(pki.caFile(), pki.clientCertFile(form),
                    pki.clientKeyFile(form))));
            assertThat(r.exitCode()).as(form + ": " + r.stderr()).isZero();
            assertThat(r.stdout()).contains("config OK");
        }
    }

    @Test
    @DisplayName("TLS files that cannot work are refused at --check, naming the key, its line and the accepted forms")
    void unusableTlsFilesAreRefusedAtCheck() throws IOException {
        EtcdPki pki = EtcdPki.inDirectory(dir.resolve("pki"));
        EtcdPki other = EtcdPki.inDirectory(dir.resolve("other-pki"));
        Path encrypted = pki.writeEncryptedClientKey(dir.resolve("encrypted.key"));
        Path file = config(withTls(pki.caFile(), pki.clientCertFile(), encrypted));

        assertThat(refused(check(file))).startsWith("invalid 'clusters[0].etcd.keyFile' in " + file + " (line 12): "
                        + encrypted + " is encrypted (BEGIN ENCRYPTED PRIVATE KEY); fedsync cannot use encrypted keys")
                .endsWith("accepted forms: PKCS#1 RSA (BEGIN RSA PRIVATE KEY, as kubeadm writes it), SEC1 EC (BEGIN "
                        + "EC PRIVATE KEY) and PKCS#8 (BEGIN PRIVATE KEY), unencrypted");

        file = config(withTls(pki.caFile(), pki.clientCertFile(), other.clientKeyFile()));
        assertThat(refused(check(file))).isEqualTo("invalid 'clusters[0].etcd.keyFile' in " + file + " (line 12): "
                + other.clientKeyFile() + " is not the key of certFile " + pki.clientCertFile()
                + " ('CN=kube-apiserver-etcd-client,O=system:masters'): the key's public half differs from the "
                + "certificate's");

        file = config(withTls(pki.clientKeyFile(), pki.clientCertFile(), pki.clientKeyFile()));
        assertThat(refused(check(file))).startsWith("invalid 'clusters[0].etcd.caFile' in " + file + " (line 10): "
                + pki.clientKeyFile() + " holds no certificate, only 'BEGIN RSA PRIVATE KEY'");
    }

    @Test
    @DisplayName("an endpoint port out of range is refused at --check naming clusters[1].etcd.endpoints[0] and its line")
    void endpointPortOutOfRange() throws IOException {
        Path file = config(valid().replace("http://127.0.0.1:22379", "http://127.0.0.1:99999"));

        assertThat(refused(check(file))).isEqualTo("invalid 'clusters[1].etcd.endpoints[0]' in " + file
                + " (line 12): 'http://127.0.0.1:99999': port 99999 is outside 1..65535");
    }

    @Test
    @DisplayName("maxValueBytes above etcd's request limit or beyond int: key, line and allowed range")
    void maxValueBytesOutOfRange() throws IOException {
        for (String value : new String[] {"2147483647", "99999999999"}) {
            Path file = config(valid().replace("  conflictPolicy: hold", "  conflictPolicy: hold\n  maxValueBytes: "
                    + value));
            assertThat(refused(check(file))).as(value).isEqualTo("invalid 'mirror.maxValueBytes' in " + file
                    + " (line 16): " + value + " is outside the allowed range 1..1400000: a value is written in one "
                    + "etcd Txn together with its key and fedsync's metadata, and etcd refuses requests over 1572864 "
                    + "bytes (1.5 MiB, its default --max-request-bytes)");
        }
    }

    @Test
    @DisplayName("http.listen on an address this host does not have: --check says just that")
    void listenOnAnotherHostsAddress() throws IOException {
        String yaml = valid().replaceFirst("listen: 127\\.0\\.0\\.1:\\d+", "listen: 203.0.113.7:8080");
        Path file = config(yaml);

        assertThat(refused(check(file))).startsWith("invalid 'http.listen' in " + file + " (line 5): 203.0.113.7 is "
                + "not an address of this host; use one of its addresses [").doesNotContain("another process");
    }

    @Test
    @DisplayName("http.tokenFile: an empty one is refused at --check naming key and line; a good one passes and"
            + " its token is printed nowhere")
    void tokenFile() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.token"), "\n");
        Path file = config(valid().replaceFirst("(listen: 127\\.0\\.0\\.1:\\d+)", "$1\n  tokenFile: " + empty));
        assertThat(refused(check(file))).startsWith("invalid 'http.tokenFile' in " + file + " (line 6): file "
                + empty + " is empty");

        String token = "cli-it-" + Long.toHexString(System.nanoTime());
        Path good = Files.writeString(dir.resolve("api.token"), token + "\n");
        file = config(valid().replaceFirst("(listen: 127\\.0\\.0\\.1:\\d+)", "$1\n  tokenFile: " + good));
        FedsyncdProcess.Result ok = check(file);
        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        assertThat(ok.stdout() + ok.stderr()).doesNotContain(token);
    }

    @Test
    @DisplayName("a data dir under /proc: --check says why it cannot be created")
    void dataDirOnProc() throws IOException {
        String yaml = valid().replaceFirst("dataDir: .*", "dataDir: /proc/fedsync");
        Path file = config(yaml);

        assertThat(refused(check(file))).isEqualTo("invalid 'node.dataDir' in " + file + " (line 3): /proc/fedsync "
                + "cannot be created: /proc is on the kernel's proc file system, which cannot hold fedsync's files; "
                + "use a directory on a disk, e.g. /var/lib/fedsync");
    }

    @Test
    @DisplayName("a start that fails (HTTP port taken) stops in order: one line on stderr, exit 2, no stack trace")
    void failedStartIsOneLine() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String yaml = valid().replaceFirst("listen: 127\\.0\\.0\\.1:\\d+", "listen: 127.0.0.1:" + taken.getLocalPort());
            Path file = config(yaml);

            FedsyncdProcess.Result r = FedsyncdProcess.runOnce(RUN, "--config", file.toString());

            assertThat(refused(r)).startsWith("cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (http.listen): ")
                    .endsWith("Address already in use (another process listens there; pick another port)");
        }
    }

    @Test
    @DisplayName("an invalid value (a priority policy without priority list) is refused at --check")
    void invalidValue() throws IOException {
        Path file = config(valid().replace("conflictPolicy: hold", "conflictPolicy: priority"));
        FedsyncdProcess.Result r = FedsyncdProcess.runOnce(RUN, "--config", file.toString(), "--check");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).contains("priority");
        assertNoStackTrace(r);
    }
}
