package io.fedsync.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FedsyncdMainTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** Stands in for System.exit: records the status and stops the caller like the real one. */
    private static final class ExitCalled extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        ExitCalled(int status) {
            super("exit " + status);
            this.status = status;
        }
    }

    private int launch(String... args) {
        try {
            FedsyncdMain.launch(args, status -> {
                throw new ExitCalled(status);
            }, (settings, store) -> new FakeMirrorService(), new PrintWriter(out, true), new PrintWriter(err, true));
        } catch (ExitCalled e) {
            return e.status;
        }
        throw new AssertionError("launch returned without exiting");
    }

    private Path config(String mirror) throws IOException {
        return Files.writeString(dir.resolve("fedsync.yaml"), """
                node:
                  id: a
                  dataDir: %s
                clusters:
                  - name: host
                    etcd:
                      endpoints: [http://127.0.0.1:2379]
                  - name: host2
                    etcd:
                      endpoints: [http://127.0.0.1:22379]
                mirror:
                %s
                """.formatted(dir.resolve("data"), mirror.indent(2)));
    }

    @Test
    void checkAcceptsAGoodConfig() throws IOException {
        Path file = config("conflictPolicy: lww");

        assertThat(launch("--config", file.toString(), "--check")).isEqualTo(0);
        assertThat(out.toString().strip()).isEqualTo("config OK");
        assertThat(err.toString()).isEmpty();
        assertThat(dir.resolve("data")).as("--check changes nothing").doesNotExist();
    }

    @Test
    void checkReadsTheHostsKubeconfigsAndNamesABadOne() throws IOException {
        Path kubeconfig = Files.writeString(dir.resolve("host.kubeconfig"), "apiVersion: v1\nkind: Config\n"
                + "clusters: [{name: c, cluster: {server: 'https://10.0.0.1:6443'}}]\n"
                + "users: [{name: u, user: {token: s3cr3t-t0ken}}]\n"
                + "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n");
        Path file = Files.writeString(dir.resolve("fed.yaml"), Files.readString(config("conflictPolicy: lww"))
                .replace("  - name: host\n", "  - name: host\n    kubeconfig: " + kubeconfig + "\n")
                + "federation:\n  profile: kubesphere-v3\n");
        assertThat(launch("--config", file.toString(), "--check")).isEqualTo(0);
        assertThat(out.toString().strip()).isEqualTo("config OK");

        out.getBuffer().setLength(0);
        Files.writeString(kubeconfig, "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: s3cr3t-t0ken}}]\n"
                + "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: nope\n");
        assertThat(launch("--config", file.toString(), "--check")).isEqualTo(2);
        assertThat(err.toString()).contains(kubeconfig.toString()).doesNotContain("s3cr3t-t0ken", "\tat ");
    }

    @Test
    void checkRejectsABadConfigWithOneLineAndExit2() throws IOException {
        Path file = config("conflictPolcy: lww");

        assertThat(launch("--config", file.toString(), "--check")).isEqualTo(2);
        assertThat(err.toString().strip())
                .startsWith("unknown key 'mirror.conflictPolcy' in " + file + " (line 12)")
                .doesNotContain("\n", "Exception", "\tat ");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void startupErrorsAreOneLineAndExit2() throws IOException {
        Path file = config("prefixes: [/registry/pods/]");

        assertThat(launch("-c", file.toString())).isEqualTo(2);
        assertThat(err.toString().strip()).contains("invalid 'mirror.prefixes[0]'", "protobuf")
                .doesNotContain("\tat ");
    }

    @Test
    void aMirrorThatFailsToStartIsOneLineAndExit2() throws IOException {
        Path file = config("conflictPolicy: lww");
        FakeMirrorService failing = new FakeMirrorService();
        failing.failOnStart = new IllegalStateException("etcd of host did not answer\n  within 5000 ms");

        int code = FedsyncdMain.execute(new String[] {"--config", file.toString()}, (s, st) -> failing,
                new PrintWriter(out, true), new PrintWriter(err, true));

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("cannot start the mirror: IllegalStateException: etcd of host "
                + "did not answer within 5000 ms");
        assertThat(failing.closed).isTrue();
    }

    @Test
    void missingConfigOptionIsAUsageError() {
        assertThat(launch()).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--config=FILE'");
    }

    @Test
    void versionAndHelp() {
        assertThat(launch("--version")).isEqualTo(0);
        assertThat(out.toString()).startsWith("fedsyncd ");
        assertThat(launch("--help")).isEqualTo(0);
        assertThat(out.toString()).contains("--check", "--config=FILE");
    }

    @Test
    void executeReturnsTheCodeWithoutExiting() throws IOException {
        int code = FedsyncdMain.execute(new String[] {"--config", dir.resolve("none.yaml").toString(), "--check"},
                (s, st) -> new FakeMirrorService(), new PrintWriter(out, true), new PrintWriter(err, true));

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("config file " + dir.resolve("none.yaml") + " does not exist");
    }
}
