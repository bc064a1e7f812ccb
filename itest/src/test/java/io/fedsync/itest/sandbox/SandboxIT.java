package io.fedsync.itest.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The README's first command, played in-process: its checks must all pass here too. */
@DisplayName("bin/fedsync-sandbox: 2 real etcd processes and a Raft group of 3 real fedsyncd processes")
class SandboxIT {

    @Test
    @DisplayName("S1, S2 and the S7 failover (kill -9 of the leader) as the sandbox plays them: every check passes")
    void sandboxPasses() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int code;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            code = Sandbox.run(new String[0], out);
        }
        String printed = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        assertThat(printed).doesNotContain(" FAIL ").contains("[S1] PASS", "[S2] PASS", "[S7] PASS", " 0 failed");
        assertThat(printed.lines().filter(l -> l.contains(" PASS ")).count()).as("checks that passed").isGreaterThanOrEqualTo(15);
        assertThat(code).as("exit code").isZero();
    }

    @Test
    @DisplayName("an unknown option is a usage error (exit 2), not a run")
    void unknownOptionIsUsageError() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int code;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            code = Sandbox.run(new String[] {"--bogus"}, out);
        }
        assertThat(code).isEqualTo(2);
        assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("unknown option --bogus", "usage: fedsync-sandbox");
    }
}
