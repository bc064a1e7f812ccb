package io.fedsync.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.raft.api.json.Json;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** How fedsyncctl prints join results, dry runs, the cluster list and jwtSecret checks. */
class ClusterCommandsRenderTest {

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    static final String JOINED = """
            {"kind":"JoinResult","name":"member1","joined":true,"dryRun":false,
             "checks":[{"check":"reachable","status":"PASS","detail":"https://10.0.0.9:6443 answered","fix":""},
                       {"check":"kubeconfig","status":"WARN","detail":"insecure-skip-tls-verify: the member's certificate is not checked","fix":null},
                       {"check":"jwtSecret","status":"PASS","detail":"the member's jwtSecret is the hosts'","fix":null}],
             "warnings":[]}
            """;

    static final String REFUSED = """
            {"kind":"JoinResult","name":"member2","joined":false,"dryRun":false,
             "checks":[{"check":"reachable","status":"PASS","detail":"https://10.0.0.10:6443 answered","fix":null},
                       {"check":"jwtSecret","status":"FAIL","detail":"differs from the hosts' (kubesphere-config in kubesphere-system)",
                        "fix":"copy authentication.jwtSecret from a host's kubesphere-config to the member's and restart ks-apiserver"}],
             "warnings":[],"message":"join refused: jwtSecret: differs from the hosts' (kubesphere-config in kubesphere-system)"}
            """;

    static final String DRY_RUN = """
            {"kind":"JoinResult","name":"member1","joined":false,"dryRun":true,
             "checks":[{"check":"reachable","status":"PASS","detail":"https://10.0.0.9:6443 answered","fix":null}],
             "warnings":[],
             "preview":[{"resource":"users","name":"alice","action":"CREATE","reason":"not on the member"},
                        {"resource":"users","name":"bob","action":"CREATE","reason":"not on the member"},
                        {"resource":"globalroles","name":"platform-admin","action":"ADOPT","reason":"the same object, not marked yet"},
                        {"resource":"workspacetemplates","name":"ws1","action":"CREATE","reason":"placed on member1"},
                        {"resource":"users","name":"carol","action":"LEAVE","reason":"the member's own object"},
                        {"resource":"groups","name":"g1","action":"LEAVE","reason":"the member's own object"}]}
            """;

    @Test
    void joinedShowsEachCheckAndTheResult() throws Exception {
        assertThat(ClusterCommands.joinResult(json(JOINED))).isEqualTo("""
                PASS  reachable   https://10.0.0.9:6443 answered
                WARN  kubeconfig  insecure-skip-tls-verify: the member's certificate is not checked
                PASS  jwtSecret   the member's jwtSecret is the hosts'
                member1 joined
                """);
    }

    @Test
    void aFailedCheckShowsItsFixUnderIt() throws Exception {
        assertThat(ClusterCommands.joinResult(json(REFUSED))).isEqualTo("""
                PASS  reachable  https://10.0.0.10:6443 answered
                FAIL  jwtSecret  differs from the hosts' (kubesphere-config in kubesphere-system)
                      fix: copy authentication.jwtSecret from a host's kubesphere-config to the member's and restart ks-apiserver
                """);
    }

    @Test
    void aDryRunShowsThePreviewAndASummary() throws Exception {
        assertThat(ClusterCommands.joinResult(json(DRY_RUN))).isEqualTo("""
                PASS  reachable  https://10.0.0.9:6443 answered

                RESOURCE            NAME            ACTION  REASON
                users               alice           create  not on the member
                users               bob             create  not on the member
                globalroles         platform-admin  adopt   the same object, not marked yet
                workspacetemplates  ws1             create  placed on member1
                users               carol           leave   the member's own object
                groups              g1              leave   the member's own object
                would create 3, adopt 1, overwrite 0, leave 2
                dry run: nothing was written
                """);
    }

