package io.fedsync.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KubeCluster}'s writes (create and replace, the federation's hot path) and listings (a
 * resync's, in pages), sent as raw JSON through client-java's HTTP client, against a real HTTP
 * server on loopback that plays a
 * kube-apiserver's answers (a test double: this tests the client's side of the wire). What is
 * checked: the request (method, path, the kubeconfig's bearer token, the body), what is read from
 * the answer, and that every failure is a {@link KubeAccessException} that says what happened and
 * never carries the token.
 */
class KubeClusterHttpTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "member-bearer-" + "5ec12e7".repeat(5);
    private static final FederatedKind.Target USERS = new FederatedKind.Target("iam.kubesphere.io", "v1alpha2", "users",
            "User");

    /** One request the server received. */
    record Received(String method, String path, String authorization, String contentType, String body) {
    }

    /** The answer the server gives next: status, content type, body. */
    private volatile int status = 201;
    private volatile String contentType = "application/json";
    private volatile byte[] answer = new byte[0];
    /** Answers given one per request before {@link #answer}: status and body. */
    private final java.util.Deque<Object[]> queued = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private HttpServer server;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange x) throws IOException {
        String query = x.getRequestURI().getRawQuery();
        received.add(new Received(x.getRequestMethod(), x.getRequestURI().getRawPath() + (query == null ? "" : "?" + query),
                x.getRequestHeaders().getFirst("Authorization"), x.getRequestHeaders().getFirst("Content-Type"),
                new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
        x.getResponseHeaders().set("Content-Type", contentType);
        Object[] next = queued.poll();
        byte[] body = next == null ? answer : (byte[]) next[1];
        int code = next == null ? status : (int) next[0];
        x.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            x.getResponseBody().write(body);
        }
        x.close();
    }

    private KubeCluster cluster(String serverUrl) throws IOException {
        Path kubeconfig = TestKubeconfigs.withToken(dir.resolve("member.kubeconfig"), serverUrl, TOKEN);
        return KubeCluster.connect("member1", kubeconfig, null);
    }

    private KubeCluster cluster() throws IOException {
        return cluster("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private static ObjectNode user(String name) {
        ObjectNode u = JSON.createObjectNode();
        u.put("apiVersion", "iam.kubesphere.io/v1alpha2");
        u.put("kind", "User");
        ObjectNode meta = u.putObject("metadata");
        meta.put("name", name);
        meta.putObject("annotations").put(MemberCopy.ORIGIN_CLUSTER, "host");
        u.putObject("spec").put("email", name + "@example.com");
        return u;
    }

    /** An answer as kube-apiserver gives it: metadata with nested maps before resourceVersion. */
    private void answerObject(int code, String resourceVersion) {
        status = code;
        contentType = "application/json";
        answer = ("{\"apiVersion\":\"iam.kubesphere.io/v1alpha2\",\"kind\":\"User\",\"metadata\":{\"annotations\":"
                + "{\"resourceVersion\":\"not-this-one\",\"a\":{\"b\":[1,{\"resourceVersion\":\"nor-this\"}]}},"
                + "\"managedFields\":[{\"manager\":\"x\",\"fieldsV1\":{\"f:metadata\":{}}}],\"name\":\"alice\","
                + "\"resourceVersion\":\"" + resourceVersion + "\",\"uid\":\"u-1\"},\"spec\":{\"email\":\"a@b\"}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aCreatePostsTheObjectWithTheKubeconfigsTokenAndAnswersOnlyTheResourceVersion() throws Exception {
        answerObject(201, "4711");
        ObjectNode alice = user("alice");

        String rv = cluster().createVersion(USERS, alice);

        assertThat(rv).isEqualTo("4711");
        assertThat(received).hasSize(1);
        Received r = received.get(0);
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.path()).as("recorded under fedsync's own field manager").isEqualTo(
                "/apis/iam.kubesphere.io/v1alpha2/users?fieldManager=fedsync");
        assertThat(("Bearer " + TOKEN).equals(r.authorization())).as("the kubeconfig's token is sent").isTrue();
        assertThat(r.contentType()).startsWith("application/json");
        assertThat(JSON.readTree(r.body())).isEqualTo(alice);
    }

    @Test
    void aReplacePutsTheObjectConditionalOnTheResourceVersionItWasDecidedOn() throws Exception {
        answerObject(200, "4712");
        ObjectNode alice = user("alice");
        ObjectNode before = alice.deepCopy();

        String rv = cluster().replaceVersion(USERS, alice, "4711");

        assertThat(rv).isEqualTo("4712");
        Received r = received.get(0);
        assertThat(r.method()).isEqualTo("PUT");
        assertThat(r.path()).isEqualTo("/apis/iam.kubesphere.io/v1alpha2/users/alice?fieldManager=fedsync");
        assertThat(("Bearer " + TOKEN).equals(r.authorization())).as("the kubeconfig's token is sent").isTrue();
        JsonNode sent = JSON.readTree(r.body());
        assertThat(sent.path("metadata").path("resourceVersion").asText()).isEqualTo("4711");
        ((ObjectNode) sent.path("metadata")).remove("resourceVersion");
        assertThat(sent).isEqualTo(before);
        assertThat(alice).as("the caller's object (shared by every member's decision) is not changed").isEqualTo(before);
    }

    @Test
    void pathsOfCoreAndNamespacedKindsAndOfAServerBehindAPathPrefix() throws Exception {
        answerObject(201, "1");
        FederatedKind.Target configMaps = new FederatedKind.Target("", "v1", "configmaps", "ConfigMap");
        ObjectNode cm = JSON.createObjectNode();
        cm.putObject("metadata").put("name", "c 1").put("namespace", "ns-1");

        cluster().createVersion(configMaps, cm);
        cluster("http://127.0.0.1:" + server.getAddress().getPort() + "/k8s/clusters/c-1/")
                .replaceVersion(USERS, user("bob"), "9");

        assertThat(received).extracting(Received::path).containsExactly(
                "/api/v1/namespaces/ns-1/configmaps?fieldManager=fedsync",
                "/k8s/clusters/c-1/apis/iam.kubesphere.io/v1alpha2/users/bob?fieldManager=fedsync");
    }

    @Test
    void aConflictIsAConflictNamingTheStatusReason() throws Exception {
        status = 409;
        answer = ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"AlreadyExists\","
                + "\"message\":\"users.iam.kubesphere.io \\\"alice\\\" already exists\",\"code\":409}")
                .getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> cluster().createVersion(USERS, user("alice")))
                .isInstanceOfSatisfying(KubeAccessException.class, e -> {
                    assertThat(e.conflict()).isTrue();
                    assertThat(e.unavailable()).isFalse();
                    assertThat(e.getMessage()).isEqualTo("member1: create users alice answered 409 AlreadyExists:"
                            + " users.iam.kubesphere.io \"alice\" already exists");
                    assertNoToken(e);
                });
    }

    @Test
    void aServerErrorWithoutAStatusIsUnavailableAndSaysTheCode() throws Exception {
        status = 503;
        contentType = "text/plain";
        answer = "etcdserver: request timed out".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> cluster().replaceVersion(USERS, user("alice"), "3"))
                .isInstanceOfSatisfying(KubeAccessException.class, e -> {
                    assertThat(e.unavailable()).isTrue();
                    assertThat(e.code()).isEqualTo(503);
                    assertThat(e.getMessage()).isEqualTo("member1: replace users alice answered 503");
                    assertNoToken(e);
                });
    }

    @Test
    void aSuccessThatIsNotAnObjectWithAResourceVersionIsAClearError() throws Exception {
        KubeCluster c = cluster();
        status = 201;
        contentType = "text/html";
        answer = "<html>proxy login</html>".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> c.createVersion(USERS, user("alice")))
                .isInstanceOf(KubeAccessException.class)
                .hasMessage("the API server answered create users alice with something that is not JSON");

        answer = "[1,2]".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> c.createVersion(USERS, user("alice")))
                .hasMessage("the API server answered create users alice with something that is not a JSON object");

        answer = "{\"metadata\":{\"name\":\"alice\",\"resourceVersion\":7}}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> c.createVersion(USERS, user("alice")))
                .hasMessage("the API server answered create users alice with an object without a resourceVersion");

        answer = new byte[0];
        assertThatThrownBy(() -> c.createVersion(USERS, user("alice")))
                .isInstanceOf(KubeAccessException.class);
    }

    @Test
    void anAnswerLargerThanAnyObjectIsRefusedWithoutReadingItAll() throws Exception {
        answerObject(201, "1");
        byte[] huge = new byte[KubeCluster.MAX_ANSWER_BYTES + 10];
        java.util.Arrays.fill(huge, (byte) ' ');
        System.arraycopy(answer, 0, huge, 0, answer.length);
        answer = huge;

        assertThatThrownBy(() -> cluster().createVersion(USERS, user("alice")))
                .isInstanceOfSatisfying(KubeAccessException.class, e -> {
                    assertThat(e.unavailable()).isFalse();
                    assertThat(e.getMessage()).isEqualTo("the API server answered create users alice with more than "
                            + KubeCluster.MAX_ANSWER_BYTES + " bytes");
                    assertNoToken(e);
                });
    }

    @Test
    void aMemberThatDoesNotListenIsUnreachableAndSaidSo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        KubeCluster c = cluster("http://127.0.0.1:" + port);

        assertThatThrownBy(() -> c.createVersion(USERS, user("alice")))
                .isInstanceOfSatisfying(KubeAccessException.class, e -> {
                    assertThat(e.unreachable()).isTrue();
                    assertThat(e.getMessage()).startsWith("member1 (http://127.0.0.1:" + port + ") did not answer to"
                            + " create users alice: ");
                    assertNoToken(e);
                });
    }

    private void queue(int code, String body) {
        queued.add(new Object[] {code, body.getBytes(StandardCharsets.UTF_8)});
    }

    private static String page(String continueToken, String... names) {
        StringBuilder items = new StringBuilder();
        for (String n : names) {
            items.append(items.length() == 0 ? "" : ",").append("{\"metadata\":{\"name\":\"").append(n)
                    .append("\",\"resourceVersion\":\"7\"}}");
        }
        return "{\"kind\":\"UserList\",\"metadata\":{\"resourceVersion\":\"9\"" + (continueToken == null ? ""
                : ",\"continue\":\"" + continueToken + "\"") + "},\"items\":[" + items + "]}";
    }

    @Test
    void aListingFollowsContinueTokensWithTheSelectorAndTheToken() throws Exception {
        queue(200, page("tok/1", "a", "b"));
        queue(200, page(null, "c"));

        List<JsonNode> listed = cluster().list(USERS, "kubefed.io/managed=false");

        assertThat(listed).extracting(n -> n.path("metadata").path("name").asText()).containsExactly("a", "b", "c");
        assertThat(received).extracting(Received::method).containsExactly("GET", "GET");
        assertThat(received).extracting(Received::path).containsExactly(
                "/apis/iam.kubesphere.io/v1alpha2/users?limit=500&labelSelector=kubefed.io%2Fmanaged%3Dfalse",
                "/apis/iam.kubesphere.io/v1alpha2/users?limit=500&labelSelector=kubefed.io%2Fmanaged%3Dfalse"
                        + "&continue=tok%2F1");
        assertThat(received).allSatisfy(r -> assertThat(("Bearer " + TOKEN).equals(r.authorization()))
                .as("the kubeconfig's token is sent").isTrue());
    }

    @Test
    void aContinueTokenThatExpiredStartsTheListingOverOnce() throws Exception {
        queue(200, page("old", "a"));
        queue(410, "{\"kind\":\"Status\",\"reason\":\"Expired\",\"message\":\"continue token too old\"}");
        queue(200, page(null, "a", "b"));

        assertThat(cluster().list(USERS, null)).extracting(n -> n.path("metadata").path("name").asText())
                .containsExactly("a", "b");
        assertThat(received).hasSize(3);

        queue(200, page("old", "a"));
        queue(410, "{\"kind\":\"Status\",\"reason\":\"Expired\"}");
        queue(200, page("old2", "a"));
        queue(410, "{\"kind\":\"Status\",\"reason\":\"Expired\"}");
        assertThatThrownBy(() -> cluster().list(USERS, null)).isInstanceOfSatisfying(KubeAccessException.class,
                e -> assertThat(e.code()).isEqualTo(410));
    }

    @Test
    void aListingThatIsNotAListIsAClearError() throws Exception {
        KubeCluster c = cluster();
        queue(200, "{\"items\":{\"a\":1}}");
        assertThatThrownBy(() -> c.list(USERS, null))
                .hasMessage("the API server answered list users with something that is not a list");
        queue(200, "<html>");
        assertThatThrownBy(() -> c.list(USERS, null))
                .hasMessage("the API server answered list users with something that is not JSON");
        queue(403, "{\"kind\":\"Status\",\"reason\":\"Forbidden\",\"message\":\"users is forbidden\"}");
        assertThatThrownBy(() -> c.list(USERS, null)).isInstanceOfSatisfying(KubeAccessException.class, e -> {
            assertThat(e.getMessage()).isEqualTo("member1: list users answered 403 Forbidden: users is forbidden");
            assertNoToken(e);
        });
        queue(200, "{\"kind\":\"UserList\",\"metadata\":{}}");
        assertThat(c.list(USERS, null)).as("no items: an empty list").isEmpty();
    }

    private static void assertNoToken(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(TOKEN);
            assertThat(t.toString()).doesNotContain(TOKEN);
        }
    }
}
