package io.fedsync.federation;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.gson.JsonObject;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesApi;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import io.kubernetes.client.util.generic.options.DeleteOptions;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * One Kubernetes cluster reached through its kubeconfig (a host or a member), with the calls the
 * federation makes: the facts a join checks (kube-system's uid, KubeSphere's config) and get,
 * list, create, replace and delete of federated objects. Every call has a timeout; failures are a
 * {@link KubeAccessException} naming the cluster and the call, never a token.
 *
 * <p>The kubeconfig is read from its path each time the cluster is connected and never copied
 * anywhere else. {@code insecure-skip-tls-verify: true} works, with a warning ({@link #warnings}).
 */
public final class KubeCluster {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);
    /**
     * Idle connections kept per cluster, and for how long. Over HTTP/1.1 (an API server reached
     * without TLS, or through a proxy that does not speak HTTP/2) each call in flight holds a
     * connection of its own; OkHttp's default pool keeps 5 idle and closes the rest, so with more
     * calls in flight than that, nearly every call opened a new connection (and, with TLS, a new
     * handshake). Measured in {@code bin/fedsync-federation-bench --profile}: connects and closes
     * on the federation workers' stacks. 128 covers the calls one cluster can have in flight (at
     * most half of {@code federation.workers}: 32 by default, 128 at most); a connection exists
     * only while it was needed within the keep-alive. Over HTTP/2 (kube-apiserver with TLS) calls
     * share one connection and this changes nothing.
     */
    static final int IDLE_CONNECTIONS = 128;
    static final Duration IDLE_KEEP_ALIVE = Duration.ofMinutes(2);

    private final String name;
    private final ApiClient client;
    private final ApiClient watchingClient;
    private final String server;
    private final List<String> warnings;
    /** The server's URL as the client calls it (parsed once: every write starts from it). */
    private final HttpUrl baseUrl;

    private KubeCluster(String name, ApiClient client, ApiClient watchingClient, String server, List<String> warnings) {
        this.name = name;
        this.client = client;
        this.baseUrl = HttpUrl.get(client.getBasePath());
        this.watchingClient = watchingClient;
        this.server = server;
        this.warnings = List.copyOf(warnings);
    }

    /**
     * Reads {@code kubeconfig} (its {@code context}, or its current context when null) and
     * prepares a client; nothing is sent yet.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static KubeCluster connect(String name, Path kubeconfig, String context) {
        KubeConfig config;
        try (Reader r = Files.newBufferedReader(kubeconfig, StandardCharsets.UTF_8)) {
            config = KubeConfig.loadKubeConfig(r);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("kubeconfig " + kubeconfig + " of " + name + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("kubeconfig " + kubeconfig + " of " + name + " cannot be read: "
                    + e.getMessage());
        } catch (RuntimeException e) {
            // SnakeYAML's messages may quote the file (tokens): name the file, not its content.
            throw new IllegalArgumentException("kubeconfig " + kubeconfig + " of " + name + " is not a valid kubeconfig"
                    + " (YAML with clusters, users and contexts)");
        }
        if (config == null) {
            throw new IllegalArgumentException("kubeconfig " + kubeconfig + " of " + name + " is empty");
        }
        config.setFile(kubeconfig.toAbsolutePath().getParent().toFile());
        if (context != null && !context.isEmpty() && !config.setContext(context)) {
            throw new IllegalArgumentException("kubeconfig " + kubeconfig + " of " + name + " has no context '"
                    + context + "'");
        }
        if (config.getCurrentContext() == null || config.getCurrentContext().isEmpty()) {
            throw new IllegalArgumentException("kubeconfig " + kubeconfig + " of " + name + " names no current context;"
                    + " give one with --context");
        }
        String server;
        try {
            server = config.getServer();
        } catch (RuntimeException e) {
            server = null;
        }
        if (server == null || server.isEmpty()) {
            throw new IllegalArgumentException("kubeconfig " + kubeconfig + " of " + name + ": context '"
                    + config.getCurrentContext() + "' names no cluster server");
        }
        List<String> warnings = new ArrayList<>();
        if (!config.verifySSL()) {
            warnings.add("kubeconfig " + kubeconfig + " of " + name + " sets insecure-skip-tls-verify: the API server"
                    + " at " + server + " is not authenticated");
        }
        ApiClient client;
        ApiClient watching;
        try {
            client = ClientBuilder.kubeconfig(config).build();
            watching = ClientBuilder.kubeconfig(config).build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("kubeconfig " + kubeconfig + " of " + name + ": cannot build a client ("
                    + e.getClass().getSimpleName() + ")");
        }
        client.setConnectTimeout((int) CALL_TIMEOUT.toMillis());
        client.setReadTimeout((int) CALL_TIMEOUT.toMillis());
        client.setWriteTimeout((int) CALL_TIMEOUT.toMillis());
        keepConnections(client);
        // Watches stay open for minutes (the server ends them): a read timeout longer than the time
        // between a watch's events or bookmarks, and a connect timeout.
        watching.setConnectTimeout((int) CALL_TIMEOUT.toMillis());
        watching.setReadTimeout((int) WATCH_READ_TIMEOUT.toMillis());
        keepConnections(watching);
        return new KubeCluster(name, client, watching, server, warnings);
    }

    /** Gives {@code api} a connection pool of {@link #IDLE_CONNECTIONS} (its own: pools are per client). */
    private static void keepConnections(ApiClient api) {
        api.setHttpClient(api.getHttpClient().newBuilder()
                .connectionPool(new ConnectionPool(IDLE_CONNECTIONS, IDLE_KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS))
                .build());
    }

    public String name() {
        return name;
    }

    public String server() {
        return server;
    }

    public List<String> warnings() {
        return warnings;
    }

    /** The uid of the kube-system namespace: what identifies a cluster across kubeconfigs. */
    public String kubeSystemUid() throws KubeAccessException {
        try {
            V1Namespace ns = new CoreV1Api(client).readNamespace("kube-system").execute();
            String uid = ns.getMetadata() == null ? null : ns.getMetadata().getUid();
            if (uid == null || uid.isEmpty()) {
                throw new KubeAccessException(name + ": namespace kube-system has no uid", 200);
            }
            return uid;
        } catch (ApiException e) {
            throw failure("reading namespace kube-system", e);
        }
    }

    /**
     * The text of {@code kubesphere.yaml} in {@code kubesphere-system/kubesphere-config}; empty when
     * the ConfigMap or the key is absent (not a KubeSphere cluster).
     */
    public Optional<String> kubesphereYaml() throws KubeAccessException {
        try {
            V1ConfigMap cm = new CoreV1Api(client).readNamespacedConfigMap(JwtSecret.CONFIG_MAP_NAME,
                    JwtSecret.CONFIG_MAP_NAMESPACE).execute();
            return Optional.ofNullable(cm.getData() == null ? null : cm.getData().get(JwtSecret.CONFIG_FILE_KEY));
        } catch (ApiException e) {
            if (e.getCode() == 404) {
                return Optional.empty();
            }
            throw failure("reading ConfigMap " + JwtSecret.CONFIG_MAP_NAMESPACE + "/" + JwtSecret.CONFIG_MAP_NAME, e);
        }
    }

    private DynamicKubernetesApi api(FederatedKind.Target t) {
        return new DynamicKubernetesApi(t.group(), t.version(), t.plural(), client);
    }

    /** The object, or empty when there is none. */
    public Optional<JsonNode> get(FederatedKind.Target t, String namespace, String objectName)
            throws KubeAccessException {
        KubernetesApiResponse<DynamicKubernetesObject> r = call("get " + t.plural() + " " + objectName,
                () -> namespace.isEmpty() ? api(t).get(objectName) : api(t).get(namespace, objectName));
        if (r.getHttpStatusCode() == 404) {
            return Optional.empty();
        }
        return Optional.of(object(check(r, "get " + t.plural() + " " + objectName)));
    }

    /**
     * Every object of the kind carrying {@code labelSelector} (null: all), in every namespace. Read in
     * pages of {@value #LIST_PAGE} (kube-apiserver's {@code limit} and {@code continue}; a server that
     * ignores {@code limit} answers one page), as raw JSON through client-java's HTTP client: a resync
     * lists every member's copies, and client-java's generic API would build each object twice (Gson,
     * then Jackson). A continue token that expired mid-way (410) starts the listing over, once.
     */
    public List<JsonNode> list(FederatedKind.Target t, String labelSelector) throws KubeAccessException {
        return listing(t, labelSelector).items();
    }

    /**
     * A listing's objects and the resourceVersion it was read at (its {@code metadata.resourceVersion}:
     * what a watch that follows it starts from).
     */
    public record Listing(List<JsonNode> items, String resourceVersion) {
        public Listing {
            items = List.copyOf(items);
        }
    }

    /** {@link #list}, with the resourceVersion the listing was read at. */
    public Listing listing(FederatedKind.Target t, String labelSelector) throws KubeAccessException {
        String what = "list " + t.plural();
        try {
            return listPages(t, labelSelector, what);
        } catch (KubeAccessException e) {
            if (e.code() != 410) {
                throw e;
            }
            return listPages(t, labelSelector, what);
        }
    }

    /** Objects per page of a listing. */
    static final int LIST_PAGE = 500;
    /** A page of a listing: {@value #LIST_PAGE} objects of up to 1.5 MiB each would be more; none of these kinds is. */
    static final int MAX_PAGE_BYTES = 64 * 1024 * 1024;

    private Listing listPages(FederatedKind.Target t, String labelSelector, String what)
            throws KubeAccessException {
        List<JsonNode> out = new ArrayList<>();
        String next = null;
        String version = null;
        do {
            HttpUrl.Builder url = objectUrlBuilder(t, "", null).addQueryParameter("limit",
                    Integer.toString(LIST_PAGE));
            if (labelSelector != null) {
                url.addQueryParameter("labelSelector", labelSelector);
            }
            if (next != null) {
                url.addQueryParameter("continue", next);
            }
            byte[] page = send("GET", what, url.build(), null, MAX_PAGE_BYTES);
            JsonNode list;
            try {
                list = JSON.readTree(page);
            } catch (IOException e) {
                throw new KubeAccessException("the API server answered " + what + " with something that is not JSON",
                        200, e);
            }
            JsonNode items = list == null ? null : list.path("items");
            if (items == null || !list.isObject() || !(items.isArray() || items.isNull() || items.isMissingNode())) {
                throw new KubeAccessException("the API server answered " + what + " with something that is not a list",
                        200);
            }
            items.forEach(out::add);
            if (version == null) {
                // Every page of a paged listing is read at the first page's resourceVersion.
                version = list.path("metadata").path("resourceVersion").asText("");
            }
            String token = list.path("metadata").path("continue").asText("");
            next = token.isEmpty() ? null : token;
        } while (next != null);
        return new Listing(out, version);
    }

    /** An event of a watch: ADDED, MODIFIED, DELETED or BOOKMARK, and the object (for a bookmark, only its resourceVersion). */
    public record WatchEvent(String type, JsonNode object) {
    }

    /**
     * A watch's stream of events, read one at a time by the thread that opened it, which closes it;
     * {@link #cancel} from any thread ends it (the reader's {@link #next} then fails).
     */
    public final class WatchStream implements AutoCloseable {
        private final okhttp3.Call call;
        private final Response response;
        private final String what;
        /** Made at the first {@link #next}: Jackson reads the first bytes to make it, and a quiet watch sends none. */
        private JsonParser parser;

        private WatchStream(okhttp3.Call call, Response response, String what) {
            this.call = call;
            this.response = response;
            this.what = what;
        }

        /**
         * The next event; null when the server ended the watch (its {@code timeoutSeconds}). An ERROR
         * event is a {@link KubeAccessException} with its Status's code: 410 when the resourceVersion
         * watched from is too old (list again).
         */
        public WatchEvent next() throws KubeAccessException {
            JsonNode event;
            try {
                if (parser == null) {
                    ResponseBody body = response.body();
                    parser = JSON.getFactory().createParser(body == null ? java.io.InputStream.nullInputStream()
                            : body.byteStream());
                }
                JsonToken token = parser.nextToken();
                if (token == null) {
                    return null;
                }
                if (token != JsonToken.START_OBJECT) {
                    throw new KubeAccessException("the API server sent " + what + " something that is not a watch event",
                            200);
                }
                event = JSON.readTree(parser);
            } catch (IOException e) {
                throw new KubeAccessException(name + " (" + server + "): " + what + " broke off: " + describe(e), 0, e);
            }
            String type = event.path("type").asText("");
            JsonNode object = event.path("object");
            if ("ERROR".equals(type)) {
                int code = object.path("code").asInt(0);
                String reason = object.path("reason").asText("");
                String message = object.path("message").asText("");
                throw new KubeAccessException(name + ": " + what + " ended with an error " + code + " " + reason
                        + (message.isEmpty() ? "" : ": " + truncate(message)), code == 0 ? 500 : code);
            }
            if (!object.isObject() || type.isEmpty()) {
                throw new KubeAccessException("the API server sent " + what + " an event without a type or an object",
                        200);
            }
            return new WatchEvent(type, object);
        }

        /** Ends the watch from any thread: the reader's {@link #next} fails at once. */
        public void cancel() {
            call.cancel();
        }

        /** Releases the connection; by the thread that reads. */
        @Override
        public void close() {
            call.cancel();
            response.close();
        }
    }

    /**
     * Watches every object of the kind from {@code resourceVersion} (a listing's), with bookmarks,
     * until the server ends the watch after {@code timeoutSeconds}. The stream's reads time out
     * when the server sends nothing for {@link #WATCH_READ_TIMEOUT} (a host whose connection went
     * silent), so a watch is never stuck for good.
     */
    public WatchStream watch(FederatedKind.Target t, String resourceVersion, int timeoutSeconds)
            throws KubeAccessException {
        String what = "watch " + t.plural();
        HttpUrl url = objectUrlBuilder(t, "", null).addQueryParameter("watch", "true")
                .addQueryParameter("resourceVersion", resourceVersion)
                .addQueryParameter("allowWatchBookmarks", "true")
                .addQueryParameter("timeoutSeconds", Integer.toString(timeoutSeconds)).build();
        okhttp3.Call call = watchingClient.getHttpClient().newCall(request(watchingClient, "GET", what, url, null));
        Response r;
        try {
            r = call.execute();
        } catch (IOException e) {
            throw unanswered(what, e);
        }
        if (!r.isSuccessful()) {
            try (r) {
                throw answered(what, r.code(), boundedBody(r, what, MAX_ANSWER_BYTES));
            } catch (IOException e) {
                throw unanswered(what, e);
            }
        }
        return new WatchStream(call, r, what);
    }

    /** How long a watch waits for a byte before it gives up on the connection. */
    static final Duration WATCH_READ_TIMEOUT = Duration.ofMinutes(4);

    private static String truncate(String s) {
        return s.length() > 500 ? s.substring(0, 500) + "..." : s;
    }

    /**
     * Creates {@code object} and answers the created object's resourceVersion; 409 (it exists) is a
     * {@link KubeAccessException#conflict()}.
     */
    public String createVersion(FederatedKind.Target t, ObjectNode object) throws KubeAccessException {
        return createVersion(t, object, json(object, "create " + t.plural() + " " + nameOf(object)));
    }

    /**
     * {@link #createVersion(FederatedKind.Target, ObjectNode)} with the object already written as
     * JSON ({@code body}, which must be {@code object}'s): every member gets the same copy, written once.
     */
    public String createVersion(FederatedKind.Target t, ObjectNode object, byte[] body) throws KubeAccessException {
        String namespace = object.path("metadata").path("namespace").asText("");
        return write("POST", "create " + t.plural() + " " + nameOf(object), writeUrl(t, namespace, null), body);
    }

    /**
     * Replaces the object, conditional on {@code resourceVersion} (kube-apiserver's optimistic
     * concurrency: 409 when it changed since it was read), and answers the new resourceVersion.
     */
    public String replaceVersion(FederatedKind.Target t, ObjectNode object, String resourceVersion)
            throws KubeAccessException {
        String what = "replace " + t.plural() + " " + nameOf(object);
        return resourceVersionOf(replaceAnswer(t, object, resourceVersion, what), what);
    }

    /**
     * {@link #replaceVersion}, answering the object as the member stored it, parsed: for the few
     * writes that need to see what the member made of them.
     */
    public JsonNode replace(FederatedKind.Target t, ObjectNode object, String resourceVersion)
            throws KubeAccessException {
        String what = "replace " + t.plural() + " " + nameOf(object);
        byte[] answer = replaceAnswer(t, object, resourceVersion, what);
        resourceVersionOf(answer, what);
        try {
            return JSON.readTree(answer);
        } catch (IOException e) {
            throw new KubeAccessException("the API server answered " + what + " with something that is not JSON", 200,
                    e);
        }
    }

    private byte[] replaceAnswer(FederatedKind.Target t, ObjectNode object, String resourceVersion, String what)
            throws KubeAccessException {
        ObjectNode o = object.deepCopy();
        ((ObjectNode) o.path("metadata")).put("resourceVersion", resourceVersion);
        String namespace = object.path("metadata").path("namespace").asText("");
        return send("PUT", what, writeUrl(t, namespace, nameOf(object)), json(o, what), MAX_ANSWER_BYTES);
    }

    /**
     * The federation's writes, one per object and member, are its hot path: they go through the
     * client's own HTTP client (its TLS, its authentication, its timeouts) with the object's JSON
     * as bytes, and only the answer's resourceVersion is read from it. client-java's generic API
     * would turn each object into Gson's tree and back on the way out and parse the whole answer on
     * the way in, which was most of fedsyncd's CPU per member write (see federation/README.md).
     */
    private String write(String method, String what, HttpUrl url, byte[] body) throws KubeAccessException {
        return resourceVersionOf(send(method, what, url, body, MAX_ANSWER_BYTES), what);
    }

    /** The object as the JSON bytes a write sends. */
    private byte[] json(ObjectNode object, String what) throws KubeAccessException {
        try {
            return JSON.writeValueAsBytes(object);
        } catch (IOException e) {
            throw new KubeAccessException(name + ": " + what + ": the object cannot be written as JSON", 0, e);
        }
    }

    /**
     * One request with the kubeconfig's credentials through the client's own HTTP client; the answer's
     * bytes when it is a success (at most {@code maxAnswer} of them), else a {@link KubeAccessException}.
     */
    private byte[] send(String method, String what, HttpUrl url, byte[] body, int maxAnswer)
            throws KubeAccessException {
        Request request = request(client, method, what, url, body);
        try (Response r = client.getHttpClient().newCall(request).execute()) {
            byte[] answer = boundedBody(r, what, maxAnswer);
            if (r.isSuccessful()) {
                return answer;
            }
            throw answered(what, r.code(), answer);
        } catch (IOException e) {
            throw unanswered(what, e);
        }
    }

    /** A request with the kubeconfig's credentials, as {@code api}'s generated calls would send it. */
    private Request request(ApiClient api, String method, String what, HttpUrl url, byte[] body)
            throws KubeAccessException {
        Map<String, String> headers = new HashMap<>();
        if (body != null) {
            headers.put("Content-Type", JSON_MEDIA);
        }
        headers.put("Accept", JSON_MEDIA);
        Request.Builder request = new Request.Builder().url(url);
        try {
            api.updateParamsForAuth(AUTH_NAMES, new ArrayList<>(), headers, new HashMap<>(), null, method, url.uri());
        } catch (ApiException e) {
            throw new KubeAccessException(name + ": " + what + ": no credentials for the request", 0, e);
        }
        api.processHeaderParams(headers, request);
        request.method(method, body == null ? null : RequestBody.create(body, JSON_TYPE));
        return request.build();
    }

    private KubeAccessException unanswered(String what, IOException e) {
        return new KubeAccessException(name + " (" + server + ") did not answer to " + what + ": " + describe(e), 0, e);
    }

    /** An I/O failure as a message says it: its kind and its own message. */
    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /** Authentication client-java's generated APIs ask for (the kubeconfig's token, if any). */
    private static final String[] AUTH_NAMES = {"BearerToken"};
    private static final String JSON_MEDIA = "application/json";
    private static final MediaType JSON_TYPE = MediaType.get(JSON_MEDIA);
    /** An answer to a write is one object; kube-apiserver refuses objects above 1.5 MiB. */
    static final int MAX_ANSWER_BYTES = 4 * 1024 * 1024;

    /**
     * The field manager fedsync's creates and replaces are recorded under in the member's
     * {@code managedFields}: a copy whose managers are this one alone holds what fedsync wrote, as
     * the member stored it (see {@link MemberCopy#writtenOnlyBy}).
     */
    public static final String FIELD_MANAGER = "fedsync";

    /** The object's URL for a create or replace: recorded under {@link #FIELD_MANAGER}. */
    private HttpUrl writeUrl(FederatedKind.Target t, String namespace, String objectName) {
        return objectUrlBuilder(t, namespace, objectName).addQueryParameter("fieldManager", FIELD_MANAGER).build();
    }

    /** {@code /api/v1} for the core group, {@code /apis/<group>/<version>} for others; then the kind's path. */
    private HttpUrl.Builder objectUrlBuilder(FederatedKind.Target t, String namespace, String objectName) {
        HttpUrl.Builder b = baseUrl.newBuilder();
        if (t.group().isEmpty()) {
            b.addPathSegment("api");
        } else {
            b.addPathSegment("apis").addPathSegment(t.group());
        }
        b.addPathSegment(t.version());
        if (!namespace.isEmpty()) {
            b.addPathSegment("namespaces").addPathSegment(namespace);
        }
        b.addPathSegment(t.plural());
        if (objectName != null) {
            b.addPathSegment(objectName);
        }
        return b;
    }

    private static byte[] boundedBody(Response r, String what, int max) throws IOException, KubeAccessException {
        ResponseBody body = r.body();
        if (body == null) {
            return new byte[0];
        }
        okio.BufferedSource source = body.source();
        if (source.request(max + 1L)) {
            throw new KubeAccessException("the API server answered " + what + " with more than " + max + " bytes",
                    r.code());
        }
        return source.getBuffer().readByteArray();
    }

    /** The resourceVersion in the answer's metadata, read without parsing the rest of the object. */
    static String resourceVersionOf(byte[] answer, String what) throws KubeAccessException {
        try (JsonParser p = JSON.getFactory().createParser(answer)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new KubeAccessException("the API server answered " + what + " with something that is not a JSON"
                        + " object", 200);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if ("metadata".equals(field) && value == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String m = p.currentName();
                        JsonToken v = p.nextToken();
                        if ("resourceVersion".equals(m) && v == JsonToken.VALUE_STRING && !p.getText().isEmpty()) {
                            return p.getText();
                        }
                        p.skipChildren();
                    }
                    break;
                }
                p.skipChildren();
            }
        } catch (IOException e) {
            throw new KubeAccessException("the API server answered " + what + " with something that is not JSON", 200,
                    e);
        }
        throw new KubeAccessException("the API server answered " + what + " with an object without a resourceVersion",
                200);
    }

    /** A write's answer other than 2xx: the code, with the reason and message of its Status when it is one. */
    private KubeAccessException answered(String what, int code, byte[] answer) {
        String reason = "";
        try {
            JsonNode status = JSON.readTree(answer);
            if (status != null && status.isObject()) {
                String r = status.path("reason").asText("");
                String m = status.path("message").asText("");
                reason = r + (m.isEmpty() ? "" : (r.isEmpty() ? "" : ": ") + m);
            }
        } catch (IOException | RuntimeException e) {
            reason = "";
        }
        reason = truncate(reason);
        return new KubeAccessException(name + ": " + what + " answered " + code + (reason.isEmpty() ? "" : " " + reason),
                code);
    }

    /** Deletes the object if it is still at {@code resourceVersion}; gone already is fine. */
    public void delete(FederatedKind.Target t, String namespace, String objectName, String resourceVersion)
            throws KubeAccessException {
        DeleteOptions o = new DeleteOptions();
        if (resourceVersion != null && !resourceVersion.isEmpty()) {
            io.kubernetes.client.openapi.models.V1Preconditions p = new io.kubernetes.client.openapi.models.V1Preconditions();
            p.setResourceVersion(resourceVersion);
            o.setPreconditions(p);
        }
        KubernetesApiResponse<DynamicKubernetesObject> r = call("delete " + t.plural() + " " + objectName,
                () -> namespace.isEmpty() ? api(t).delete(objectName, o) : api(t).delete(namespace, objectName, o));
        if (r.getHttpStatusCode() == 404) {
            return;
        }
        check(r, "delete " + t.plural() + " " + objectName);
    }

    /**
     * client-java's generic API throws an unchecked exception when the server cannot be reached
     * (a refused connection, a timeout): that is an unreachable cluster, said as such.
     */
    private <R> R call(String what, java.util.function.Supplier<R> request) throws KubeAccessException {
        try {
            return request.get();
        } catch (RuntimeException e) {
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof IOException)) {
                cause = cause.getCause();
            }
            if (cause instanceof IOException) {
                throw new KubeAccessException(name + " (" + server + ") did not answer to " + what + ": "
                        + describe(cause), 0, e);
            }
            throw new KubeAccessException(name + ": " + what + " failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), 0, e);
        }
    }

    private DynamicKubernetesObject check(KubernetesApiResponse<DynamicKubernetesObject> r, String what)
            throws KubeAccessException {
        if (!r.isSuccess()) {
            throw status(what, r.getHttpStatusCode(), r.getStatus());
        }
        return r.getObject();
    }

    private KubeAccessException status(String what, int code, io.kubernetes.client.openapi.models.V1Status s) {
        String reason = s == null ? "" : (s.getReason() == null ? "" : s.getReason())
                + (s.getMessage() == null ? "" : ": " + s.getMessage());
        if (code == 0) {
            return new KubeAccessException(name + " (" + server + ") did not answer to " + what, 0);
        }
        return new KubeAccessException(name + ": " + what + " answered " + code + (reason.isEmpty() ? "" : " " + reason),
                code);
    }

    private KubeAccessException failure(String what, ApiException e) {
        if (e.getCode() == 0) {
            String cause = e.getCause() == null ? e.getMessage() : describe(e.getCause());
            return new KubeAccessException(name + " (" + server + ") did not answer to " + what + ": " + cause, 0, e);
        }
        return new KubeAccessException(name + ": " + what + " answered " + e.getCode(), e.getCode(), e);
    }

    private static String nameOf(JsonNode object) {
        return object.path("metadata").path("name").asText("?");
    }

    private static JsonNode object(DynamicKubernetesObject o) throws KubeAccessException {
        if (o == null || o.getRaw() == null) {
            throw new KubeAccessException("the API server answered without an object", 200);
        }
        JsonObject raw = o.getRaw();
        try {
            return JSON.readTree(raw.toString());
        } catch (IOException e) {
            throw new KubeAccessException("the API server answered an object that is not JSON", 200, e);
        }
    }

    @Override
    public String toString() {
        return name + " (" + server + ")";
    }
}