    @Test
    void theSummaryNamesOtherActionsOnlyWhenTheyOccur() throws Exception {
        assertThat(ClusterCommands.preview(json("""
                [{"resource":"users","name":"a","action":"OVERWRITE","reason":"another version"},
                 {"resource":"users","name":"b","action":"HOLD","reason":"an open conflict"},
                 {"resource":"users","name":"c","action":"UPDATE","reason":"older copy"}]
                """))).endsWith("would create 0, adopt 0, overwrite 1, leave 0, update 1, hold 1\n");
        assertThat(ClusterCommands.preview(json("[]"))).isEqualTo("""
                no objects to copy
                would create 0, adopt 0, overwrite 0, leave 0
                """);
    }

    static final String LIST = """
            {"kind":"ClusterList",
             "federation":{"enabled":true,"running":true,"profile":"kubesphere-v3","driftPolicy":"overwrite"},
             "items":[
              {"name":"host","role":"host","server":"https://10.0.0.1:6443","reachable":true,"jwtSecret":"source","detail":null},
              {"name":"host2","role":"host","server":null,"reachable":null,"jwtSecret":null,"detail":null},
              {"name":"member1","role":"member","server":"https://10.0.0.9:6443","kubeconfig":"/etc/fedsync/member1.kubeconfig",
               "context":null,"labels":{"env":"prod","zone":"a"},"joinedAt":"2026-11-30T10:00:00Z","reachable":true,
               "jwtSecret":"matches","detail":null,"lastSync":"2026-11-30T10:00:48Z","pending":0,
               "pushed":{"creates":12,"updates":3,"deletes":1,"drifts":0,"holds":0},"warnings":[]},
              {"name":"member2","role":"member","server":"https://10.0.0.10:6443","kubeconfig":"/etc/fedsync/member2.kubeconfig",
               "context":"m2","labels":{},"joinedAt":"2026-11-30T09:00:00Z","reachable":false,
               "jwtSecret":"differs","detail":"jwtSecret differs from the hosts'","lastSync":"2026-11-30T09:55:00Z","pending":3,
               "pushed":{"creates":1,"updates":0,"deletes":0,"drifts":0,"holds":0},
               "warnings":["insecure-skip-tls-verify: the member's certificate is not checked"]},
              {"name":"member3","role":"member","server":"https://10.0.0.11:6443","labels":{},"reachable":null,
               "jwtSecret":null,"detail":null,"lastSync":null,"pending":7,"pushed":null,"warnings":[]}]}
            """;

    private static final Instant NOW = Instant.parse("2026-11-30T10:01:00Z");

    @Test
    void clustersTable() throws Exception {
        assertThat(ClusterCommands.clustersTable(json(LIST).path("items"), false, NOW)).isEqualTo("""
                NAME     ROLE    REACHABLE  JWTSECRET  LASTSYNC  PENDING
                host     host    yes        source     -         -
                host2    host    <unknown>  -          -         -
                member1  member  yes        matches    12s       0
                member2  member  no         differs    6m        3
                member3  member  <unknown>  -          <none>    7
                """);
    }

    @Test
    void clustersWideAddsServerLabelsPushedAndDetail() throws Exception {
        String[] lines = ClusterCommands.clustersTable(json(LIST).path("items"), true, NOW).split("\n");
        assertThat(lines[0].split("\\s{2,}")).containsExactly("NAME", "ROLE", "REACHABLE", "JWTSECRET", "LASTSYNC",
                "PENDING", "SERVER", "LABELS", "PUSHED(C/U/D)", "DETAIL");
        assertThat(lines[1].split("\\s{2,}")).containsExactly("host", "host", "yes", "source", "-", "-",
                "https://10.0.0.1:6443", "<none>", "-", "-");
        assertThat(lines[3].split("\\s{2,}")).containsExactly("member1", "member", "yes", "matches", "12s", "0",
                "https://10.0.0.9:6443", "env=prod,zone=a", "12/3/1", "-");
        assertThat(lines[4].split("\\s{2,}")).containsExactly("member2", "member", "no", "differs", "6m", "3",
                "https://10.0.0.10:6443", "<none>", "1/0/0", "jwtSecret differs from the hosts'; warning:"
                        + " insecure-skip-tls-verify: the member's certificate is not checked");
    }

