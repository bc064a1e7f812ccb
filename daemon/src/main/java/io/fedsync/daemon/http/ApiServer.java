package io.fedsync.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.daemon.DaemonException;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.daemon.json.ConflictRecordCodec;
import io.fedsync.daemon.json.Json;
import io.fedsync.daemon.json.StatusCodec;
import io.fedsync.mirror.MirrorService;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.BindException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fedsyncd's HTTP API on Vert.x:
 * <ul>
 * <li>{@code GET /healthz}, {@code GET /readyz} — 200 {@code {"status":"ok"}}, else 503 with a reason;</li>
 * <li>{@code GET /api/v1/status} — the mirror's status (see {@link StatusCodec});</li>
 * <li>{@code GET /api/v1/conflicts[?state=&type=&key=&cluster=]} — {@code {"items":[...]}};</li>
 * <li>{@code GET /api/v1/conflicts/{id}} — one record, or 404;</li>
 * <li>{@code POST /api/v1/verify} — compares every mirrored key across the clusters now and repairs
 * what no open conflict explains; answers with the pass's result.</li>
 * </ul>
 * Every error is JSON {@code {"error": "..."}}. The mirror's methods may block (locks, the
 * store), so they run on worker threads and the event loop only writes responses.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final long START_TIMEOUT_SECONDS = 30;

    private final Vertx vertx;
    private final HttpServer server;
    private final ListenAddress address;

    private ApiServer(Vertx vertx, HttpServer server, ListenAddress address) {
        this.vertx = vertx;
        this.server = server;
        this.address = address;
    }

    /**
     * Starts listening; returns once the socket is bound.
     *
     * @throws DaemonException when the address cannot be bound (in use, not local, no permission)
     */
    public static ApiServer start(MirrorService mirror, ListenAddress listen) {
        // Small pools: the API serves an operator and a few probes, not traffic, on a 2-core host.
        Vertx vertx = Vertx.vertx(new VertxOptions()
                .setEventLoopPoolSize(1)
                .setWorkerPoolSize(4)
                // A verification pass may take minutes on a large prefix: not a blocked thread.
                .setMaxWorkerExecuteTime(15)
                .setMaxWorkerExecuteTimeUnit(TimeUnit.MINUTES)
                .setFileSystemOptions(new FileSystemOptions()
                        .setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false)));
        try {
            Router router = new Routes(vertx, mirror).router();
            HttpServer server = vertx.createHttpServer().requestHandler(router)
                    .listen(listen.port(), listen.host())
                    .toCompletionStage().toCompletableFuture()
                    .get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            ListenAddress actual = new ListenAddress(listen.host(), server.actualPort());
            return new ApiServer(vertx, server, actual);
        } catch (ExecutionException e) {
            close(vertx);
            throw new DaemonException("cannot listen on " + listen + " (http.listen): " + bindProblem(e.getCause()),
                    e.getCause());
        } catch (TimeoutException e) {
            close(vertx);
            throw new DaemonException("cannot listen on " + listen + " (http.listen): no answer within "
                    + START_TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close(vertx);
            throw new DaemonException("interrupted while starting the HTTP API on " + listen, e);
        }
    }

    private static String bindProblem(Throwable t) {
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (t instanceof BindException || message.contains("Address already in use")) {
            return message + " (another process listens there; pick another port)";
        }
        return message;
    }

    /** The bound address; its port is the real one when 0 was asked for. */
    public ListenAddress address() {
        return address;
    }

    public int port() {
        return address.port();
    }

    @Override
    public void close() {
        try {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("HTTP server on {} did not close cleanly: {}", address, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            close(vertx);
        }
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
        private final MirrorService mirror;

        Routes(Vertx vertx, MirrorService mirror) {
            this.vertx = vertx;
            this.mirror = mirror;
        }

        Router router() {
            Router router = Router.router(vertx);
            router.get("/healthz").handler(ctx -> blocking(ctx, () -> health(Health.live(mirror))));
            router.get("/readyz").handler(ctx -> blocking(ctx, () -> health(Health.ready(mirror))));
            router.get("/api/v1/status").handler(ctx -> blocking(ctx,
                    () -> Reply.ok(StatusCodec.toJson(mirror.status()))));
            router.get("/api/v1/conflicts").handler(this::conflicts);
            router.get("/api/v1/conflicts/:id").handler(ctx -> {
                String id = ctx.pathParam("id");
                blocking(ctx, () -> mirror.conflict(id)
                        .map(r -> Reply.ok(ConflictRecordCodec.toJson(r)))
                        .orElseGet(() -> Reply.error(404, "no conflict with id '" + id + "'")));
            });
            router.post("/api/v1/verify").handler(ctx -> blocking(ctx, this::verify));
            router.errorHandler(404, ctx -> send(ctx, Reply.error(404,
                    "no such endpoint: " + ctx.request().method() + " " + ctx.request().path())));
            router.errorHandler(405, ctx -> send(ctx, Reply.error(405,
                    "method " + ctx.request().method() + " is not allowed on " + ctx.request().path())));
            router.errorHandler(500, ctx -> {
                LOG.warn("{} {} failed", ctx.request().method(), ctx.request().path(), ctx.failure());
                send(ctx, Reply.error(500, "internal error"));
            });
            return router;
        }

        /** Runs a verification pass now (or joins the one running) and answers with its result. */
        private Reply verify() {
            try {
                return Reply.ok(StatusCodec.verify(mirror.verify()));
            } catch (IllegalStateException e) {
                return Reply.error(503, e.getMessage());
            }
        }

        private void conflicts(RoutingContext ctx) {
            ConflictFilter filter;
            try {
                filter = ConflictFilter.parse(query(ctx));
            } catch (IllegalArgumentException e) {
                send(ctx, Reply.error(400, e.getMessage()));
                return;
            }
            blocking(ctx, () -> {
                ObjectNode body = Json.object();
                ArrayNode items = body.putArray("items");
                for (ConflictRecord r : mirror.conflicts()) {
                    if (filter.test(r)) {
                        items.add(ConflictRecordCodec.toJson(r));
                    }
                }
                return Reply.ok(body);
            });
        }

        private static Map<String, List<String>> query(RoutingContext ctx) {
            Map<String, List<String>> query = new LinkedHashMap<>();
            for (String name : ctx.queryParams().names()) {
                query.put(name, ctx.queryParams().getAll(name));
            }
            return query;
        }

        private static Reply health(Health h) {
            ObjectNode body = Json.object();
            body.put("status", h.ok() ? "ok" : "unavailable");
            if (!h.ok()) {
                body.put("reason", h.reason());
            }
            return new Reply(h.ok() ? 200 : 503, body);
        }

        /** Runs {@code work} on a worker (unordered: requests must not queue behind each other). */
        private void blocking(RoutingContext ctx, Callable<Reply> work) {
            vertx.executeBlocking(work, false).onComplete(ar -> {
                if (ar.succeeded()) {
                    send(ctx, ar.result());
                } else {
                    LOG.warn("{} {} failed", ctx.request().method(), ctx.request().path(), ar.cause());
                    send(ctx, Reply.error(500, "internal error: " + ar.cause().getMessage()));
                }
            });
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
