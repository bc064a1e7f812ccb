package io.fedsync.daemon.http;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What each endpoint of the API accepts before its handler runs: its methods (another is 405 with
 * {@code Allow}), its query parameters (an unknown one is 400: a typo must not be ignored) and its
 * body (a body where none is taken is 413, one that is not {@code application/json} is 415).
 * Paths not listed here (another route's) are not checked.
 */
final class RequestRules {

    /** A request refused before its handler: status, message and, for 405, the methods allowed. */
    record Refusal(int status, String message, String allow) {
    }

    /** What an endpoint takes as a body. */
    enum Body { NONE, JSON }

    /**
     * @param query the query parameters taken; null when the handler checks them itself
     *              ({@link ConflictFilter} names every known one in its message)
     */
    private record Endpoint(Pattern path, List<String> methods, Set<String> query) {
        Endpoint(String regex, List<String> methods, Set<String> query) {
            this(Pattern.compile(regex), methods, query);
        }
    }

    private static final List<Endpoint> ENDPOINTS = List.of(
            new Endpoint("/healthz", List.of("GET"), Set.of()),
            new Endpoint("/readyz", List.of("GET"), Set.of()),
            new Endpoint("/metrics", List.of("GET"), Set.of()),
            new Endpoint("/api/v1/status", List.of("GET"), Set.of()),
            new Endpoint("/api/v1/conflicts", List.of("GET"), null),
            new Endpoint("/api/v1/conflicts/[^/]+", List.of("GET"), Set.of()),
            new Endpoint("/api/v1/conflicts/[^/]+/resolve", List.of("POST"), Set.of()),
            new Endpoint("/api/v1/keys/.*", List.of("GET"), Set.of()),
            new Endpoint("/api/v1/verify", List.of("POST"), Set.of()),
            new Endpoint("/api/v1/peers", List.of("GET", "POST"), Set.of()),
            new Endpoint("/api/v1/peers/[^/]+", List.of("DELETE"), Set.of()),
            new Endpoint("/api/v1/clusters", List.of("GET", "POST"), Set.of()),
            new Endpoint("/api/v1/clusters/[^/]+", List.of("DELETE"), Set.of()),
            new Endpoint("/api/v1/clusters/[^/]+/jwt", List.of("GET"), Set.of()));

    private RequestRules() {
    }

    /**
     * The method and the query of a request to {@code path}; empty when they are fine or the path
     * is none of the API's.
     */
    static Optional<Refusal> check(String method, String path, Set<String> queryNames) {
        if (path == null) {
            return Optional.empty();
        }
        for (Endpoint e : ENDPOINTS) {
            if (!e.path().matcher(path).matches()) {
                continue;
            }
            String allow = String.join(", ", e.methods());
            if (!e.methods().contains(method)) {
                return Optional.of(new Refusal(405, "method " + method + " is not allowed on " + cut(path)
                        + " (allowed: " + allow + ")", allow));
            }
            if (e.query() != null) {
                for (String name : queryNames) {
                    if (!e.query().contains(name)) {
                        return Optional.of(new Refusal(400, "unknown query parameter '" + cut(name) + "': " + method
                                + " " + cut(path) + " takes " + (e.query().isEmpty() ? "none"
                                : String.join(", ", e.query())), null));
                    }
                }
            }
            return Optional.empty();
        }
        return Optional.empty();
    }

    /**
     * The body of a call, from its headers (before it is read).
     *
     * @param contentLength    the {@code Content-Length} header, or null
     * @param transferEncoding the {@code Transfer-Encoding} header, or null (chunked: a body of unknown length)
     */
    static Optional<Refusal> body(Body takes, String method, String path, String contentType, String contentLength,
                                  String transferEncoding) {
        long length;
        try {
            length = contentLength == null ? 0 : Long.parseLong(contentLength.strip());
        } catch (NumberFormatException e) {
            return Optional.of(new Refusal(400, "the Content-Length header is not a number", null));
        }
        boolean hasBody = length > 0 || transferEncoding != null;
        if (!hasBody) {
            return Optional.empty();
        }
        if (takes == Body.NONE) {
            return Optional.of(new Refusal(413, method + " " + cut(path) + " takes no body"
                    + (length > 0 ? " (got " + length + " bytes)" : ""), null));
        }
        if (!isJson(contentType)) {
            return Optional.of(new Refusal(415, "the body must be JSON sent with 'Content-Type: application/json'"
                    + (contentType == null || contentType.isBlank() ? " (no Content-Type was sent; curl: -H"
                    + " 'Content-Type: application/json')" : ", not '" + cut(contentType) + "'"), null));
        }
        return Optional.empty();
    }

    /** {@code application/json}, with parameters (e.g. a charset) or not, in any case. */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String mediaType = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return mediaType.equals("application/json");
    }

    private static String cut(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "…";
    }
}
