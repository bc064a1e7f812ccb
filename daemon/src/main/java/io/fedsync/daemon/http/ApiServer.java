package io.fedsync.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.daemon.DaemonException;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.raft.api.json.Json;
import io.fedsync.daemon.json.StatusCodec;
import io.fedsync.mirror.MirrorService;
import io.fedsync.raft.RaftStatus;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.HttpException;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fedsyncd's HTTP API on Vert.x:
 * <ul>
 * <li>{@code GET /} — the operators' web page ({@link WebPage});</li>
 * <li>{@code GET /healthz}, {@code GET /readyz} — 200 {@code {"status":"ok"}}, else 503 with a reason;</li>
 * <li>{@code GET /api/v1/status} — the mirror's status (see {@link StatusCodec});</li>
 * <li>{@code GET /metrics} — metrics in Prometheus' text format ({@link Metrics}), no token needed;</li>
 * <li>{@code GET /api/v1/conflicts[?state=&type=&key=&cluster=&kind=&limit=&continue=]} — one page,
 * {@code {"items":[...], "metadata":{...}}} ({@link ConflictPage});</li>
 * <li>{@code GET /api/v1/conflicts/{id}} — one record, or 404;</li>
 * <li>{@code POST /api/v1/conflicts/{id}/resolve} — ends an open conflict ({@link ResolveBody});</li>
 * <li>{@code GET /api/v1/keys/{key}} — what every cluster holds for one key ({@link KeyCodec});</li>
 * <li>{@code POST /api/v1/verify} — compares every mirrored key across the clusters now and repairs
 * what no open conflict explains; answers with the pass's result;</li>
 * <li>{@code GET /api/v1/peers} — the Raft group's live configuration as this replica sees it;</li>
 * <li>{@code POST /api/v1/peers} {@code {"id":"d","address":"host:port"}} — adds a replica;
 * {@code DELETE /api/v1/peers/{id}} — removes one (not the leader). Any member takes them and
 * sends them to the leader; 400 invalid, 404 unknown replica, 409 already a member, refused or
 * another change under way, 503 no leader or not a member (with the leader if known), 504 not done
 * in time and 500 failed (both: it may still complete).</li>
 * </ul>
 * Calls that change something need the bearer token ({@link ApiAuth}); the mirror-only ones are
 * forwarded from a replica that does not mirror ({@link MirrorForwarder}).
 * Every error is JSON {@code {"error": "..."}}. The mirror's methods may block (locks, the
 * store), so they run on worker threads and the event loop only writes responses.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final long START_TIMEOUT_SECONDS = 30;
    /** Longest request line (method, path, query, version) accepted; longer gets 414. */
    static final int MAX_REQUEST_LINE_BYTES = 8192;
    /** Largest header block accepted; larger gets 431. */
    static final int MAX_HEADER_BYTES = 8192;
    /** How long in-flight requests may finish when the server stops. */
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(2);
    private static final int WORKERS = 4;
    /** A forwarded verification pass may take minutes on a large prefix, as it does on the mirror. */
    static final Duration VERIFY_FORWARD_TIMEOUT = Duration.ofMinutes(15);
    /** The mirror waits up to about 20 s for a resolution to be written. */
    static final Duration RESOLVE_FORWARD_TIMEOUT = Duration.ofSeconds(40);

    private final Vertx vertx;
    private final HttpServer server;
    private final ExecutorService workers;
    private final ListenAddress address;

    private final Metrics metrics;
    private final boolean https;

    private ApiServer(Vertx vertx, HttpServer server, ExecutorService workers, ListenAddress address, Metrics metrics,
                      boolean https) {
        this.https = https;
        this.metrics = metrics;
        this.vertx = vertx;
        this.server = server;
        this.workers = workers;
        this.address = address;
    }

    /**
     * Starts listening; returns once the socket is bound.
     *
     * @throws DaemonException when the address cannot be bound (in use, not local, no permission)
     */
    public static ApiServer start(MirrorService mirror, ListenAddress listen) {
        return start(mirror, listen, () -> null);
    }

    /**
     * @param raft this replica's view of its Raft group, for {@code /api/v1/status} → {@code raft}
     *             and {@code /readyz}; null from the supplier when there is none (tests)
     */
    public static ApiServer start(MirrorService mirror, ListenAddress listen,
                                  java.util.function.Supplier<RaftStatus> raft) {
        return start(mirror, listen, raft, null);
    }

    /**
     * @param peers membership changes of the Raft group; null for a fedsyncd without peers (the
     *              endpoints then answer 409)
     */
    public static ApiServer start(MirrorService mirror, ListenAddress listen,
                                  java.util.function.Supplier<RaftStatus> raft, PeerChanges peers) {
        return start(mirror, listen, raft, peers, null, java.util.Optional::empty);
    }

    /**
     * @param self      this replica's id, named in the calls it forwards
     * @param mirrorApi where the mirroring replica's API answers when it is another replica: calls
     *                  only the mirror answers ({@code POST /api/v1/verify}) are forwarded there
     */
    public static ApiServer start(MirrorService mirror, ListenAddress listen,
                                  java.util.function.Supplier<RaftStatus> raft, PeerChanges peers, String self,
                                  java.util.function.Supplier<java.util.Optional<String>> mirrorApi) {
        return start(mirror, listen, raft, peers, self, mirrorApi, ApiAuth.of(null, listen));
    }

    /**
     * @param auth who may make calls that change something (see {@link ApiAuth})
     */
    public static ApiServer start(MirrorService mirror, ListenAddress listen,
                                  java.util.function.Supplier<RaftStatus> raft, PeerChanges peers, String self,
                                  java.util.function.Supplier<java.util.Optional<String>> mirrorApi, ApiAuth auth) {
        return start(mirror, listen, raft, peers, self, mirrorApi, auth, Metrics.of(self, mirror, raft));
    }

    /**
     * @param metrics what {@code GET /metrics} renders; closed with the server
     */
    public static ApiServer start(MirrorService mirror, ListenAddress listen,
                                  java.util.function.Supplier<RaftStatus> raft, PeerChanges peers, String self,
                                  java.util.function.Supplier<java.util.Optional<String>> mirrorApi, ApiAuth auth,
                                  Metrics metrics) {
        return start(mirror, listen, raft, peers, self, mirrorApi, auth, metrics, null);
    }

    /**
     * @param tls the certificate and key to serve HTTPS with; null for plain HTTP
     * @throws DaemonException also when the TLS files cannot be used (naming them)
     */
    public static ApiServer start(MirrorService mirror, ListenAddress listen,
                                  java.util.function.Supplier<RaftStatus> raft, PeerChanges peers, String self,
                                  java.util.function.Supplier<java.util.Optional<String>> mirrorApi, ApiAuth auth,
                                  Metrics metrics, ApiTls tls) {
        return start(mirror, listen, raft, peers, self, mirrorApi, auth, metrics, tls, null);
    }

    /**
     * @param clusters what {@code /api/v1/clusters} answers; null when this fedsyncd federates
     *                 nothing (the list is then empty and joining is refused)
     */
    public static ApiServer start(MirrorService mirror, ListenAddress listen,
                                  java.util.function.Supplier<RaftStatus> raft, PeerChanges peers, String self,
                                  java.util.function.Supplier<java.util.Optional<String>> mirrorApi, ApiAuth auth,
                                  Metrics metrics, ApiTls tls, ClusterService clusters) {
        HttpServerOptions options = new HttpServerOptions()
                .setMaxInitialLineLength(MAX_REQUEST_LINE_BYTES)
                .setMaxHeaderSize(MAX_HEADER_BYTES);
        if (tls != null) {
            try {
                options.setSsl(true).setKeyCertOptions(tls.keyCertOptions());
            } catch (io.fedsync.mirror.EtcdTlsException e) {
                metrics.close();
                throw new DaemonException("cannot serve the HTTP API over TLS (http.tls): " + e.getMessage(), e);
            }
        }
        // Small pools: the API serves an operator and a few probes, not traffic, on a 2-core host.
        Vertx vertx = Vertx.vertx(new VertxOptions()
                .setEventLoopPoolSize(1)
                .setWorkerPoolSize(1)
                .setFileSystemOptions(new FileSystemOptions()
                        .setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false)));
        // Our own pool for the mirror's blocking calls, so that stopping is in our hands: a call
        // that returns after Vert.x stopped is dropped quietly instead of dying in a Vert.x thread.
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS, daemonThreads());
        try {
            Router router = new Routes(vertx, workers, mirror, raft, new PeerRoutes(peers, raft),
                    new MirrorForwarder(self == null ? "?" : self, mirrorApi, tls == null ? null : tls.replicaTrust()),
                    auth, metrics, clusters == null ? NO_FEDERATION : clusters).router();
            HttpServer server = vertx.createHttpServer(options)
                    .invalidRequestHandler(ApiServer::invalidRequest)
                    .requestHandler(router)
                    .listen(listen.port(), listen.host())
                    .toCompletionStage().toCompletableFuture()
                    .get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            ListenAddress actual = new ListenAddress(listen.host(), server.actualPort());
            return new ApiServer(vertx, server, workers, actual, metrics, tls != null);
        } catch (ExecutionException e) {
            close(workers, vertx);
            metrics.close();
            throw new DaemonException("cannot listen on " + listen + " (http.listen): "
                    + bindProblem(e.getCause(), listen), e.getCause());
        } catch (TimeoutException e) {
            close(workers, vertx);
            metrics.close();
            throw new DaemonException("cannot listen on " + listen + " (http.listen): no answer within "
                    + START_TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close(workers, vertx);
            metrics.close();
            throw new DaemonException("interrupted while starting the HTTP API on " + listen, e);
        }
    }

    /** The hint that matches the cause: the kernel's error text is the same whatever the JDK class. */
    static String bindProblem(Throwable t, ListenAddress listen) {
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (message.contains("Cannot assign requested address")) {
            return message + " (" + listen.host() + " is not an address of this host; use one of its addresses, "
                    + "or 0.0.0.0 for all of them)";
        }
        if (message.contains("Permission denied")) {
            return message + " (ports below 1024 need root or the CAP_NET_BIND_SERVICE capability)";
        }
        if (message.contains("Address already in use")) {
            return message + " (another process listens there; pick another port)";
        }
        if (t instanceof UnknownHostException) {
            return "cannot resolve " + listen.host();
        }
        return message;
    }

    /**
     * Requests Vert.x could not even parse (too long a line, too large headers, bad syntax):
     * answered as JSON like every other error, then the connection is closed, as its state is
     * unknown.
     */
    private static void invalidRequest(HttpServerRequest request) {
        Throwable cause = request.decoderResult() == null ? null : request.decoderResult().cause();
        Reply reply;
        if (cause instanceof TooLongHttpLineException) {
            reply = Reply.error(414, "request line too long: fedsyncd accepts up to " + MAX_REQUEST_LINE_BYTES
                    + " bytes of method, path and query");
        } else if (cause instanceof TooLongHttpHeaderException) {
            reply = Reply.error(431, "request headers too large: fedsyncd accepts up to " + MAX_HEADER_BYTES
                    + " bytes of headers");
        } else {
            reply = Reply.error(400, "malformed HTTP request" + (cause == null || cause.getMessage() == null ? ""
                    : ": " + cause.getMessage().lines().findFirst().orElse("")));
        }
        HttpServerResponse response = request.response();
        response.setStatusCode(reply.status())
                .putHeader("content-type", "application/json; charset=utf-8")
                .putHeader("cache-control", "no-store")
                .putHeader("connection", "close")
                .end(Buffer.buffer(Json.bytes(reply.body())))
                .onComplete(ignored -> request.connection().close());
    }

    /** The bound address; its port is the real one when 0 was asked for. */
    public ListenAddress address() {
        return address;
    }

    public int port() {
        return address.port();
    }

    /** {@code https} with {@code http.tls}, else {@code http}. */
    public String scheme() {
        return https ? "https" : "http";
    }

    /**
     * Stops in order: no new connections, in-flight requests get a short grace period to be
     * answered, the worker pool drains, then Vert.x stops. Whatever a worker finishes after that
     * is dropped without a word (nobody is listening any more).
     */
    @Override
    public void close() {
        try {
            server.shutdown(SHUTDOWN_GRACE).toCompletionStage().toCompletableFuture()
                    .get(SHUTDOWN_GRACE.toSeconds() + 10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("HTTP server on {} did not close cleanly: {}", address, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            close(workers, vertx);
            metrics.close();
        }
    }

    private static void close(ExecutorService workers, Vertx vertx) {
        workers.shutdown();
        try {
            if (!workers.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        close(vertx);
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "fedsyncd-http-" + n.incrementAndGet());
            t.setDaemon(true);
            t.setUncaughtExceptionHandler((thread, e) ->
                    LOG.warn("{} failed: {}", thread.getName(), e.toString(), e));
            return t;
        };
    }

    private static void close(Vertx vertx) {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("Vert.x did not stop cleanly: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The route table and handlers; separate from the server's lifecycle. */
    private static final class Routes {

        private final Vertx vertx;
        private final ExecutorService workers;
        private final MirrorService mirror;
        private final java.util.function.Supplier<RaftStatus> raft;
        private final PeerRoutes peers;
        private final MirrorForwarder forwarder;
        private final ApiAuth auth;
        private final Metrics metrics;
        private final ClusterService clusters;

        Routes(Vertx vertx, ExecutorService workers, MirrorService mirror,
               java.util.function.Supplier<RaftStatus> raft, PeerRoutes peers, MirrorForwarder forwarder,
               ApiAuth auth, Metrics metrics, ClusterService clusters) {
            this.clusters = clusters;
            this.auth = auth;
            this.metrics = metrics;
            this.vertx = vertx;
            this.workers = workers;
            this.mirror = mirror;
            this.raft = raft;
            this.peers = peers;
            this.forwarder = forwarder;
        }

        Router router() {
            Router router = Router.router(vertx);
            router.route().handler(this::methodAndQuery);
            router.get("/healthz").handler(ctx -> blocking(ctx, () -> health(Health.live(mirror))));
            router.get("/readyz").handler(ctx -> blocking(ctx, () -> health(Health.ready(mirror, raft.get()))));
            router.get("/api/v1/status").handler(ctx -> blocking(ctx,
                    () -> Reply.ok(StatusCodec.toJson(mirror.status(), raft.get()))));
            router.get("/metrics").handler(this::metrics);
            WebPage.load().mount(router); // GET / and its script and style (see WebPage)
            router.get("/api/v1/conflicts").handler(this::conflicts);
            router.get("/api/v1/conflicts/:id").handler(ctx -> {
                String id = ctx.pathParam("id");
                blocking(ctx, () -> mirror.conflict(id)
                        .map(r -> Reply.ok(ConflictDiff.detail(r)))
                        .orElseGet(() -> Reply.error(404, "no conflict with id '" + id + "'")));
            });
            // Calls that change something: the token check comes first, before any body is read.
            router.post("/api/v1/verify").handler(this::authorize);
            router.post("/api/v1/peers").handler(this::authorize);
            router.delete("/api/v1/peers/:id").handler(this::authorize);
            router.post("/api/v1/conflicts/:id/resolve").handler(this::authorize);
            // Then the body as the headers announce it, still unread (RequestRules).
            router.post("/api/v1/verify").handler(ctx -> body(ctx, RequestRules.Body.NONE));
            router.post("/api/v1/peers").handler(ctx -> body(ctx, RequestRules.Body.JSON));
            router.delete("/api/v1/peers/:id").handler(ctx -> body(ctx, RequestRules.Body.NONE));
            router.post("/api/v1/conflicts/:id/resolve").handler(ctx -> body(ctx, RequestRules.Body.JSON));
            router.post("/api/v1/conflicts/:id/resolve").handler(BodyHandler.create(false)
                    .setBodyLimit(ResolveBody.MAX_BODY_BYTES));
            router.post("/api/v1/conflicts/:id/resolve").handler(this::resolve);
            router.post("/api/v1/verify").handler(this::verify);
            router.get("/api/v1/keys/*").handler(this::explain);
            router.get("/api/v1/peers").handler(ctx -> blocking(ctx, () -> answer(peers.list())));
            router.post("/api/v1/peers").handler(BodyHandler.create(false).setBodyLimit(PeerRoutes.MAX_BODY_BYTES));
            router.post("/api/v1/peers").handler(ctx -> {
                String body = ctx.body().asString();
                blocking(ctx, () -> answer(peers.add(body)));
            });
            router.delete("/api/v1/peers/:id").handler(ctx -> {
                String id = ctx.pathParam("id");
                blocking(ctx, () -> answer(peers.remove(id)));
            });
            clusterRoutes(router);
            router.errorHandler(400, ctx -> send(ctx, Reply.error(400, badRequest(ctx))));
            router.errorHandler(404, ctx -> send(ctx, Reply.error(404,
                    "no such endpoint: " + ctx.request().method() + " " + safePath(ctx))));
            router.errorHandler(405, ctx -> send(ctx, Reply.error(405,
                    "method " + ctx.request().method() + " is not allowed on " + safePath(ctx))));
            router.errorHandler(500, ctx -> {
                LOG.warn("{} {} failed", ctx.request().method(), safePath(ctx), ctx.failure());
                send(ctx, Reply.error(500, "internal error"));
            });
            // Any other status Vert.x Web fails a request with (413, 415, 501, ...): JSON too.
            router.uncaughtErrorHandler(ctx -> {
                int status = ctx.statusCode() >= 400 ? ctx.statusCode() : 500;
                if (status >= 500) {
                    LOG.warn("{} {} failed with {}", ctx.request().method(), safePath(ctx), status, ctx.failure());
                }
                send(ctx, Reply.error(status, HttpResponseStatus.valueOf(status).reasonPhrase().toLowerCase(Locale.ROOT)
                        + (ctx.failure() == null || ctx.failure().getMessage() == null ? ""
                        : ": " + ctx.failure().getMessage())));
            });
            return router;
        }

        /**
         * {@code /api/v1/clusters}: the list, join, unjoin and check-jwt. Only the replica that runs
         * the federation (the leader) joins, unjoins and checks; another forwards those calls to it,
         * and answers the list itself only when there is no leader to ask.
         */
        private void clusterRoutes(Router router) {
            router.post("/api/v1/clusters").handler(this::authorize);
            router.delete("/api/v1/clusters/:name").handler(this::authorize);
            router.post("/api/v1/clusters").handler(ctx -> body(ctx, RequestRules.Body.JSON));
            router.delete("/api/v1/clusters/:name").handler(ctx -> body(ctx, RequestRules.Body.NONE));
            router.post("/api/v1/clusters").handler(BodyHandler.create(false).setBodyLimit(ClusterService.MAX_BODY_BYTES));
            router.get("/api/v1/clusters").handler(ctx -> leaderOnly(ctx, clusters::list, null, true));
            router.post("/api/v1/clusters").handler(ctx -> {
                byte[] body = ctx.body() == null || ctx.body().buffer() == null ? new byte[0]
                        : ctx.body().buffer().getBytes();
                leaderOnly(ctx, () -> clusters.join(body), body, false);
            });
            router.delete("/api/v1/clusters/:name").handler(ctx -> {
                String name = ctx.pathParam("name");
                leaderOnly(ctx, () -> clusters.unjoin(name), null, false);
            });
            router.get("/api/v1/clusters/:name/jwt").handler(ctx -> {
                String name = ctx.pathParam("name");
                leaderOnly(ctx, () -> clusters.checkJwt(name), null, false);
            });
        }

        /**
         * Runs a cluster call here when this replica runs the federation, else forwards it to the one
         * that does; {@code localFallback}: answer here when there is none to forward to.
         */
        private void leaderOnly(RoutingContext ctx, java.util.function.Supplier<ClusterService.Answer> call, byte[] body,
                                boolean localFallback) {
            if (clusters.leading()) {
                blocking(ctx, () -> answer(call.get()));
                return;
            }
            Context context = vertx.getOrCreateContext();
            String why = "replica does not run the federation now (it does not lead)";
            if (!localFallback) {
                forwardOr503(ctx, context, why, RESOLVE_FORWARD_TIMEOUT, body);
                return;
            }
            // The list: the leader's live view when there is a leader to ask, else this replica's own.
            java.util.Optional<java.util.concurrent.CompletableFuture<MirrorForwarder.Answer>> sent = forwarder.forward(
                    ctx.request().method().name(), ctx.request().uri(), ctx.request().getHeader(MirrorForwarder.FORWARDED_BY),
                    RESOLVE_FORWARD_TIMEOUT);
            if (sent.isEmpty()) {
                blocking(ctx, () -> answer(call.get()));
                return;
            }
            sent.get().whenComplete((answer, error) -> {
                if (error != null) {
                    LOG.debug("the leader did not answer GET /api/v1/clusters ({}); answering from this replica",
                            error.getMessage());
                    try {
                        context.runOnContext(ignored -> blocking(ctx, () -> answer(call.get())));
                    } catch (RejectedExecutionException e) {
                        LOG.debug("HTTP API stopped before GET /api/v1/clusters was answered");
                    }
                    return;
                }
                try {
                    context.runOnContext(ignored -> relay(ctx, answer));
                } catch (RejectedExecutionException e) {
                    LOG.debug("HTTP API stopped before a forwarded call was answered");
                }
            });
        }

        /** The mirror's answer to a forwarded call, passed on as it came. On the request's event loop. */
        private static void relay(RoutingContext ctx, MirrorForwarder.Answer answer) {
            if (!ctx.response().ended()) {
                ctx.response().setStatusCode(answer.status())
                        .putHeader("content-type", "application/json; charset=utf-8")
                        .putHeader("cache-control", "no-store")
                        .putHeader(MirrorForwarder.ANSWERED_BY, answer.answeredBy())
                        .end(answer.body());
            }
        }

        /** A method an endpoint does not take is 405 with {@code Allow}; an unknown query parameter 400. */
        private void methodAndQuery(RoutingContext ctx) {
            java.util.Optional<RequestRules.Refusal> refused;
            try {
                refused = RequestRules.check(ctx.request().method().name(), ctx.normalizedPath(),
                        ctx.queryParams().names());
            } catch (RuntimeException e) {
                // A path or query that is not valid URL encoding (%zz) decodes to nothing.
                send(ctx, Reply.error(400, badRequest(ctx)));
                return;
            }
            if (refused.isEmpty()) {
                ctx.next();
                return;
            }
            if (refused.get().allow() != null) {
                ctx.response().putHeader("allow", refused.get().allow());
            }
            send(ctx, Reply.error(refused.get().status(), refused.get().message()));
        }

        /** A body where none is taken is 413, one that is not JSON 415; before it is read. */
        private void body(RoutingContext ctx, RequestRules.Body takes) {
            HttpServerRequest r = ctx.request();
            java.util.Optional<RequestRules.Refusal> refused = RequestRules.body(takes, r.method().name(), safePath(ctx),
                    r.getHeader("content-type"), r.getHeader("content-length"), r.getHeader("transfer-encoding"));
            if (refused.isEmpty()) {
                ctx.next();
                return;
            }
            LOG.info("{} {} refused ({}): {}", r.method(), safePath(ctx), refused.get().status(),
                    refused.get().message());
            if (refused.get().status() == 413) {
                // The body is not read: the connection's state is unknown afterwards.
                ctx.response().putHeader("connection", "close");
            }
            send(ctx, Reply.error(refused.get().status(), refused.get().message()));
        }

        /** Lets a call that changes something through, or answers 401/403 (see {@link ApiAuth}). */
        private void authorize(RoutingContext ctx) {
            java.util.Optional<ApiAuth.Refusal> refused = auth.check(ctx.request().getHeader("authorization"));
            if (refused.isEmpty()) {
                ctx.next();
                return;
            }
            LOG.info("{} {} refused ({}): {}", ctx.request().method(), safePath(ctx), refused.get().status(),
                    refused.get().message());
            if (refused.get().status() == 401) {
                ctx.response().putHeader("www-authenticate", "Bearer realm=\"fedsyncd\"");
            }
            send(ctx, Reply.error(refused.get().status(), refused.get().message()));
        }

        /**
         * Ends an open conflict as the body asks (see {@link ResolveBody}); on a replica that does
         * not mirror, the call goes to the one that does, body and headers as they came.
         */
        private void resolve(RoutingContext ctx) {
            String id = ctx.pathParam("id");
            byte[] body = ctx.body() == null || ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
            io.fedsync.mirror.ResolveAction action;
            try {
                action = ResolveBody.parse(body);
            } catch (IllegalArgumentException e) {
                send(ctx, Reply.error(400, e.getMessage()));
                return;
            }
            Context context = vertx.getOrCreateContext();
            try {
                workers.execute(() -> {
                    Reply reply;
                    try {
                        ConflictRecord r = mirror.resolve(id, action, "api");
                        reply = Reply.ok(ConflictDiff.detail(r));
                    } catch (io.fedsync.mirror.ResolveException e) {
                        int status = switch (e.kind()) {
                            case UNKNOWN -> 404;
                            case NOT_OPEN -> 409;
                            case INVALID -> 422;
                            case UNAVAILABLE -> 503;
                        };
                        LOG.info("resolving conflict {} ({}) refused ({}): {}", id, action.how(), status, e.getMessage());
                        reply = Reply.error(status, e.getMessage());
                    } catch (IllegalStateException e) {
                        // This replica does not mirror: the one that does decides.
                        try {
                            context.runOnContext(ignored -> forwardOr503(ctx, context, e.getMessage(),
                                    RESOLVE_FORWARD_TIMEOUT, body));
                        } catch (RejectedExecutionException stopped) {
                            LOG.debug("HTTP API stopped before a resolution was forwarded");
                        }
                        return;
                    } catch (RuntimeException e) {
                        LOG.warn("resolving conflict {} failed", id, e);
                        reply = Reply.error(500, "internal error: " + e.getMessage());
                    }
                    Reply answer = reply;
                    try {
                        context.runOnContext(ignored -> send(ctx, answer));
                    } catch (RejectedExecutionException e) {
                        LOG.debug("HTTP API stopped before a resolution was answered");
                    }
                });
            } catch (RejectedExecutionException e) {
                send(ctx, Reply.error(503, "fedsyncd is stopping"));
            }
        }

        /**
         * What every cluster holds for one key, read now by the mirror (forwarded to it from a
         * replica that does not mirror). The key is the rest of the path, URL-decoded; a leading
         * {@code /} is added when missing, so {@code /api/v1/keys/registry/...} and
         * {@code /api/v1/keys/%2Fregistry%2F...} name the same key.
         */
        private void explain(RoutingContext ctx) {
            String raw = ctx.request().path().substring("/api/v1/keys/".length());
            String key;
            try {
                key = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                send(ctx, Reply.error(400, "the key is not valid URL encoding"));
                return;
            }
            if (key.isEmpty()) {
                send(ctx, Reply.error(400, "name a key: GET /api/v1/keys/registry/iam.kubesphere.io/users/NAME"));
                return;
            }
            String wire = key.startsWith("/") || key.startsWith("hex:") ? key : "/" + key;
            Context context = vertx.getOrCreateContext();
            try {
                workers.execute(() -> {
                    Reply reply;
                    try {
                        reply = mirror.explain(wire).map(k -> Reply.ok(KeyCodec.toJson(k)))
                                .orElseGet(() -> Reply.error(404, "key " + cut(wire) + " is under no mirrored prefix"));
                    } catch (IllegalStateException e) {
                        try {
                            context.runOnContext(ignored -> forwardOr503(ctx, context, e.getMessage(),
                                    RESOLVE_FORWARD_TIMEOUT));
                        } catch (RejectedExecutionException stopped) {
                            LOG.debug("HTTP API stopped before a key read was forwarded");
                        }
                        return;
                    } catch (RuntimeException e) {
                        LOG.warn("reading key {} failed", cut(wire), e);
                        reply = Reply.error(500, "internal error: " + e.getMessage());
                    }
                    Reply answer = reply;
                    try {
                        context.runOnContext(ignored -> send(ctx, answer));
                    } catch (RejectedExecutionException e) {
                        LOG.debug("HTTP API stopped before a key read was answered");
                    }
                });
            } catch (RejectedExecutionException e) {
                send(ctx, Reply.error(503, "fedsyncd is stopping"));
            }
        }

        /** Prometheus' text format, rendered on a worker: the snapshot reads the mirror and the Raft status. */
        private void metrics(RoutingContext ctx) {
            Context context = vertx.getOrCreateContext();
            try {
                workers.execute(() -> {
                    String text;
                    try {
                        text = metrics.scrape();
                    } catch (RuntimeException e) {
                        LOG.warn("GET /metrics failed", e);
                        Reply reply = Reply.error(500, "internal error: " + e.getMessage());
                        try {
                            context.runOnContext(ignored -> send(ctx, reply));
                        } catch (RejectedExecutionException stopped) {
                            LOG.debug("HTTP API stopped before GET /metrics was answered");
                        }
                        return;
                    }
                    try {
                        context.runOnContext(ignored -> {
                            if (!ctx.response().ended()) {
                                ctx.response().setStatusCode(200)
                                        .putHeader("content-type", Metrics.CONTENT_TYPE)
                                        .putHeader("cache-control", "no-store")
                                        .end(text);
                            }
                        });
                    } catch (RejectedExecutionException stopped) {
                        LOG.debug("HTTP API stopped before GET /metrics was answered");
                    }
                });
            } catch (RejectedExecutionException e) {
                send(ctx, Reply.error(503, "fedsyncd is stopping"));
            }
        }

        private static String cut(String s) {
            return s.length() <= 300 ? s : s.substring(0, 300) + "…";
        }

        /**
         * Runs a verification pass now (or joins the one running) and answers with its result when
         * it ends; no thread waits for it meanwhile (a pass may take minutes on a large prefix).
         */
        private void verify(RoutingContext ctx) {
            Context context = vertx.getOrCreateContext();
            java.util.concurrent.CompletableFuture<io.fedsync.mirror.VerifyResult> pass;
            try {
                pass = mirror.verify();
            } catch (IllegalStateException e) {
                forwardOr503(ctx, context, e.getMessage(), VERIFY_FORWARD_TIMEOUT);
                return;
            }
            pass.whenComplete((result, error) -> {
                Reply reply = error == null ? Reply.ok(StatusCodec.verify(result))
                        : Reply.error(503, "verification failed: " + (error.getCause() != null
                        ? error.getCause().getMessage() : error.getMessage()));
                try {
                    context.runOnContext(ignored -> send(ctx, reply));
                } catch (RejectedExecutionException e) {
                    LOG.debug("HTTP API stopped before POST /api/v1/verify was answered");
                }
            });
        }

        /**
         * This replica does not mirror ({@code why}): the call goes to the replica that does, and its
         * answer is relayed as it is; 503 with {@code why} when there is none to send it to or it
         * was forwarded here already.
         */
        private void forwardOr503(RoutingContext ctx, Context context, String why, Duration timeout) {
            forwardOr503(ctx, context, why, timeout, null);
        }

        /** @param body the request's body, forwarded with its content-type and authorization; null for none */
        private void forwardOr503(RoutingContext ctx, Context context, String why, Duration timeout, byte[] body) {
            String forwardedBy = ctx.request().getHeader(MirrorForwarder.FORWARDED_BY);
            java.util.Optional<java.util.concurrent.CompletableFuture<MirrorForwarder.Answer>> sent =
                    forwarder.forward(ctx.request().method().name(), ctx.request().uri(), forwardedBy, timeout, body,
                            ctx.request().getHeader("content-type"), ctx.request().getHeader("authorization"));
            if (sent.isEmpty()) {
                send(ctx, Reply.error(503, why + (forwardedBy == null ? ""
                        : " (forwarded here by replica " + forwardedBy + "; not forwarded again)")));
                return;
            }
            sent.get().whenComplete((answer, error) -> {
                try {
                    context.runOnContext(ignored -> {
                        if (ctx.response().ended()) {
                            return;
                        }
                        if (error != null) {
                            Throwable cause = error.getCause() != null ? error.getCause() : error;
                            send(ctx, Reply.error(503, why + "; forwarding to the mirror failed: " + cause.getMessage()));
                            return;
                        }
                        relay(ctx, answer);
                    });
                } catch (RejectedExecutionException e) {
                    LOG.debug("HTTP API stopped before a forwarded call was answered");
                }
            });
        }

        /** What was wrong with the request, e.g. a %-escape that decodes to nothing. */
        private static String badRequest(RoutingContext ctx) {
            Throwable failure = ctx.failure();
            String path = ctx.request().path();
            if (path != null && !decodes(path)) {
                return "the path is not valid URL encoding (a '%' must be followed by two hex digits): "
                        + safePath(ctx);
            }
            String query = ctx.request().query();
            if (query != null && !decodes(query)) {
                return "the query string is not valid URL encoding (a '%' must be followed by two hex digits)";
            }
            if (failure instanceof HttpException h && h.getPayload() != null) {
                return "bad request: " + h.getPayload();
            }
            return "bad request" + (failure == null || failure.getMessage() == null ? "" : ": " + failure.getMessage());
        }

        private static boolean decodes(String s) {
            try {
                URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }

        /** The raw path, cut short: it is echoed back in JSON, never decoded. */
        private static String safePath(RoutingContext ctx) {
            String path = ctx.request().path();
            if (path == null) {
                return "";
            }
            return path.length() <= 200 ? path : path.substring(0, 200) + "…";
        }

        private void conflicts(RoutingContext ctx) {
            ConflictPage page;
            try {
                page = ConflictPage.parse(query(ctx));
            } catch (IllegalArgumentException e) {
                send(ctx, Reply.error(400, e.getMessage()));
                return;
            }
            blocking(ctx, () -> Reply.ok(page.answer(mirror.conflicts())));
        }

        private static Map<String, List<String>> query(RoutingContext ctx) {
            Map<String, List<String>> query = new LinkedHashMap<>();
            for (String name : ctx.queryParams().names()) {
                query.put(name, ctx.queryParams().getAll(name));
            }
            return query;
        }

        private static Reply answer(ClusterService.Answer a) {
            return new Reply(a.status(), a.body());
        }

        private static Reply answer(PeerRoutes.Answer a) {
            return new Reply(a.status(), a.body());
        }

        private static Reply health(Health h) {
            ObjectNode body = Json.object();
            body.put("status", h.ok() ? "ok" : "unavailable");
            if (!h.ok()) {
                body.put("reason", h.reason());
            }
            return new Reply(h.ok() ? 200 : 503, body);
        }

        /**
         * Runs {@code work} on a worker (requests must not queue behind each other) and answers
         * on the request's event loop. When the server is stopping, the answer may find the event
         * loop gone: it is dropped, quietly.
         */
        private void blocking(RoutingContext ctx, Callable<Reply> work) {
            Context context = vertx.getOrCreateContext();
            try {
                workers.execute(() -> {
                    Reply reply;
                    try {
                        reply = work.call();
                    } catch (Exception e) {
                        LOG.warn("{} {} failed", ctx.request().method(), safePath(ctx), e);
                        reply = Reply.error(500, "internal error: " + e.getMessage());
                    }
                    Reply answer = reply;
                    try {
                        context.runOnContext(ignored -> send(ctx, answer));
                    } catch (RejectedExecutionException e) {
                        LOG.debug("HTTP API stopped before {} {} was answered", ctx.request().method(), safePath(ctx));
                    }
                });
            } catch (RejectedExecutionException e) {
                send(ctx, Reply.error(503, "fedsyncd is stopping"));
            }
        }

        private static void send(RoutingContext ctx, Reply reply) {
            if (ctx.response().ended()) {
                return;
            }
            ctx.response()
                    .setStatusCode(reply.status())
                    .putHeader("content-type", "application/json; charset=utf-8")
                    .putHeader("cache-control", "no-store")
                    .end(Buffer.buffer(Json.bytes(reply.body())));
        }
    }

    /** A fedsyncd without a {@code federation:} section: no clusters to list, nothing to join. */
    private static final ClusterService NO_FEDERATION = new ClusterService() {
        private Answer off() {
            ObjectNode body = Json.object();
            body.put("error", "federation is not configured: add a federation: section and clusters[].kubeconfig to"
                    + " fedsyncd's config");
            return new Answer(412, body);
        }

        @Override
        public boolean leading() {
            return true;
        }

        @Override
        public Answer list() {
            ObjectNode body = Json.object();
            body.put("kind", "ClusterList");
            body.putObject("federation").put("enabled", false);
            body.putArray("items");
            return new Answer(200, body);
        }

        @Override
        public Answer join(byte[] body) {
            return off();
        }

        @Override
        public Answer unjoin(String name) {
            return off();
        }

        @Override
        public Answer checkJwt(String name) {
            return off();
        }
    };

    private record Reply(int status, JsonNode body) {
        static Reply ok(JsonNode body) {
            return new Reply(200, body);
        }

        static Reply error(int status, String message) {
            ObjectNode body = Json.object();
            body.put("error", message);
            return new Reply(status, body);
        }
    }
}
