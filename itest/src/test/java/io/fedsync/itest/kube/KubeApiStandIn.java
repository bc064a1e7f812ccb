package io.fedsync.itest.kube;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * <b>Kubernetes API stand-in — a test fixture, not a Kubernetes API server.</b> A small Vert.x
 * HTTP server that answers the Kubernetes REST API for a registry of kinds
 * ({@link KubeResources}) and keeps every object in a <em>real etcd</em>, exactly where and how
 * kube-apiserver keeps custom resources, so that fedsync's mirror (writing etcd) and its
 * federation plane (talking to the API with client-java) act on the same data, as they do in a
 * real KubeSphere cluster. Made for machines without a container engine; where Docker exists,
 * tests can use k3s instead (see {@code KubeApiStandInK3sIT}).
 *
 * <h2>What it emulates</h2>
 * <ul>
 *   <li><b>Storage</b>: key {@code /registry/<group>/<plural>/[<namespace>/]<name>} (core kinds:
 *       {@code /registry/<plural>/...}); value compact JSON with sorted keys and Go's escaping,
 *       ending in one {@code \n}, <em>without</em> {@code metadata.resourceVersion}
 *       (see shared/samples). resourceVersion is the key's etcd mod_revision, added when serving.</li>
 *   <li><b>No cache</b>: every GET/LIST reads etcd and every WATCH is an etcd watch, so values
 *       written into etcd by anyone else (fedsync's mirror, jetcd in a test) are served and
 *       watched exactly like on a real apiserver; a value that is not JSON breaks GET/LIST of
 *       that kind with a 500, as it does there.</li>
 *   <li><b>Verbs</b>: get (404), list ({@code metadata.resourceVersion} = etcd header revision,
 *       labelSelector, fieldSelector on metadata.name/namespace; {@code limit} is ignored, which
 *       the API allows), watch ({@code ?watch=true}: chunked newline-delimited JSON events from
 *       {@code resourceVersion}+1; none or "0" first sends the current objects as ADDED; a
 *       compacted resourceVersion gets an ERROR event with a 410 Expired Status; honours
 *       {@code timeoutSeconds}), create (409 AlreadyExists, sets uid, creationTimestamp,
 *       generation 1 and a managedFields entry, Txn on create_revision 0; generateName),
 *       update (needs metadata.resourceVersion; Txn on mod_revision, else 409 "the object has
 *       been modified"; 404 if missing; a no-op update writes nothing, as in kube-apiserver),
 *       patch (merge-patch+json, json-patch+json; strategic-merge-patch+json only on core kinds,
 *       applied as a merge patch), delete (404; objects with finalizers get deletionTimestamp
 *       and are removed when the last finalizer goes; DeleteOptions preconditions), dryRun=All.
 *       metadata.generation rises when anything outside metadata changes (CRDs without a status
 *       subresource).</li>
 *   <li><b>Paths</b>: {@code /apis/<g>/<v>/<plural>[/<name>]},
 *       {@code /apis/<g>/<v>/namespaces/<ns>/<plural>[/<name>]}, {@code /api/v1/...} likewise,
 *       lists across namespaces; discovery ({@code /api}, {@code /api/v1}, {@code /apis},
 *       {@code /apis/<g>}, {@code /apis/<g>/<v>}, {@code /version}), {@code /healthz},
 *       {@code /readyz}, {@code /livez}. Errors are {@code Status} objects with kube's code, reason
 *       and message.</li>
 * </ul>
 *
 * <h2>What it does not</h2>
 * No authentication or authorization (any token or none is accepted), no admission but an
 * optional mutating step given to the builder (like a mutating webhook; no
 * NamespaceLifecycle: objects may be created in a namespace that does not exist; deleting a
 * namespace does not delete its contents), no defaulting, validation or pruning against a
 * schema (only name, kind and apiVersion are checked), no version conversion (an object is
 * served as stored), no subresources ({@code /status}, {@code /scale}), no server-side apply,
 * no watch cache (so no 410 before etcd itself compacts, and no bookmarks), no pagination,
 * no protobuf, no WebSocket watches, no compaction of its own. managedFields are approximated:
 * a write adds or refreshes its manager's {@code Update} entry (time, fields it set or changed)
 * and takes the fields it changed from other managers, dropping an entry left owning nothing.
 * <b>Core kinds (namespaces, configmaps) are stored as JSON</b>, whereas a real kube-apiserver
 * stores them protobuf-encoded ({@code k8s\0} prefix); fedsync's mirror never mirrors those
 * prefixes, so nothing depends on the encoding.
 *
 * <pre>{@code
 * try (KubeApiStandIn api = KubeApiStandIn.builder().etcd("http://127.0.0.1:2379").build().start()) {
 *     api.writeKubeconfig(Path.of("standin.kubeconfig"));   // then Config.fromConfig(...)
 * }
 * }</pre>
 * or as a process: {@code java -cp ... io.fedsync.itest.kube.KubeApiStandIn http://127.0.0.1:2379 127.0.0.1:8080}.
 */
public final class KubeApiStandIn implements AutoCloseable {

    /** Marks every answer and the version, so nobody mistakes this for a real apiserver. */
    public static final String SERVER_HEADER = "fedsync-kube-api-stand-in";
    public static final String GIT_VERSION = "v1.26.1-fedsync-stand-in";

    private static final Logger LOG = LoggerFactory.getLogger(KubeApiStandIn.class);
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final int CAS_RETRIES = 10;
    private static final long RESUME_DELAY_MS = 500;
    private static final String JSON = "application/json";

    private final String name;
    private final Supplier<Client> clientFactory;
    private final KubeResources resources;
    private final String host;
    private final int requestedPort;
    private final Duration etcdTimeout;
    private final Duration maxWatch;
    private final BiConsumer<KubeResource, Map<String, Object>> admission;
    private final java.util.function.Consumer<KubeResource> beforeListAnswer;

    private Vertx vertx;
    private HttpServer server;
    private Client etcd;
    private volatile String url;
    private final java.util.Set<Runnable> openWatches = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong lists = new AtomicLong();
    private final AtomicLong watches = new AtomicLong();
    private final AtomicLong expiredWatches = new AtomicLong();

    private KubeApiStandIn(Builder builder) {
        this.name = builder.name;
        this.clientFactory = builder.clientFactory;
        this.resources = builder.resources;
        this.host = builder.host;
        this.requestedPort = builder.port;
        this.etcdTimeout = builder.etcdTimeout;
        this.maxWatch = builder.maxWatch;
        this.admission = builder.admission;
        this.beforeListAnswer = builder.beforeListAnswer;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * For an {@link Builder#admission} step: the request is denied as kube-apiserver denies it for a
     * validating webhook that gives no code (400, "admission webhook "NAME" denied the request: ...").
     */
    public static RuntimeException admissionDenied(String webhook, String message) {
        return new ApiError(400, "BadRequest", "admission webhook \"" + webhook + "\" denied the request: " + message,
                null);
    }

    // ---- lifecycle ------------------------------------------------------------------------

    /** Connects to etcd and listens; returns this. */
    public synchronized KubeApiStandIn start() {
        if (server != null) {
            throw new IllegalStateException(this + " is already started");
        }
        etcd = clientFactory.get();
        vertx = Vertx.vertx();
        try {
            server = vertx.createHttpServer().connectionHandler(c -> connections.incrementAndGet())
                    .requestHandler(this::handle).listen(requestedPort, host)
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while starting " + this, e);
        } catch (ExecutionException | TimeoutException e) {
            close();
            throw new IllegalStateException("cannot listen on " + host + ":" + requestedPort, e);
        }
        url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.actualPort();
        LOG.info("Kubernetes API stand-in '{}' serving {} over etcd ({} kinds)", name, url, resources.all().size());
        return this;
    }

    /** Ends open watches, stops listening and closes its etcd client. */
    @Override
    public synchronized void close() {
        new ArrayList<>(openWatches).forEach(Runnable::run);
        if (vertx != null) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.debug("closing Vert.x of '{}': {}", name, e.toString());
            }
        }
        if (etcd != null) {
            etcd.close();
        }
        vertx = null;
        server = null;
        etcd = null;
    }

    /** {@code http://127.0.0.1:port}. */
    public String url() {
        if (url == null) {
            throw new IllegalStateException(this + " is not started");
        }
        return url;
    }

    public int port() {
        return server.actualPort();
    }

    public String name() {
        return name;
    }

    public KubeResources resources() {
        return resources;
    }

    /** How many watches are streaming now (for tests that check watches end). */
    public int openWatchCount() {
        return openWatches.size();
    }

    /** TCP connections accepted so far (a client that reuses its connections opens few). */
    public long connectionCount() {
        return connections.get();
    }

    /** LIST requests answered so far (an informer relists after a 410). */
    public long listCount() {
        return lists.get();
    }

    /** WATCH requests accepted so far. */
    public long watchCount() {
        return watches.get();
    }

    /** Watches ended with a 410 Expired ERROR event (compacted resourceVersion). */
    public long expiredWatchCount() {
        return expiredWatches.get();
    }

    /** A kubeconfig for this stand-in: one cluster, one context, a dummy bearer token. */
    public String kubeconfigYaml() {
        return kubeconfigYaml(url(), name);
    }

    /** Writes {@link #kubeconfigYaml()} to {@code file}; returns it. */
    public Path writeKubeconfig(Path file) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Files.writeString(file, kubeconfigYaml(), UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a kubeconfig to " + file, e);
        }
    }

    static String kubeconfigYaml(String serverUrl, String name) {
        String context = name.replaceAll("[^A-Za-z0-9._-]", "-");
        return "apiVersion: v1\n"
                + "kind: Config\n"
                + "# A Kubernetes API stand-in (fedsync test fixture) over a real etcd. No auth: the token is a dummy.\n"
                + "clusters:\n"
                + "- name: " + context + "\n"
                + "  cluster:\n"
                + "    server: " + serverUrl + "\n"
                + "contexts:\n"
                + "- name: " + context + "\n"
                + "  context:\n"
                + "    cluster: " + context + "\n"
                + "    user: " + context + "-user\n"
                + "current-context: " + context + "\n"
                + "users:\n"
                + "- name: " + context + "-user\n"
                + "  user:\n"
                + "    token: stand-in-dummy-token\n";
    }

    // ---- main -----------------------------------------------------------------------------

    /**
     * {@code KubeApiStandIn <etcd-endpoint> [<host:port>] [--kubeconfig <file>]}: serves until
     * killed and prints its URL on stdout (one line: {@code KUBE_API_STAND_IN_URL=http://...}).
     */
    public static void main(String[] args) throws Exception {
        List<String> positional = new ArrayList<>();
        Path kubeconfig = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--kubeconfig") && i + 1 < args.length) {
                kubeconfig = Path.of(args[++i]);
            } else if (args[i].equals("-h") || args[i].equals("--help")) {
                System.out.println("usage: KubeApiStandIn <etcd-endpoint> [<host:port>] [--kubeconfig <file>]");
                return;
            } else {
                positional.add(args[i]);
            }
        }
        if (positional.isEmpty()) {
            System.err.println("usage: KubeApiStandIn <etcd-endpoint> [<host:port>] [--kubeconfig <file>]");
            System.exit(2);
        }
        String listen = positional.size() > 1 ? positional.get(1) : "127.0.0.1:0";
        int colon = listen.lastIndexOf(':');
        Builder builder = builder().name("stand-in").etcd(positional.get(0));
        if (colon >= 0) {
            builder.host(listen.substring(0, colon).replace("[", "").replace("]", ""))
                    .port(Integer.parseInt(listen.substring(colon + 1)));
        } else {
            builder.port(Integer.parseInt(listen));
        }
        KubeApiStandIn api = builder.build().start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            api.close();
            stopped.countDown();
        }, "stand-in-shutdown"));
        if (kubeconfig != null) {
            api.writeKubeconfig(kubeconfig);
            System.out.println("KUBECONFIG=" + kubeconfig.toAbsolutePath());
        }
        System.out.println("KUBE_API_STAND_IN_URL=" + api.url());
        System.out.flush();
        stopped.await();
    }

    // ---- HTTP -----------------------------------------------------------------------------

    private void handle(HttpServerRequest request) {
        request.response().putHeader("Server", SERVER_HEADER);
        request.body().onComplete(body -> {
            try {
                dispatch(request, body.succeeded() ? body.result() : Buffer.buffer());
            } catch (ApiError e) {
                fail(request.response(), e);
            } catch (RuntimeException e) {
                LOG.warn("stand-in '{}': {} {} failed", name, request.method(), request.uri(), e);
                fail(request.response(), ApiError.internal(e.toString()));
            }
        });
    }

    /** A decoded request for one kind. */
    private record Target(KubeResource resource, String namespace, String objectName) {
        String key() {
            return resource.key(namespace, objectName);
        }

        /** The prefix a list or watch covers: one namespace, or all of them. */
        String prefix() {
            return namespace == null ? resource.keyPrefix() : resource.keyPrefix(namespace);
        }
    }

    private void dispatch(HttpServerRequest request, Buffer body) {
        String path = request.path();
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        List<String> segments = new ArrayList<>(Arrays.asList(path.substring(1).split("/")));
        HttpMethod method = request.method();
        switch (path) {
            case "/version" -> {
                respond(request.response(), 200, version());
                return;
            }
            case "/healthz", "/readyz", "/livez" -> {
                request.response().putHeader("Content-Type", "text/plain").end("ok");
                return;
            }
            case "/api" -> {
                respond(request.response(), 200, apiVersions(request));
                return;
            }
            case "/apis" -> {
                respond(request.response(), 200, groupList());
                return;
            }
            default -> {
                // below
            }
        }
        String group;
        String version;
        List<String> rest;
        if (segments.get(0).equals("api") && segments.size() >= 2) {
            group = "";
            version = segments.get(1);
            rest = segments.subList(2, segments.size());
        } else if (segments.get(0).equals("apis") && segments.size() == 2) {
            respond(request.response(), 200, group(segments.get(1)));
            return;
        } else if (segments.get(0).equals("apis") && segments.size() >= 3) {
            group = segments.get(1);
            version = segments.get(2);
            rest = segments.subList(3, segments.size());
        } else {
            throw ApiError.pathNotFound();
        }
        if (rest.isEmpty()) {
            respond(request.response(), 200, resourceList(group, version));
            return;
        }
        Target target = target(group, version, rest);
        if (method == HttpMethod.GET && target.objectName == null) {
            if (isTrue(request.getParam("watch"))) {
                watch(request, target);
            } else {
                blocking(request, () -> list(request, target));
            }
        } else if (method == HttpMethod.GET) {
            blocking(request, () -> get(target));
        } else if (method == HttpMethod.POST && target.objectName == null) {
            if (target.resource.namespaced() && target.namespace == null) {
                throw ApiError.methodNotAllowed("POST across namespaces");
            }
            blocking(request, () -> create(request, target, body));
        } else if (method == HttpMethod.PUT && target.objectName != null) {
            blocking(request, () -> update(request, target, body));
        } else if (method == HttpMethod.PATCH && target.objectName != null) {
            blocking(request, () -> patch(request, target, body));
        } else if (method == HttpMethod.DELETE && target.objectName != null) {
            blocking(request, () -> delete(request, target, body));
        } else {
            throw ApiError.methodNotAllowed(method.name());
        }
    }

    private Target target(String group, String version, List<String> rest) {
        String namespace = null;
        List<String> remaining = rest;
        if (rest.size() >= 3 && rest.get(0).equals("namespaces")) {
            namespace = rest.get(1);
            remaining = rest.subList(2, rest.size());
        }
        KubeResource resource = resources.find(group, version, remaining.get(0)).orElseThrow(ApiError::pathNotFound);
        if (namespace != null && !resource.namespaced()) {
            throw ApiError.pathNotFound();
        }
        if (remaining.size() > 2) {
            throw new ApiError(404, "NotFound", "the stand-in serves no subresources (" + String.join("/", remaining) + ")", null);
        }
        String objectName = remaining.size() == 2 ? remaining.get(1) : null;
        if (resource.namespaced() && namespace == null && objectName != null) {
            throw ApiError.pathNotFound();
        }
        return new Target(resource, namespace, objectName);
    }

    /** An answer computed off the event loop (etcd calls block); status and body. */
    private record Answer(int code, Object body) {
    }

    private void blocking(HttpServerRequest request, java.util.concurrent.Callable<Answer> work) {
        vertx.executeBlocking(work, false).onComplete(result -> {
            if (result.succeeded()) {
                respond(request.response(), result.result().code, result.result().body);
            } else if (result.cause() instanceof ApiError error) {
                fail(request.response(), error);
            } else {
                LOG.warn("stand-in '{}': {} {} failed", name, request.method(), request.uri(), result.cause());
                fail(request.response(), ApiError.internal(String.valueOf(result.cause())));
            }
        });
    }

    private static void respond(HttpServerResponse response, int code, Object body) {
        if (response.ended()) {
            return;
        }
        response.setStatusCode(code).putHeader("Content-Type", JSON).end(Buffer.buffer(GoJson.write(body)));
    }

    private static void fail(HttpServerResponse response, ApiError error) {
        respond(response, error.code, error.status());
    }

    private static boolean isTrue(String value) {
        return value != null && (value.equals("true") || value.equals("1"));
    }

    // ---- discovery ------------------------------------------------------------------------

    private static Map<String, Object> version() {
        Map<String, Object> version = new LinkedHashMap<>();
        version.put("major", "1");
        version.put("minor", "26");
        version.put("gitVersion", GIT_VERSION);
        version.put("gitCommit", "0000000000000000000000000000000000000000");
        version.put("gitTreeState", "clean");
        version.put("buildDate", "2026-01-01T00:00:00Z");
        version.put("goVersion", "go1.19.5");
        version.put("compiler", "gc");
        version.put("platform", "linux/amd64");
        return version;
    }

    private Map<String, Object> apiVersions(HttpServerRequest request) {
        Map<String, Object> versions = new LinkedHashMap<>();
        versions.put("kind", "APIVersions");
        versions.put("versions", List.of("v1"));
        versions.put("serverAddressByClientCIDRs", List.of(Map.of("clientCIDR", "0.0.0.0/0",
                "serverAddress", request.authority() == null ? url().substring("http://".length()) : request.authority().toString())));
        return versions;
    }

    private Map<String, Object> groupList() {
        List<Object> groups = new ArrayList<>();
        resources.groupVersions().keySet().forEach(g -> groups.add(groupBody(g)));
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("kind", "APIGroupList");
        list.put("apiVersion", "v1");
        list.put("groups", groups);
        return list;
    }

    private Map<String, Object> group(String group) {
        if (!resources.groupVersions().containsKey(group)) {
            throw ApiError.pathNotFound();
        }
        Map<String, Object> body = groupBody(group);
        body.put("kind", "APIGroup");
        body.put("apiVersion", "v1");
        return body;
    }

    private Map<String, Object> groupBody(String group) {
        List<Object> versions = new ArrayList<>();
        for (String v : resources.groupVersions().get(group)) {
            versions.add(Map.of("groupVersion", group + "/" + v, "version", v));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", group);
        body.put("versions", versions);
        body.put("preferredVersion", versions.get(0));
        return body;
    }

    private Map<String, Object> resourceList(String group, String version) {
        List<KubeResource> kinds = resources.of(group, version);
        if (kinds.isEmpty()) {
            throw ApiError.pathNotFound();
        }
        List<Object> list = new ArrayList<>();
        for (KubeResource r : kinds) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", r.plural());
            entry.put("singularName", r.singular());
            entry.put("namespaced", r.namespaced());
            entry.put("kind", r.kind());
            entry.put("verbs", List.of("create", "delete", "get", "list", "patch", "update", "watch"));
            entry.put("storageVersionHash", "");
            list.add(entry);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("kind", "APIResourceList");
        body.put("apiVersion", "v1");
        body.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
        body.put("resources", list);
        return body;
    }

    // ---- read -----------------------------------------------------------------------------

    private Answer get(Target target) {
        KeyValue kv = read(target.key()).orElseThrow(() -> ApiError.notFound(target.resource, target.objectName));
        return new Answer(200, served(kv.getValue().getBytes(), kv.getModRevision(), target.key()));
    }

    private Answer list(HttpServerRequest request, Target target) {
        Predicate<Map<String, Object>> selector = Selectors.parse(request.getParam("labelSelector"), request.getParam("fieldSelector"));
        GetResponse response = etcd(etcd.getKVClient().get(bytes(target.prefix()),
                GetOption.builder().isPrefix(true).build()), "list " + target.prefix());
        lists.incrementAndGet();
        List<Object> items = new ArrayList<>();
        for (KeyValue kv : response.getKvs()) {
            Map<String, Object> object = served(kv.getValue().getBytes(), kv.getModRevision(), kv.getKey().toString(UTF_8));
            if (selector.test(object)) {
                items.add(object);
            }
        }
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("apiVersion", target.resource.apiVersion());
        list.put("items", items);
        list.put("kind", target.resource.listKind());
        list.put("metadata", Map.of("resourceVersion", Long.toString(response.getHeader().getRevision())));
        beforeListAnswer.accept(target.resource);
        return new Answer(200, list);
    }

    /** A stored value as served: parsed, with metadata.resourceVersion = mod_revision. */
    private static Map<String, Object> served(byte[] value, long modRevision, String key) {
        Map<String, Object> object;
        try {
            object = GoJson.parseObject(value);
        } catch (IOException e) {
            throw ApiError.internal("unable to decode the value of " + key + " as JSON (" + value.length + " bytes): "
                    + e.getMessage());
        }
        StoredObjects.metadata(object).put("resourceVersion", Long.toString(modRevision));
        return object;
    }

    private Optional<KeyValue> read(String key) {
        GetResponse response = etcd(etcd.getKVClient().get(bytes(key)), "get " + key);
        return response.getKvs().stream().findFirst();
    }

    // ---- watch ----------------------------------------------------------------------------

    private void watch(HttpServerRequest request, Target target) {
        Predicate<Map<String, Object>> selector = Selectors.parse(request.getParam("labelSelector"), request.getParam("fieldSelector"));
        String rvParam = request.getParam("resourceVersion");
        long fromRevision;
        try {
            fromRevision = rvParam == null || rvParam.isEmpty() ? 0 : Long.parseLong(rvParam);
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("resourceVersion: Invalid value: \"" + rvParam + "\": must be an integer");
        }
        long timeout = maxWatch.toSeconds();
        String timeoutParam = request.getParam("timeoutSeconds");
        if (timeoutParam != null && !timeoutParam.isEmpty()) {
            timeout = Math.min(timeout, Long.parseLong(timeoutParam));
        }
        watches.incrementAndGet();
        WatchStream stream = new WatchStream(request, target, selector, vertx.getOrCreateContext());
        HttpServerResponse response = request.response();
        response.setChunked(true).setStatusCode(200).putHeader("Content-Type", JSON);
        response.writeHead();
        long timer = vertx.setTimer(Math.max(1, timeout) * 1000, id -> stream.end("timeoutSeconds"));
        stream.timer = timer;
        response.closeHandler(v -> stream.end("client closed"));
        openWatches.add(stream.closer);
        if (fromRevision <= 0) {
            // No resourceVersion or "0": the current state as ADDED events, then changes.
            vertx.executeBlocking(() -> etcd(etcd.getKVClient().get(bytes(target.prefix()),
                    GetOption.builder().isPrefix(true).build()), "list " + target.prefix()), false).onComplete(listed -> {
                        if (listed.failed()) {
                            stream.error(listed.cause() instanceof ApiError e ? e : ApiError.internal(String.valueOf(listed.cause())));
                            return;
                        }
                        for (KeyValue kv : listed.result().getKvs()) {
                            stream.send("ADDED", kv.getValue().getBytes(), kv.getModRevision(), kv.getKey().toString(UTF_8));
                        }
                        stream.startEtcdWatch(listed.result().getHeader().getRevision() + 1);
                    });
        } else {
            stream.startEtcdWatch(fromRevision + 1);
        }
    }

    /** One HTTP watch: an etcd watch whose events are written, in order, on the request's context. */
    private final class WatchStream {
        private final HttpServerRequest request;
        private final Target target;
        private final Predicate<Map<String, Object>> selector;
        private final Context context;
        private final Runnable closer = this::endNow;
        private volatile Watch.Watcher watcher;
        private volatile boolean ended;
        private long timer = -1;
        /** The newest etcd revision this stream has passed on (or skipped as filtered out). */
        private long lastRevision;
        /** Callbacks of an etcd watch replaced after a failure are ignored. */
        private volatile int generation;

        WatchStream(HttpServerRequest request, Target target, Predicate<Map<String, Object>> selector, Context context) {
            this.request = request;
            this.target = target;
            this.selector = selector;
            this.context = context;
        }

        void startEtcdWatch(long revision) {
            if (ended) {
                return;
            }
            lastRevision = revision - 1;
            WatchOption option = WatchOption.builder().isPrefix(true).withRevision(revision).withPrevKV(true).build();
            int current = ++generation;
            watcher = etcd.getWatchClient().watch(bytes(target.prefix()), option, Watch.listener(
                    response -> context.runOnContext(v -> {
                        if (current == generation) {
                            onEtcd(response);
                        }
                    }),
                    error -> context.runOnContext(v -> {
                        if (current == generation) {
                            onEtcdError(error);
                        }
                    }),
                    () -> context.runOnContext(v -> {
                        if (current == generation) {
                            end("etcd watch completed");
                        }
                    })));
            if (ended) {
                watcher.close();
            }
        }

        private void onEtcd(WatchResponse response) {
            for (WatchEvent event : response.getEvents()) {
                if (ended) {
                    return;
                }
                KeyValue kv = event.getKeyValue();
                lastRevision = Math.max(lastRevision, kv.getModRevision());
                KeyValue prev = event.getPrevKV();
                boolean hasPrev = prev != null && prev.getModRevision() > 0;
                String key = kv.getKey().toString(UTF_8);
                try {
                    if (event.getEventType() == WatchEvent.EventType.DELETE) {
                        if (hasPrev) {
                            sendIfMatches("DELETED", prev.getValue().getBytes(), kv.getModRevision(), key);
                        }
                        continue;
                    }
                    Map<String, Object> current = served(kv.getValue().getBytes(), kv.getModRevision(), key);
                    boolean currentMatches = selector.test(current);
                    boolean created = kv.getVersion() == 1 || !hasPrev;
                    boolean previousMatched = !created
                            && selector.test(served(prev.getValue().getBytes(), prev.getModRevision(), key));
                    if (currentMatches) {
                        write(created || !previousMatched ? "ADDED" : "MODIFIED", current);
                    } else if (previousMatched) {
                        write("DELETED", current);
                    }
                } catch (ApiError e) {
                    error(e);
                    return;
                }
            }
        }

        private void sendIfMatches(String type, byte[] value, long revision, String key) {
            Map<String, Object> object = served(value, revision, key);
            if (selector.test(object)) {
                write(type, object);
            }
        }

        void send(String type, byte[] value, long revision, String key) {
            try {
                sendIfMatches(type, value, revision, key);
            } catch (ApiError e) {
                error(e);
            }
        }

        private void write(String type, Map<String, Object> object) {
            if (ended) {
                return;
            }
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("type", type);
            event.put("object", object);
            byte[] json = GoJson.write(event);
            request.response().write(Buffer.buffer(json.length + 1).appendBytes(json).appendByte((byte) '\n'));
        }

        private void onEtcdError(Throwable error) {
            if (ended) {
                return;
            }
            Throwable cause = error;
            while (cause.getCause() != null && !(cause instanceof CompactedException)) {
                cause = cause.getCause();
            }
            if (cause instanceof CompactedException compacted) {
                expiredWatches.incrementAndGet();
                error(ApiError.expired("too old resource version: " + lastRevision + " ("
                        + compacted.getCompactedRevision() + ")"));
                return;
            }
            // etcd went away (killed, restarted...): like kube-apiserver's watch cache, keep the
            // client's watch open and watch etcd again from the last revision delivered.
            LOG.info("stand-in '{}': etcd watch on {} failed ({}); watching again from revision {}", name,
                    target.prefix(), error.toString(), lastRevision + 1);
            generation++;
            Watch.Watcher w = watcher;
            if (w != null) {
                w.close();
            }
            vertx.setTimer(RESUME_DELAY_MS, id -> startEtcdWatch(lastRevision + 1));
        }

        void error(ApiError error) {
            if (ended) {
                return;
            }
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("type", "ERROR");
            event.put("object", error.status());
            byte[] json = GoJson.write(event);
            request.response().write(Buffer.buffer(json.length + 1).appendBytes(json).appendByte((byte) '\n'));
            end("error " + error.code);
        }

        /** Ends the stream on its context. */
        void end(String why) {
            if (ended) {
                return;
            }
            ended = true;
            LOG.debug("stand-in '{}': watch on {} ends ({})", name, target.prefix(), why);
            openWatches.remove(closer);
            Watch.Watcher w = watcher;
            if (w != null) {
                w.close();
            }
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            if (!request.response().ended() && !request.response().closed()) {
                request.response().end();
            }
        }

        /** From any thread (close()): ends the stream. */
        void endNow() {
            Watch.Watcher w = watcher;
            if (w != null) {
                w.close();
            }
            context.runOnContext(v -> end("stand-in closing"));
        }
    }

    // ---- write ----------------------------------------------------------------------------

    private Answer create(HttpServerRequest request, Target target, Buffer body) {
        KubeResource resource = target.resource;
        Map<String, Object> object = bodyObject(body);
        checkTypeMeta(resource, object);
        Map<String, Object> metadata = StoredObjects.metadata(object);
        String objectName = StoredObjects.string(metadata, "name");
        if (objectName.isEmpty()) {
            String generateName = StoredObjects.string(metadata, "generateName");
            if (generateName.isEmpty()) {
                throw ApiError.invalid(resource, "", "metadata.name: Required value: name or generateName is required");
            }
            objectName = generateName + randomSuffix();
            metadata.put("name", objectName);
        }
        checkName(resource, objectName);
        checkNamespace(resource, target, metadata);
        admission.accept(resource, object);
        if (!StoredObjects.string(metadata, "resourceVersion").isEmpty()) {
            throw ApiError.badRequest("resourceVersion should not be set on objects to be created");
        }
        String time = StoredObjects.now();
        metadata.put("uid", UUID.randomUUID().toString());
        metadata.put("creationTimestamp", time);
        metadata.put("generation", 1);
        metadata.remove("deletionTimestamp");
        metadata.remove("deletionGracePeriodSeconds");
        metadata.remove("selfLink");
        StoredObjects.recordCreate(object, resource.apiVersion(), manager(request), time);
        String key = resource.key(target.namespace, objectName);
        byte[] stored = GoJson.writeStored(object);
        if (dryRun(request)) {
            return new Answer(201, object);
        }
        TxnResponse txn = etcd(etcd.getKVClient().txn()
                .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(bytes(key), ByteSequence.from(stored), PutOption.DEFAULT))
                .commit(), "create " + key);
        if (!txn.isSucceeded()) {
            throw ApiError.alreadyExists(resource, objectName);
        }
        return new Answer(201, served(stored, txn.getHeader().getRevision(), key));
    }

    private Answer update(HttpServerRequest request, Target target, Buffer body) {
        KubeResource resource = target.resource;
        Map<String, Object> object = bodyObject(body);
        checkTypeMeta(resource, object);
        Map<String, Object> metadata = StoredObjects.metadata(object);
        String bodyName = StoredObjects.string(metadata, "name");
        if (!bodyName.isEmpty() && !bodyName.equals(target.objectName)) {
            throw ApiError.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL ("
                    + target.objectName + ")");
        }
        metadata.put("name", target.objectName);
        checkNamespace(resource, target, metadata);
        String rv = StoredObjects.string(metadata, "resourceVersion");
        if (rv.isEmpty()) {
            throw ApiError.invalid(resource, target.objectName,
                    "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update");
        }
        long expected = parseRevision(rv);
        KeyValue current = read(target.key()).orElseThrow(() -> ApiError.notFound(resource, target.objectName));
        if (current.getModRevision() != expected) {
            throw ApiError.modified(resource, target.objectName);
        }
        Optional<Answer> answer = replace(request, target, current, object);
        return answer.orElseThrow(() -> ApiError.modified(resource, target.objectName));
    }

    private Answer patch(HttpServerRequest request, Target target, Buffer body) {
        KubeResource resource = target.resource;
        String type = Optional.ofNullable(request.getHeader("Content-Type")).orElse("").split(";")[0].trim();
        Object patch;
        try {
            patch = GoJson.parse(body.getBytes());
        } catch (IOException e) {
            throw ApiError.badRequest("the patch is not JSON: " + e.getMessage());
        }
        for (int attempt = 0; attempt < CAS_RETRIES; attempt++) {
            KeyValue current = read(target.key()).orElseThrow(() -> ApiError.notFound(resource, target.objectName));
            Map<String, Object> object = served(current.getValue().getBytes(), current.getModRevision(), target.key());
            Map<String, Object> patched = switch (type) {
                case "application/merge-patch+json" -> mergePatched(object, patch);
                case "application/strategic-merge-patch+json" -> {
                    if (!resource.core()) {
                        throw new ApiError(415, "UnsupportedMediaType", "strategic merge patch is not supported for "
                                + "custom resources: use application/merge-patch+json", null);
                    }
                    yield mergePatched(object, patch);
                }
                case "application/json-patch+json" -> StoredObjects.jsonPatch(object, patch);
                default -> throw ApiError.unsupportedMediaType(type);
            };
            Map<String, Object> metadata = StoredObjects.metadata(patched);
            String rv = StoredObjects.string(metadata, "resourceVersion");
            if (!rv.isEmpty() && parseRevision(rv) != current.getModRevision()) {
                throw ApiError.modified(resource, target.objectName);
            }
            if (!target.objectName.equals(StoredObjects.string(metadata, "name"))) {
                throw ApiError.badRequest("the name of the object cannot be changed by a patch");
            }
            checkTypeMeta(resource, patched);
            Optional<Answer> answer = replace(request, target, current, patched);
            if (answer.isPresent()) {
                return answer.get();
            }
        }
        throw ApiError.modified(resource, target.objectName);
    }

    private static Map<String, Object> mergePatched(Map<String, Object> object, Object patch) {
        if (!(patch instanceof Map<?, ?>)) {
            throw ApiError.badRequest("a merge patch must be a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> patched = (Map<String, Object>) StoredObjects.mergePatch(GoJson.copy(object), patch);
        return patched;
    }

    /**
     * Writes {@code object} over {@code current} if the key still has current's mod_revision:
     * system metadata carried over, generation raised on a spec change, managedFields recorded;
     * a no-op writes nothing. Empty when the key changed meanwhile.
     */
    private Optional<Answer> replace(HttpServerRequest request, Target target, KeyValue current, Map<String, Object> object) {
        KubeResource resource = target.resource;
        admission.accept(resource, object);
        Map<String, Object> old = served(current.getValue().getBytes(), current.getModRevision(), target.key());
        Map<String, Object> oldMeta = StoredObjects.metadata(old);
        Map<String, Object> metadata = StoredObjects.metadata(object);
        String uid = StoredObjects.string(metadata, "uid");
        if (!uid.isEmpty() && !uid.equals(StoredObjects.string(oldMeta, "uid"))) {
            throw ApiError.conflict(resource, target.objectName, "Precondition failed: UID in precondition: " + uid
                    + ", UID in object meta: " + StoredObjects.string(oldMeta, "uid"));
        }
        for (String system : List.of("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds")) {
            if (oldMeta.containsKey(system)) {
                metadata.put(system, oldMeta.get(system));
            } else {
                metadata.remove(system);
            }
        }
        metadata.remove("resourceVersion");
        metadata.remove("selfLink");
        if (!metadata.containsKey("managedFields") && oldMeta.containsKey("managedFields")) {
            metadata.put("managedFields", oldMeta.get("managedFields"));
        }
        Object generation = oldMeta.getOrDefault("generation", 1);
        metadata.put("generation", generation);
        byte[] unchanged = current.getValue().getBytes();
        if (Arrays.equals(GoJson.writeStored(object), unchanged)) {
            return Optional.of(new Answer(200, old));
        }
        if (StoredObjects.specChanged(old, object)) {
            metadata.put("generation", ((Number) generation).longValue() + 1);
        }
        StoredObjects.metadata(old).remove("resourceVersion");
        StoredObjects.recordUpdate(old, object, resource.apiVersion(), manager(request), StoredObjects.now());
        if (dryRun(request)) {
            return Optional.of(new Answer(200, object));
        }
        String key = target.key();
        boolean finalized = metadata.containsKey("deletionTimestamp") && !StoredObjects.hasFinalizers(object);
        byte[] stored = GoJson.writeStored(object);
        Op write = finalized ? Op.delete(bytes(key), DeleteOption.DEFAULT) : Op.put(bytes(key), ByteSequence.from(stored), PutOption.DEFAULT);
        TxnResponse txn = etcd(etcd.getKVClient().txn()
                .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(current.getModRevision())))
                .Then(write)
                .commit(), "update " + key);
        if (!txn.isSucceeded()) {
            return Optional.empty();
        }
        return Optional.of(new Answer(200, served(stored, txn.getHeader().getRevision(), key)));
    }

    private Answer delete(HttpServerRequest request, Target target, Buffer body) {
        KubeResource resource = target.resource;
        Map<String, Object> options = body.length() == 0 ? Map.of() : bodyObject(body);
        for (int attempt = 0; attempt < CAS_RETRIES; attempt++) {
            KeyValue current = read(target.key()).orElseThrow(() -> ApiError.notFound(resource, target.objectName));
            Map<String, Object> object = served(current.getValue().getBytes(), current.getModRevision(), target.key());
            Map<String, Object> metadata = StoredObjects.metadata(object);
            if (options.get("preconditions") instanceof Map<?, ?> preconditions) {
                Object uid = preconditions.get("uid");
                if (uid != null && !uid.toString().equals(StoredObjects.string(metadata, "uid"))) {
                    throw ApiError.conflict(resource, target.objectName, "Precondition failed: UID in precondition: "
                            + uid + ", UID in object meta: " + StoredObjects.string(metadata, "uid"));
                }
                Object rv = preconditions.get("resourceVersion");
                if (rv != null && !rv.toString().equals(StoredObjects.string(metadata, "resourceVersion"))) {
                    throw ApiError.conflict(resource, target.objectName, "Precondition failed: ResourceVersion in "
                            + "precondition: " + rv + ", ResourceVersion in object meta: "
                            + StoredObjects.string(metadata, "resourceVersion"));
                }
            }
            String key = target.key();
            Op op;
            byte[] stored = null;
            if (StoredObjects.hasFinalizers(object)) {
                if (metadata.containsKey("deletionTimestamp")) {
                    return new Answer(200, object);
                }
                metadata.remove("resourceVersion");
                metadata.put("deletionTimestamp", StoredObjects.now());
                metadata.put("deletionGracePeriodSeconds", 0);
                metadata.put("generation", ((Number) metadata.getOrDefault("generation", 1)).longValue() + 1);
                stored = GoJson.writeStored(object);
                op = Op.put(bytes(key), ByteSequence.from(stored), PutOption.DEFAULT);
            } else {
                op = Op.delete(bytes(key), DeleteOption.DEFAULT);
            }
            if (dryRun(request)) {
                return new Answer(200, object);
            }
            TxnResponse txn = etcd(etcd.getKVClient().txn()
                    .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(current.getModRevision())))
                    .Then(op)
                    .commit(), "delete " + key);
            if (!txn.isSucceeded()) {
                continue;
            }
            if (stored != null) {
                return new Answer(200, served(stored, txn.getHeader().getRevision(), key));
            }
            if (resource.core()) {
                return new Answer(200, deletedStatus(resource, target.objectName, StoredObjects.string(metadata, "uid")));
            }
            return new Answer(200, object);
        }
        throw ApiError.modified(resource, target.objectName);
    }

    private static Map<String, Object> deletedStatus(KubeResource resource, String objectName, String uid) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("name", objectName);
        details.put("kind", resource.plural());
        details.put("uid", uid);
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("kind", "Status");
        status.put("apiVersion", "v1");
        status.put("metadata", Map.of());
        status.put("status", "Success");
        status.put("details", details);
        return status;
    }

    // ---- checks ---------------------------------------------------------------------------

    private static Map<String, Object> bodyObject(Buffer body) {
        try {
            return GoJson.parseObject(body.getBytes());
        } catch (IOException e) {
            throw ApiError.badRequest("the body of the request is not a JSON object: " + e.getMessage());
        }
    }

    private static void checkTypeMeta(KubeResource resource, Map<String, Object> object) {
        String apiVersion = StoredObjects.string(object, "apiVersion");
        String kind = StoredObjects.string(object, "kind");
        if (kind.isEmpty()) {
            throw ApiError.badRequest("Object 'Kind' is missing in '" + new String(GoJson.write(object), UTF_8) + "'");
        }
        if (apiVersion.isEmpty()) {
            throw ApiError.badRequest("Object 'apiVersion' is missing");
        }
        if (!apiVersion.equals(resource.apiVersion()) || !kind.equals(resource.kind())) {
            throw ApiError.badRequest("the API version in the data (" + apiVersion + ") and kind (" + kind
                    + ") do not match the expected " + resource.apiVersion() + " " + resource.kind());
        }
    }

    private static void checkName(KubeResource resource, String objectName) {
        if (objectName.length() > 253 || !DNS_SUBDOMAIN.matcher(objectName).matches()) {
            throw ApiError.invalid(resource, objectName, "metadata.name: Invalid value: \"" + objectName
                    + "\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'");
        }
    }

    private static void checkNamespace(KubeResource resource, Target target, Map<String, Object> metadata) {
        if (!resource.namespaced()) {
            metadata.remove("namespace");
            return;
        }
        String namespace = StoredObjects.string(metadata, "namespace");
        if (!namespace.isEmpty() && !namespace.equals(target.namespace)) {
            throw ApiError.badRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        metadata.put("namespace", target.namespace);
    }

    private static long parseRevision(String rv) {
        try {
            return Long.parseLong(rv);
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("invalid resourceVersion \"" + rv + "\"");
        }
    }

    private static String manager(HttpServerRequest request) {
        return StoredObjects.manager(request.getParam("fieldManager"), request.getHeader("User-Agent"));
    }

    private static boolean dryRun(HttpServerRequest request) {
        return "All".equals(request.getParam("dryRun"));
    }

    private static String randomSuffix() {
        String alphabet = "bcdfghjklmnpqrstvwxz2456789";
        StringBuilder suffix = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            suffix.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
        }
        return suffix.toString();
    }

    // ---- etcd -----------------------------------------------------------------------------

    private <T> T etcd(CompletableFuture<T> call, String what) {
        try {
            return call.get(etcdTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted: " + what);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw ApiError.timeout("Timeout: etcd did not answer " + what + " within " + etcdTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw ApiError.internal("etcd failed " + what + ": " + e.getCause());
        }
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, UTF_8);
    }

    @Override
    public String toString() {
        return "KubeApiStandIn[" + name + (url == null ? "" : " " + url) + "]";
    }

    /** Builder: an etcd (endpoint or client factory) is required; listens on 127.0.0.1, a free port. */
    public static final class Builder {
        private String name = "stand-in";
        private Supplier<Client> clientFactory;
        private KubeResources resources = KubeResources.kubeSphere();
        private String host = "127.0.0.1";
        private int port;
        private Duration etcdTimeout = Duration.ofSeconds(5);
        private Duration maxWatch = Duration.ofMinutes(30);
        private BiConsumer<KubeResource, Map<String, Object>> admission = (resource, object) -> { };
        private java.util.function.Consumer<KubeResource> beforeListAnswer = resource -> { };

        private Builder() {
        }

        /**
         * A step between reading a list from etcd and answering it, on a worker thread: a test holds
         * a listing there to answer it late, with what etcd held when it was read, as an API server
         * under load does. None by default.
         */
        public Builder beforeListAnswer(java.util.function.Consumer<KubeResource> step) {
            this.beforeListAnswer = Objects.requireNonNull(step, "beforeListAnswer");
            return this;
        }

        /**
         * An admission step, as a webhook on a real cluster (Kyverno adding a label, a KubeSphere
         * webhook): called with the kind and the object of every create and update (patches
         * included) before it is stored; it may change the object, or deny the request by throwing
         * {@link #admissionDenied}. None by default.
         */
        public Builder admission(BiConsumer<KubeResource, Map<String, Object>> admission) {
            this.admission = Objects.requireNonNull(admission, "admission");
            return this;
        }

        /** A name for logs and the kubeconfig's cluster/context. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Plain-text etcd endpoints, e.g. {@code http://127.0.0.1:2379}. */
        public Builder etcd(String... endpoints) {
            this.clientFactory = () -> Client.builder().endpoints(endpoints).build();
            return this;
        }

        /** Any etcd client (TLS...); the stand-in builds its own client from it and closes it. */
        public Builder etcd(ClientBuilder clientBuilder) {
            this.clientFactory = clientBuilder::build;
            return this;
        }

        public Builder resources(KubeResources resources) {
            this.resources = Objects.requireNonNull(resources, "resources");
            return this;
        }

        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** 0 (the default) picks a free port. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** How long one etcd call may take before the request fails with 504 (5 s). */
        public Builder etcdTimeout(Duration timeout) {
            this.etcdTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** The longest a watch stays open when the client gives no shorter timeoutSeconds (30 min). */
        public Builder maxWatch(Duration maxWatch) {
            this.maxWatch = Objects.requireNonNull(maxWatch, "maxWatch");
            return this;
        }

        public KubeApiStandIn build() {
            if (clientFactory == null) {
                throw new IllegalStateException("no etcd: call etcd(\"http://127.0.0.1:2379\") or etcd(clientBuilder)");
            }
            return new KubeApiStandIn(this);
        }
    }
}
