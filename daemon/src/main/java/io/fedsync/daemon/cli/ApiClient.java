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

        /**
         * The daemon's message: {@code {"error": ...}}, or a Status body's {@code {"message": ...}}
         * (the cluster endpoints' errors); else the body.
         */
        String error() {
            if (body != null && body.hasNonNull("error")) {
                return body.get("error").asText();
            }
            return body != null && body.hasNonNull("message") ? body.get("message").asText() : text;
        }
    }

    private final List<String> servers;
    private final HttpClient http;
    private final Duration timeout;
    /** Sent as a bearer token with calls that change something; null for none. Never printed. */
    private final String token;
    /** Whom https:// servers are trusted by ({@code --cacert}); null for the JVM's default CAs. */
    private final javax.net.ssl.SSLContext tls;

    ApiClient(List<String> servers, Duration timeout) {
        this(servers, timeout, null);
    }

    ApiClient(List<String> servers, Duration timeout, String token) {
        this(servers, timeout, token, null);
    }

    ApiClient(List<String> servers, Duration timeout, String token, javax.net.ssl.SSLContext tls) {
        this.servers = List.copyOf(servers);
        this.timeout = timeout;
        this.token = token;
        this.tls = tls;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout);
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
    }

    /** The same servers, token and trust, with another timeout. */
    ApiClient withTimeout(Duration newTimeout) {
        return new ApiClient(servers, newTimeout, token, tls);
    }

    /**
     * A TLS context that trusts exactly the certificates in {@code caFile} (PEM).
     *
     * @throws IllegalArgumentException (usage) naming the file and what is wrong with it
     */
    static javax.net.ssl.SSLContext trusting(java.nio.file.Path caFile, String from) {
        List<java.security.cert.X509Certificate> certificates;
        try {
            certificates = io.fedsync.mirror.EtcdTls.readCertificates(caFile);
        } catch (io.fedsync.mirror.EtcdTlsException e) {
            throw new IllegalArgumentException(from + ": " + e.problems().get(0).message());
        }
        return io.fedsync.daemon.http.TrustedCas.context(certificates, from + ": cannot trust the certificates in "
                + caFile);
    }

    Answer get(String path) throws NoAnswer {
        return send("GET", path);
    }

    Answer post(String path) throws NoAnswer {
        return send("POST", path);
    }

    private Answer send(String method, String path) throws NoAnswer {
        return send(method, path, null, false);
    }

    /**
     * A change only a member of the group carries out: a replica that answers 503 (not a member,
     * no leader) did nothing, so the next one is asked; the last answer is returned.
     *
     * @param json the request body, or null
     */
    Answer change(String method, String path, String json) throws NoAnswer {
        return send(method, path, json, true);
    }

    private Answer send(String method, String path, String json, boolean nextOn503) throws NoAnswer {
        List<String> failures = new ArrayList<>();
        Answer unavailable = null;
        for (String server : servers) {
            String base = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                        .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(json));
                if (json != null) {
                    request.header("content-type", "application/json");
                }
                if (token != null && !method.equals("GET")) {
                    request.header("authorization", "Bearer " + token);
                }
                HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                JsonNode body = null;
                try {
                    body = Json.MAPPER.readTree(r.body());
                } catch (IOException e) {
                    // not JSON: keep the text
                }
                Answer answer = new Answer(base, r.statusCode(), body, r.body());
                if (nextOn503 && r.statusCode() == 503) {
                    unavailable = answer;
                    continue;
                }
                return answer;
            } catch (HttpTimeoutException e) {
                failures.add(base + ": no answer within " + timeout.toSeconds() + " s");
            } catch (ConnectException e) {
                failures.add(base + ": connection refused");
            } catch (javax.net.ssl.SSLException e) {
                failures.add(base + ": TLS failed (" + (e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getMessage().lines().findFirst().orElse("")) + "); give the CA that signed fedsyncd's"
                        + " certificate with --cacert FILE or $FEDSYNC_CACERT");
            } catch (IOException e) {
                String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                failures.add(base + ": " + why + (base.startsWith("http://")
                        ? " (if fedsyncd serves HTTPS, http.tls, use an https:// URL)" : ""));
            } catch (IllegalArgumentException e) {
                failures.add(base + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NoAnswer("interrupted");
            }
        }
        if (unavailable != null) {
            return unavailable;
        }
        throw new NoAnswer("no fedsyncd answered: " + String.join("; ", failures));
    }
}
