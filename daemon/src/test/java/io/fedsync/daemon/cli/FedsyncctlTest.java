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
    private static final RaftStatus RAFT = new RaftStatus("b", "follower", "a", 4, List.of(
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
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Fedsyncctl.run(args, new PrintWriter(out), new PrintWriter(err), env);
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
        assertThat(json.out()).contains("\"self\" : \"b\"", "\"leader\" : \"a\"");
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
}