    @Test
    void clustersWideNamesWhatAMemberRefuses() throws Exception {
        String items = """
                [{"name":"member1","role":"member","server":"https://10.0.0.9:6443","labels":{},"reachable":true,
                  "jwtSecret":"matches","detail":null,"lastSync":"2026-11-30T10:00:48Z","pending":2,
                  "pushed":{"creates":4,"updates":0,"deletes":0,"drifts":0,"holds":0},"warnings":[],"refusedCount":2,
                  "refused":[{"object":"users/bob","answer":"member1: create users bob answered 400 BadRequest: admission webhook \\"policy.example.com\\" denied the request: no"},
                             {"object":"users/eve","answer":"member1: create users eve answered 403 Forbidden: users is forbidden"}]}]
                """;
        String[] lines = ClusterCommands.clustersTable(json(items), true, NOW).split("\n");
        assertThat(lines[1].split("\\s{2,}")).containsExactly("member1", "member", "yes", "matches", "12s", "2",
                "https://10.0.0.9:6443", "<none>", "4/0/0", "refuses 2 object(s), e.g. users/bob: member1: create users"
                        + " bob answered 400 BadRequest: admission webhook \"policy.example.com\" denied the request: no");
    }

    @Test
    void theFederationNoteSaysWhenItIsOffOrNotRunning() throws Exception {
        assertThat(ClusterCommands.federationNote(json(LIST).path("federation"))).isNull();
        assertThat(ClusterCommands.federationNote(json("{\"enabled\":false}"))).contains(
                "federation is not configured", "clusters[].kubeconfig");
        assertThat(ClusterCommands.federationNote(json("{\"enabled\":true,\"running\":false}")))
                .contains("not running on the replica that answered");
    }

    @Test
    void ageIsKubectlLike() throws Exception {
        assertThat(ClusterCommands.age(Duration.ofSeconds(12))).isEqualTo("12s");
        assertThat(ClusterCommands.age(Duration.ofSeconds(59))).isEqualTo("59s");
        assertThat(ClusterCommands.age(Duration.ofMinutes(5).plusSeconds(30))).isEqualTo("5m");
        assertThat(ClusterCommands.age(Duration.ofHours(3))).isEqualTo("3h");
        assertThat(ClusterCommands.age(Duration.ofDays(2))).isEqualTo("2d");
        assertThat(ClusterCommands.age(Duration.ofDays(800))).isEqualTo("2y");
        assertThat(ClusterCommands.age(Duration.ofSeconds(-5))).as("a clock behind the server's").isEqualTo("0s");
        assertThat(ClusterCommands.age(json("null"), NOW)).isEqualTo("<none>");
        assertThat(ClusterCommands.age(json("\"yesterday\""), NOW)).isEqualTo("<invalid>");
    }

    @Test
    void jwtCheckLines() throws Exception {
        assertThat(ClusterCommands.jwtCheck(json("""
                {"kind":"JwtCheck","name":"member1","jwtSecret":"matches","detail":"the member's jwtSecret is the hosts'","fix":null}
                """))).isEqualTo("member1: jwtSecret matches the hosts'\n");
        assertThat(ClusterCommands.jwtCheck(json("""
                {"kind":"JwtCheck","name":"member2","jwtSecret":"differs","detail":"kubesphere-config's differs",
                 "fix":"copy authentication.jwtSecret from a host"}
                """))).isEqualTo("""
                member2: jwtSecret differs from the hosts': kubesphere-config's differs
                  fix: copy authentication.jwtSecret from a host
                """);
        assertThat(ClusterCommands.jwtCheck(json("""
                {"kind":"JwtCheck","name":"member3","jwtSecret":"unreadable","detail":"403 reading kubesphere-config","fix":null}
                """))).isEqualTo("member3: jwtSecret unreadable: 403 reading kubesphere-config\n");
    }
}
