package io.fedsync.daemon.http;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Sends a call only the mirroring replica can answer (a verification pass, a conflict's resolution) from a replica
 * that does not mirror to the one that does, and hands back its answer as it is.
 *
 * <p>Where the mirror answers comes from the replicated state: a leader records its HTTP API with
 * the fencing term it takes ({@code RaftNode#mirrorApi}). A forwarded call carries
 * {@value #FORWARDED_BY} and is never forwarded again: a replica that got one and does not mirror
 * either (leadership moved meanwhile) answers 503 itself, so a call makes at most one hop.
 * Nothing here blocks: the call is sent with the JDK's asynchronous client.
 */
final class MirrorForwarder {

    /** The request header naming the replica that forwarded the call. */
    static final String FORWARDED_BY = "x-fedsync-forwarded-by";
    /** The response header naming where a forwarded call was answered. */
    static final String ANSWERED_BY = "x-fedsync-answered-by";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);

    private final String self;
    private final Supplier<Optional<String>> mirrorApi;
    private final javax.net.ssl.SSLContext trust;
    private volatile HttpClient http;

    /**
     * @param self      this replica's id, sent in {@value #FORWARDED_BY}
     * @param mirrorApi where the mirror answers ({@code http://host:port}) when another replica
     *                  mirrors; empty when this one does, or nobody said
     */
    MirrorForwarder(String self, Supplier<Optional<String>> mirrorApi) {
        this(self, mirrorApi, null);
    }

    /** @param trust what an HTTPS mirror's certificate is checked against; null: the JVM's CAs */
    MirrorForwarder(String self, Supplier<Optional<String>> mirrorApi, javax.net.ssl.SSLContext trust) {
        this.self = self;
        this.mirrorApi = mirrorApi;
        this.trust = trust;
    }

    /** The answer of the replica that mirrors. */
    record Answer(String answeredBy, int status, String body) {
    }

    /**
     * Forwards {@code method path} with an empty body, waiting at most {@code timeout} for the answer.
     *
     * @param forwardedBy the request's {@value #FORWARDED_BY}, or null
     * @return empty when the call must not or cannot be forwarded (it was already forwarded once,
     *         or no other replica is known to mirror); else the answer, or a failure saying why the
     *         mirror did not answer
     */
    Optional<CompletableFuture<Answer>> forward(String method, String path, String forwardedBy, Duration timeout) {
        return forward(method, path, forwardedBy, timeout, null, null, null);
    }

    /**
     * Forwards {@code method path} with its body and the headers the mirror needs to judge it as
     * this replica would: {@code content-type} and {@code authorization} (passed on as they came,
     * never logged).
     *
     * @param body          the request body, or null for none
     * @param contentType   the request's {@code content-type}, or null
     * @param authorization the request's {@code authorization}, or null
     */
    Optional<CompletableFuture<Answer>> forward(String method, String path, String forwardedBy, Duration timeout,
                                                byte[] body, String contentType, String authorization) {
        if (forwardedBy != null) {
            return Optional.empty();
        }
        Optional<String> target = mirrorApi.get();
        if (target.isEmpty()) {
            return Optional.empty();
        }
        String base = target.get().endsWith("/") ? target.get().substring(0, target.get().length() - 1) : target.get();
        URI uri;
        try {
            uri = URI.create(base + path);
        } catch (IllegalArgumentException e) {
            return Optional.of(CompletableFuture.failedFuture(new IllegalStateException(
                    "the mirror's recorded API '" + base + "' is not a URL: " + e.getMessage())));
        }
        HttpRequest request;
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout)
                    .header(FORWARDED_BY, self)
                    .method(method, body == null || body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            if (contentType != null) {
                b.header("content-type", contentType);
            }
            if (authorization != null) {
                b.header("authorization", authorization);
            }
            request = b.build();
        } catch (IllegalArgumentException e) {
            // Not e's message: it may quote the header, and authorization is a secret.
            return Optional.of(CompletableFuture.failedFuture(new IllegalStateException(
                    "the call cannot be forwarded to " + base + ": a header of it is not valid")));
        }
        return Optional.of(client().sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .handle((r, failure) -> {
                    if (failure != null) {
                        throw new CompletionException(new IllegalStateException(
                                "the mirror at " + base + " did not answer: " + describe(failure, timeout)));
                    }
                    return new Answer(base, r.statusCode(), r.body());
                }));
    }

    private HttpClient client() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                if (http == null) {
                    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                            .followRedirects(HttpClient.Redirect.NEVER);
                    if (trust != null) {
                        b.sslContext(trust);
                    }
                    http = b.build();
                }
                c = http;
            }
        }
        return c;
    }

    private static String describe(Throwable failure, Duration timeout) {
        Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (t instanceof HttpTimeoutException) {
            return "no answer within " + timeout.toSeconds() + " s";
        }
        if (t instanceof ConnectException) {
            return "connection refused (it may have just stopped; the new leader records its own address once it mirrors)";
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
