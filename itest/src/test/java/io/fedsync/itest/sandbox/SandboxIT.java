package io.fedsync.itest.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The README's first command, played in-process: its checks must all pass here too. */
@DisplayName("bin/fedsync-sandbox: 4 real etcd processes (2 hosts, 2 members) and a Raft group of 3 real fedsyncd processes")
class SandboxIT {

    @Test
    @DisplayName("S1, S2, the S7 failover (kill -9 of the leader) and S8 (a member joined with fedsyncctl, one with another jwtSecret refused) as the sandbox plays them: every check passes")
    void sandboxPasses() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int code;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            code = Sandbox.run(new String[0], out);
        }
        String printed = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        // The sandbox's own check lines ("[S8] PASS ..."), not what it quotes from fedsyncctl ("  FAIL  jwtSecret ...").
        java.util.List<String> checks = printed.lines().filter(l -> l.matches("\\[[A-Za-z0-9]+\\] (PASS|FAIL) .*")).toList();
        assertThat(checks).as("failed checks").noneMatch(l -> l.contains("] FAIL "));
        assertThat(printed).contains("[S1] PASS", "[S2] PASS", "[S7] PASS", "[S8] PASS", " 0 failed")
                .contains("member joined", "FAIL  jwtSecret matches", "join refused: jwtSecret matches", "(exit code 1)");
        assertThat(checks).as("S8 checks that passed").filteredOn(l -> l.startsWith("[S8] PASS ")).hasSize(11);
        assertThat(checks).as("checks that passed").hasSizeGreaterThanOrEqualTo(33);
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
