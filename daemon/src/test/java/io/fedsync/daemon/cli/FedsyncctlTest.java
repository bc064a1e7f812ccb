package io.fedsync.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.daemon.http.ApiServer;
import io.fedsync.raft.RaftStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** fedsyncctl against a real HTTP API (over a fake mirror): output, server selection, exit codes. */
class FedsyncctlTest {

    private static final FakeMirrorService MIRROR = new FakeMirrorService();
    private static final RaftStatus RAFT = new RaftStatus("b", "follower", "a", 4, 7, List.of(
            new RaftStatus.PeerStatus("a", "127.0.0.1:7101", "leader", -1),
            new RaftStatus.PeerStatus("b", "127.0.0.1:7102", "follower", 12)));
    private static ApiServer server;
    private static String url;

    @BeforeAll
    static void start() {
        server = ApiServer.start(MIRROR, new ListenAddress("127.0.0.1", 0), () -> RAFT);
        url = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(Map<String, String> env, String... args) {
        return run(false, env, args);
    }

    private static Run run(boolean tty, Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Fedsyncctl.run(args, new PrintWriter(out), new PrintWriter(err), env, tty);
        return new Run(code, out.toString(), err.toString());
    }

    private static String deadUrl() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    @Test
    void statusAsATable() {
        Run r = run(Map.of(), "--server", url, "status");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("NODE  ROLE      LEADER  RAFT TERM  MIRROR", "b     follower  a       4",
                "CLUSTER  STATE  REVISION  OWED KEYS  ERROR", "host     live   120       0          -",
                "FROM   TO     CURSOR  LAG REVISIONS  LAG");
    }

    @Test
    void peersAsATableAndAsJson() {
        Run r = run(Map.of(), "peers", "--server", url);
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("""
                ID  ADDRESS         ROLE      LAST CONTACT
                a   127.0.0.1:7101  leader    -
                b   127.0.0.1:7102  follower  12ms
                """);
        Run json = run(Map.of(), "--server", url, "peers", "-o", "json");
        assertThat(json.out()).contains("\"self\" : \"b\"", "\"leader\" : \"a\"", "\"appliedIndex\" : 7");
    }

    @Test
    void theServerComesFromTheEnvironmentAndTheNextUrlIsTriedWhenOneDoesNotAnswer() throws Exception {
        Run r = run(Map.of("FEDSYNC_SERVER", deadUrl() + "," + url), "status", "-o", "yaml");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("policy: \"hold\"");
    }

    @Test
    void exitCodes() throws Exception {
        Run none = run(Map.of(), "--server", deadUrl(), "status");
        assertThat(none.code()).isEqualTo(Fedsyncctl.NO_ANSWER);
        assertThat(none.err()).startsWith("fedsyncctl: no fedsyncd answered: http://127.0.0.1:")
                .contains("connection refused");
        Run usage = run(Map.of(), "--server", url, "status", "--bogus");
        assertThat(usage.code()).isEqualTo(Fedsyncctl.USAGE);
        assertThat(usage.err()).contains("Unknown option: '--bogus'");
        Run refused = run(Map.of(), "--server", url, "conflicts", "--state", "nonsense");
        assertThat(refused.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(refused.err()).contains("answered 400");
    }

    @Test
    void conflictsAndVerify() {
        MIRROR.conflicts.clear();
        MIRROR.conflicts.add(FakeMirrorService.open("c1", "/registry/iam.kubesphere.io/users/a",
                io.fedsync.conflict.ConflictType.CONCURRENT_UPDATE, "host", "host2"));
        Run c = run(Map.of(), "--server", url, "conflicts", "--state", "open");
        assertThat(c.code()).isZero();
        assertThat(c.out()).contains("ID", "c1  open   concurrent-update  host,host2  /registry/iam.kubesphere.io/users/a");
        Run v = run(Map.of(), "--server", url, "verify");
        assertThat(v.code()).isZero();
        assertThat(v.out()).contains("KEYS CHECKED", "40");
    }

    @Test
    void conflictsFollowsEveryPageUnlessLimited() throws Exception {
        MIRROR.conflicts.clear();
        for (int i = 0; i < 1203; i++) {
            MIRROR.conflicts.add(FakeMirrorService.open(String.format("p%04d", i),
                    "/registry/iam.kubesphere.io/" + (i % 2 == 0 ? "users" : "globalroles") + "/n" + i,
                    io.fedsync.conflict.ConflictType.CONCURRENT_UPDATE, "host", "host2"));
        }
        try {
            Run all = run(Map.of(), "--server", url, "conflicts", "-o", "json");
            assertThat(all.code()).as(all.err()).isZero();
            com.fasterxml.jackson.databind.JsonNode body = io.fedsync.raft.api.json.Json.MAPPER.readTree(all.out());
            assertThat(body.get("items")).hasSize(1203);
            assertThat(body.get("items").get(1202).get("id").asText()).isEqualTo("p1202");
            assertThat(body.get("metadata").has("continue")).isFalse();

            Run limited = run(Map.of(), "--server", url, "conflicts", "--limit", "1100", "-o", "yaml");
            assertThat(limited.code()).as(limited.err()).isZero();
            com.fasterxml.jackson.databind.JsonNode y = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
                    .readTree(limited.out());
            assertThat(y.get("items")).hasSize(1100);
            assertThat(y.get("metadata").get("remainingItemCount").asInt()).isEqualTo(103);
            assertThat(y.get("metadata").get("continue").asText()).isNotEmpty();

            Run three = run(Map.of(), "--server", url, "conflicts", "--limit", "3", "--kind", "users");
            assertThat(three.code()).as(three.err()).isZero();
            assertThat(three.out().lines().skip(1).map(l -> l.split(" ")[0]).toList())
                    .containsExactly("p0000", "p0002", "p0004");
            assertThat(three.err()).contains("599 more conflicts not shown (--limit 3)");

            Run wide = run(Map.of(), "--server", url, "conflicts", "--kind", "GlobalRoles", "--cluster", "host2",
                    "--type", "concurrent-update", "--state", "open", "--key", "/registry/iam.kubesphere.io/globalroles/n1",
                    "-o", "wide");
            assertThat(wide.code()).as(wide.err()).isZero();
            assertThat(wide.out()).contains("REVISIONS", "VECTORS", "RESOLUTION", "p0001", "globalroles", "host=10,host2=10")
                    .doesNotContain("p0000");

            assertThat(run(Map.of(), "--server", url, "conflicts", "--limit", "0").code()).isEqualTo(Fedsyncctl.USAGE);
            assertThat(run(Map.of(), "--server", url, "conflicts", "--type", "bogus").code())
                    .isEqualTo(Fedsyncctl.REFUSED);
            assertThat(run(Map.of(), "--server", url, "conflicts", "-o", "pretty").code()).isEqualTo(Fedsyncctl.USAGE);
        } finally {
            MIRROR.conflicts.clear();
        }
    }

    @Test
    void conflictIsColouredOnATerminalOnlyWhenAllowed() {
        MIRROR.conflicts.clear();
        MIRROR.conflicts.add(io.fedsync.daemon.http.ResolveRoutesAccess.userConflict("c9", "a@163.com", "b@163.com"));
        try {
            String red = "\u001B[31m";
            assertThat(run(true, Map.of(), "--server", url, "conflict", "c9").out()).contains(red + "a@163.com");
            assertThat(run(false, Map.of(), "--server", url, "conflict", "c9").out()).doesNotContain("\u001B")
                    .contains("a@163.com");
            assertThat(run(true, Map.of("NO_COLOR", "1"), "--server", url, "conflict", "c9").out())
                    .doesNotContain("\u001B");
            assertThat(run(false, Map.of(), "--server", url, "conflict", "c9", "--color=always").out())
                    .contains(red + "a@163.com");
            assertThat(run(true, Map.of(), "--server", url, "conflict", "c9", "--color", "never").out())
                    .doesNotContain("\u001B");
            assertThat(run(true, Map.of(), "--server", url, "conflict", "c9", "-o", "json").out())
                    .doesNotContain("\u001B");
            assertThat(run(false, Map.of(), "--server", url, "conflict", "c9", "--color=sometimes").code())
                    .isEqualTo(Fedsyncctl.USAGE);
        } finally {
            MIRROR.conflicts.clear();
        }
    }

    @Test
    void helpListsTheExitCodes() {
        Run help = run(Map.of(), "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Exit codes:", "0", "ok", "1", "refused", "2", "usage", "3",
                "no fedsyncd answered");
        Run conflicts = run(Map.of(), "conflicts", "--help");
        assertThat(conflicts.out()).contains("--kind", "--limit", "--cluster", "--type", "table|wide|json|yaml");
    }
}
