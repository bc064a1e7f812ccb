package io.fedsync.itest.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Kubernetes watch ({@code ?watch=true}, newline-delimited JSON events) on a kind of a cluster's
 * API, as a list-and-watch client opens it, recording when the first ADDED event of each name with a given stem
 * was received here ({@link BenchClock}). It splits a latency into "host etcd to host API watch"
 * and "host API watch to member write" (fedsyncd's host caches read the same stream).
 */
final class ApiWatch implements AutoCloseable {

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
    private final CompletableFuture<HttpResponse<Void>> response;
    private volatile Throwable error;
    private volatile java.util.concurrent.Flow.Subscription subscription;

    /** {@code url}: e.g. {@code http://127.0.0.1:PORT/apis/iam.kubesphere.io/v1alpha2/users}. */
    ApiWatch(String url, String stem, String resourceVersion) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "?watch=true&resourceVersion=" + resourceVersion
                + "&timeoutSeconds=3600")).GET().build();
        response = http.sendAsync(request, HttpResponse.BodyHandlers.fromLineSubscriber(new java.util.concurrent.Flow
                .Subscriber<String>() {
            @Override
            public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
                subscription = s;
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(String line) {
                long now = BenchClock.now();
                try {
                    com.fasterxml.jackson.databind.JsonNode event = JSON.readTree(line);
                    String name = event.path("object").path("metadata").path("name").asText("");
                    if (event.path("type").asText().equals("ADDED") && name.startsWith(stem)) {
                        firstSeen.putIfAbsent(name, now);
                    }
                } catch (java.io.IOException | RuntimeException e) {
                    error = e;
                }
            }

            @Override
            public void onError(Throwable t) {
                error = t;
            }

            @Override
            public void onComplete() {
            }
        }));
    }

    /** First ADDED event of this name (BenchClock ns), or 0. */
    long seen(String name) {
        return firstSeen.getOrDefault(name, 0L);
    }

    int size() {
        return firstSeen.size();
    }

    Throwable error() {
        return error;
    }

    @Override
    public void close() {
        java.util.concurrent.Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
        response.cancel(true);
    }
}
