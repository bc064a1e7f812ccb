package io.fedsync.itest.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedsync.itest.fixture.FedsyncdProcess;
import java.io.IOException;
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
    @DisplayName("an invalid value (a priority policy without priority list) is refused at --check")
    void invalidValue() throws IOException {
        Path file = config(valid().replace("conflictPolicy: hold", "conflictPolicy: priority"));
        FedsyncdProcess.Result r = FedsyncdProcess.runOnce(RUN, "--config", file.toString(), "--check");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).contains("priority");
        assertNoStackTrace(r);
    }
}
