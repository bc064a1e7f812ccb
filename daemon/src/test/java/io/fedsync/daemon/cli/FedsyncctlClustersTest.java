package io.fedsync.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fedsync.raft.api.json.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedsyncctl join|unjoin|clusters|check-jwt} against a stub HTTP server speaking the
 * cluster endpoints' contract (a test double of fedsyncd: this is the client's test): the request
 * each sends (the kubeconfig as an absolute path, never its content; the token on changes), the
 * output of each answer and the exit codes.
 */
class FedsyncctlClustersTest {

    private static final String TOKEN = "t0ken-" + "c0ffee".repeat(6);
    private static final String KUBE_SECRET = "kube-bearer-never-sent";

    /** One request the stub received. */
    record Request(String method, String path, String authorization, String contentType, String body) {
    }

    private static final List<Request> REQUESTS = new CopyOnWriteArrayList<>();
    private static volatile boolean federationEnabled = true;
    private static HttpServer stub;
    private static String url;

    @TempDir
    Path dir;
    private Path tokenFile;
    private Path kubeconfig;

    @BeforeAll
    static void start() throws IOException {
        stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/", FedsyncctlClustersTest::handle);
        stub.start();
        url = "http://127.0.0.1:" + stub.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        stub.stop(0);
    }

    @BeforeEach
    void files() throws IOException {
        REQUESTS.clear();
        federationEnabled = true;
        tokenFile = Files.writeString(dir.resolve("api.token"), TOKEN + "\n");
        kubeconfig = Files.writeString(dir.resolve("member1.kubeconfig"),
                "users:\n- name: a\n  user: {token: " + KUBE_SECRET + "}\n");
    }

    private static void handle(HttpExchange x) throws IOException {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String method = x.getRequestMethod();
        String path = x.getRequestURI().getRawPath();
        String auth = x.getRequestHeaders().getFirst("authorization");
        REQUESTS.add(new Request(method, path, auth, x.getRequestHeaders().getFirst("content-type"), body));
        int status;
        String answer;
        if (!method.equals("GET") && auth == null) {
            status = 401;
            answer = status(401, "Unauthorized", "this call needs the API token: Authorization: Bearer <token>");
        } else if (!method.equals("GET") && !auth.equals("Bearer " + TOKEN)) {
            status = 403;
            answer = status(403, "Forbidden", "wrong token");
        } else if (method.equals("GET") && path.equals("/api/v1/clusters")) {
            status = 200;
            answer = federationEnabled ? ClusterCommandsRenderTest.LIST : """
                    {"kind":"ClusterList","federation":{"enabled":false,"running":false,"profile":null,"driftPolicy":null},
                     "items":[{"name":"host","role":"host","server":null,"reachable":null,"jwtSecret":null,"detail":null},
                              {"name":"host2","role":"host","server":null,"reachable":null,"jwtSecret":null,"detail":null}]}
                    """;
        } else if (method.equals("POST") && path.equals("/api/v1/clusters")) {
            JsonNode join = Json.MAPPER.readTree(body);
            String name = join.path("name").asText();
            if (join.path("dryRun").asBoolean()) {
                status = 200;
                answer = ClusterCommandsRenderTest.DRY_RUN;
            } else if (name.equals("member2")) {
                status = 422;
                answer = ClusterCommandsRenderTest.REFUSED;
            } else if (name.equals("taken")) {
                status = 409;
                answer = status(409, "NAME_TAKEN", "member taken is joined already (kubeconfig /etc/fedsync/t.kubeconfig)");
            } else {
                status = 201;
                answer = ClusterCommandsRenderTest.JOINED;
            }
        } else if (method.equals("DELETE") && path.equals("/api/v1/clusters/member1")) {
            status = 200;
            answer = status(200, null, "member1 unjoined; what was pushed to it stays on it");
        } else if (path.matches("/api/v1/clusters/[^/]+/jwt")) {
            String name = path.split("/")[4];
            status = 200;
            answer = switch (name) {
                case "member1" -> jwt(name, "matches", "the member's jwtSecret is the hosts'", null);
                case "member2" -> jwt(name, "differs", "kubesphere-config's jwtSecret differs",
                        "copy authentication.jwtSecret from a host's kubesphere-config");
                case "member3" -> jwt(name, "unreadable", "403 reading kubesphere-config", null);
                default -> null;
            };
            if (answer == null) {
                status = 404;
                answer = status(404, "NotFound", "no member " + name + " is joined");
            }
        } else {
            status = 404;
            answer = status(404, "NotFound", "no member is joined as " + path);
        }
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("content-type", "application/json");
        x.sendResponseHeaders(status, bytes.length);
        x.getResponseBody().write(bytes);
        x.close();
    }

