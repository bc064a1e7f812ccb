package io.fedsync.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.raft.api.json.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Talks to fedsyncd's HTTP API on one of several replicas: tries each URL in turn and uses the
 * first that answers. What the daemon said (any status) is an answer; only a replica that does
 * not answer at all makes it try the next.
 */
final class ApiClient {

    /** No replica answered. */
    static final class NoAnswer extends Exception {
        private static final long serialVersionUID = 1L;

        NoAnswer(String message) {
            super(message);
        }
    }

    /** What a replica answered: its URL, HTTP status and JSON body (an object, or null if not JSON). */
    record Answer(String server, int status, JsonNode body, String text) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The daemon's {@code {"error": ...}} message, or the body. */
        String error() {
            return body != null && body.hasNonNull("error") ? body.get("error").asText() : text;
        }
    }

    private final List<String> servers;
    private final HttpClient http;
    private final Duration timeout;

    ApiClient(List<String> servers, Duration timeout) {
        this.servers = List.copyOf(servers);
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    Answer get(String path) throws NoAnswer {
        return send("GET", path);
    }

    Answer post(String path) throws NoAnswer {
        return send("POST", path);
    }

    private Answer send(String method, String path) throws NoAnswer {
        List<String> failures = new ArrayList<>();
        for (String server : servers) {
            String base = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
            try {
                HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                        .method(method, HttpRequest.BodyPublishers.noBody()).build();
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                JsonNode body = null;
                try {
                    body = Json.MAPPER.readTree(r.body());
                } catch (IOException e) {
                    // not JSON: keep the text
                }
                return new Answer(base, r.statusCode(), body, r.body());
            } catch (HttpTimeoutException e) {
                failures.add(base + ": no answer within " + timeout.toSeconds() + " s");
            } catch (ConnectException e) {
                failures.add(base + ": connection refused");
            } catch (IOException | IllegalArgumentException e) {
                failures.add(base + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NoAnswer("interrupted");
            }
        }
        throw new NoAnswer("no fedsyncd answered: " + String.join("; ", failures));
    }
}