    private static String status(int code, String reason, String message) {
        var n = Json.object().put("kind", "Status").put("code", code);
        if (reason != null) {
            n.put("reason", reason);
        }
        return n.put("message", message).toString();
    }

    private static String jwt(String name, String state, String detail, String fix) {
        var n = Json.object().put("kind", "JwtCheck").put("name", name).put("jwtSecret", state).put("detail", detail);
        return (fix == null ? n.putNull("fix") : n.put("fix", fix)).toString();
    }

    private CtlRun run(String... args) {
        CtlRun r = CtlRun.run(TOKEN, Map.of(), args);
        assertThat(r.out() + r.err()).as("the kubeconfig's content is never shown").doesNotContain(KUBE_SECRET);
        return r;
    }

    private static Request only(String method) {
        List<Request> matching = REQUESTS.stream().filter(q -> q.method().equals(method)).toList();
        assertThat(matching).hasSize(1);
        Request q = matching.get(0);
        assertThat(q.body()).as("the kubeconfig's content is never sent").doesNotContain(KUBE_SECRET);
        return q;
    }

    @Test
    void joinSendsTheContractBodyWithTheTokenAndPrintsTheChecks() throws Exception {
        CtlRun r = run("--server", url, "--token-file", tokenFile.toString(), "join", "member1", "--kubeconfig",
                kubeconfig.toString(), "--context", "m1-admin", "--label", "env=prod", "--label", "zone=a");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("""
                PASS  reachable   https://10.0.0.9:6443 answered
                WARN  kubeconfig  insecure-skip-tls-verify: the member's certificate is not checked
                PASS  jwtSecret   the member's jwtSecret is the hosts'
                member1 joined
                """);
        Request q = only("POST");
        assertThat(q.path()).isEqualTo("/api/v1/clusters");
        assertThat(q.authorization()).isEqualTo("Bearer " + TOKEN);
        assertThat(q.contentType()).startsWith("application/json");
        assertThat(Json.MAPPER.readTree(q.body())).isEqualTo(Json.MAPPER.readTree("""
                {"name":"member1","kubeconfig":"%s","context":"m1-admin","labels":{"env":"prod","zone":"a"},
                 "dryRun":false}
                """.formatted(kubeconfig)));
    }

    @Test
    void aRelativeKubeconfigIsSentAbsoluteAgainstTheWorkingDirectory() throws Exception {
        Path cwd = Path.of("").toAbsolutePath();
        Files.createDirectories(cwd.resolve("target"));
        Path file = Files.createTempFile(cwd.resolve("target"), "member", ".kubeconfig");
        try {
            String relative = cwd.relativize(file).toString();
            assertThat(Path.of(relative)).isRelative();
            CtlRun r = run("--server", url, "--token-file", tokenFile.toString(), "join", "member1",
                    "--kubeconfig", relative);
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode body = Json.MAPPER.readTree(only("POST").body());
            assertThat(body.path("kubeconfig").asText()).isEqualTo(file.toString());
            assertThat(body.path("context").isNull()).isTrue();
            assertThat(body.path("labels").size()).isZero();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aMissingOrUnusableKubeconfigIsAUsageErrorAndNothingIsSent() throws Exception {
        CtlRun missing = run("--server", url, "--token-file", tokenFile.toString(), "join", "member1",
                "--kubeconfig", dir.resolve("absent.kubeconfig").toString());
        assertThat(missing.code()).isEqualTo(Fedsyncctl.USAGE);
        assertThat(missing.err()).contains("--kubeconfig " + dir.resolve("absent.kubeconfig") + ": no such file");
        CtlRun directory = run("--server", url, "--token-file", tokenFile.toString(), "join", "member1",
                "--kubeconfig", dir.toString());
        assertThat(directory.code()).isEqualTo(Fedsyncctl.USAGE);
        assertThat(directory.err()).contains("is not a regular file");
        CtlRun relative = run("--server", url, "join", "member1", "--kubeconfig", "no-such-dir/m.kubeconfig");
        assertThat(relative.code()).isEqualTo(Fedsyncctl.USAGE);
        assertThat(relative.err()).contains("--kubeconfig no-such-dir/m.kubeconfig ("
                + Path.of("").toAbsolutePath().resolve("no-such-dir/m.kubeconfig") + "): no such file");
        assertThat(run("--server", url, "join", "member1").code()).as("--kubeconfig is required")
                .isEqualTo(Fedsyncctl.USAGE);
        assertThat(run("--server", url, "join", "member1", "--kubeconfig", kubeconfig.toString(), "--label", "env")
                .code()).as("a label is KEY=VALUE").isEqualTo(Fedsyncctl.USAGE);
        assertThat(REQUESTS).as("no request sent").isEmpty();
    }

    @Test
    void aFailedCheckIsRefusedWithTheChecksAndTheFixOnStdoutAndTheMessageOnStderr() {
        CtlRun r = run("--server", url, "--token-file", tokenFile.toString(), "join", "member2", "--kubeconfig",
                kubeconfig.toString());

        assertThat(r.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(r.out()).contains("FAIL  jwtSecret  differs from the hosts' (kubesphere-config in kubesphere-system)\n"
                + "      fix: copy authentication.jwtSecret from a host's kubesphere-config to the member's and restart"
                + " ks-apiserver\n").doesNotContain("joined");
        assertThat(r.err()).isEqualTo("fedsyncctl: join refused: jwtSecret: differs from the hosts' (kubesphere-config"
                + " in kubesphere-system)\n");
    }

    @Test
    void aTakenNameIsRefusedWithTheServersMessage() {
        CtlRun r = run("--server", url, "--token-file", tokenFile.toString(), "join", "taken", "--kubeconfig",
                kubeconfig.toString());

        assertThat(r.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("fedsyncctl: " + url + " answered 409: member taken is joined already"
                + " (kubeconfig /etc/fedsync/t.kubeconfig)\n");
    }

    @Test
    void withoutTheTokenTheDaemonRefuses() {
        CtlRun r = run("--server", url, "join", "member1", "--kubeconfig", kubeconfig.toString());
        assertThat(r.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(r.err()).contains("answered 401", "needs the API token");
        assertThat(only("POST").authorization()).isNull();
    }

    @Test
    void aDryRunShowsThePreviewAndWritesNothing() throws Exception {
        CtlRun r = run("--server", url, "--token-file", tokenFile.toString(), "join", "member1", "--kubeconfig",
                kubeconfig.toString(), "--dry-run");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("RESOURCE            NAME            ACTION  REASON\n",
                "globalroles         platform-admin  adopt   the same object, not marked yet\n",
                "would create 3, adopt 1, overwrite 0, leave 2\ndry run: nothing was written\n")
                .doesNotContain("joined");
        assertThat(Json.MAPPER.readTree(only("POST").body()).path("dryRun").asBoolean()).isTrue();

        CtlRun json = run("--server", url, "--token-file", tokenFile.toString(), "join", "member1", "--kubeconfig",
                kubeconfig.toString(), "--dry-run", "-o", "json");
        assertThat(json.code()).isZero();
        assertThat(Json.MAPPER.readTree(json.out()).path("preview")).hasSize(6);
    }

    @Test
    void unjoinSendsTheTokenAndPrintsTheMessage() {
        CtlRun r = run("--server", url, "--token-file", tokenFile.toString(), "unjoin", "member1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("member1 unjoined; what was pushed to it stays on it\n");
        Request q = only("DELETE");
        assertThat(q.path()).isEqualTo("/api/v1/clusters/member1");
        assertThat(q.authorization()).isEqualTo("Bearer " + TOKEN);

        CtlRun unknown = run("--server", url, "--token-file", tokenFile.toString(), "unjoin", "nobody");
        assertThat(unknown.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(unknown.err()).contains("answered 404", "no member is joined as /api/v1/clusters/nobody");
    }

    @Test
    void clustersAsTableWideAndJson() throws Exception {
        CtlRun table = run("--server", url, "clusters");
        assertThat(table.code()).as(table.err()).isZero();
        assertThat(table.out()).startsWith("NAME     ROLE    REACHABLE  JWTSECRET  LASTSYNC  PENDING\n")
                .contains("host2    host    <unknown>  -          -         -\n")
                .containsPattern("member2  member  no         differs    \\S+ +3\n")
                .contains("member3  member  <unknown>  -          <none>    7\n");
        assertThat(table.err()).isEmpty();

        CtlRun wide = run("--server", url, "clusters", "-o", "wide");
        assertThat(wide.code()).isZero();
        assertThat(wide.out()).contains("SERVER", "LABELS", "PUSHED(C/U/D)", "DETAIL", "env=prod,zone=a", "12/3/1");

        CtlRun json = run("--server", url, "clusters", "-o", "json");
        assertThat(json.code()).isZero();
        JsonNode body = Json.MAPPER.readTree(json.out());
        assertThat(body.path("items")).hasSize(5);
        assertThat(body.path("federation").path("profile").asText()).isEqualTo("kubesphere-v3");

        CtlRun yaml = run("--server", url, "clusters", "-o", "yaml");
        assertThat(yaml.out()).contains("kind: \"ClusterList\"");
        assertThat(REQUESTS).allSatisfy(q -> assertThat(q.authorization()).as("reads carry no token").isNull());
    }

    @Test
    void clustersSaysAfterTheTableWhenFederationIsOff() {
        federationEnabled = false;
        CtlRun r = run("--server", url, "clusters");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("""
                NAME   ROLE  REACHABLE  JWTSECRET  LASTSYNC  PENDING
                host   host  <unknown>  -          -         -
                host2  host  <unknown>  -          -         -
                """);
        assertThat(r.err()).isEqualTo("fedsyncctl: federation is not configured: add a federation: section and"
                + " clusters[].kubeconfig to fedsyncd's config\n");
        assertThat(run("--server", url, "clusters", "-o", "json").err()).as("json carries it itself").isEmpty();
    }

    @Test
    void checkJwtExitCodes() {
        CtlRun matches = run("--server", url, "check-jwt", "member1");
        assertThat(matches.code()).isZero();
        assertThat(matches.out()).isEqualTo("member1: jwtSecret matches the hosts'\n");

        CtlRun differs = run("--server", url, "check-jwt", "member2");
        assertThat(differs.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(differs.out()).isEqualTo("""
                member2: jwtSecret differs from the hosts': kubesphere-config's jwtSecret differs
                  fix: copy authentication.jwtSecret from a host's kubesphere-config
                """);

        CtlRun unreadable = run("--server", url, "check-jwt", "member3");
        assertThat(unreadable.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(unreadable.out()).isEqualTo("member3: jwtSecret unreadable: 403 reading kubesphere-config\n");

        CtlRun json = run("--server", url, "check-jwt", "member2", "-o", "json");
        assertThat(json.code()).as("the exit code does not depend on the format").isEqualTo(Fedsyncctl.REFUSED);
        assertThat(json.out()).contains("\"jwtSecret\" : \"differs\"");

        CtlRun unknown = run("--server", url, "check-jwt", "nobody");
        assertThat(unknown.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(unknown.err()).contains("answered 404: no member nobody is joined");
    }

    @Test
    void helpListsTheClusterCommands() {
        CtlRun help = run("--help");
        assertThat(help.out()).contains("clusters", "join", "unjoin", "check-jwt", "--kubeconfig");
        CtlRun join = run("join", "--help");
        assertThat(join.code()).isZero();
        assertThat(join.out()).contains("--kubeconfig=FILE", "--context=CTX", "--label=KEY=VALUE", "--dry-run",
                "must exist on every fedsyncd", "table|json|yaml");
        assertThat(run("clusters", "--help").out()).contains("table|wide|json|yaml");
    }
}
