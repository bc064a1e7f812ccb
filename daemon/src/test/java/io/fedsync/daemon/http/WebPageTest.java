package io.fedsync.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The web page's routes in a real {@link ApiServer}: the files, their headers, and nothing else. */
@DisplayName("GET / and the web page's files, served from fedsyncd's jar")
class WebPageTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static ApiServer server;

    @BeforeAll
    static void start() {
        server = ApiServer.start(new FakeMirrorService(), new ListenAddress("127.0.0.1", 0));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private record Raw(int status, Map<String, String> headers, String body) {
    }

    /** Sent as bytes, so that no client normalises the path first. */
    private static Raw raw(String method, String target) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int headEnd = response.indexOf("\r\n\r\n");
            assertThat(headEnd).as("a complete response: %s", response).isPositive();
            String[] lines = response.substring(0, headEnd).split("\r\n");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
            }
            return new Raw(Integer.parseInt(lines[0].split(" ")[1]), headers, response.substring(headEnd + 4));
        }
    }

    private static void assertSecurityHeaders(HttpResponse<String> r) {
        assertThat(r.headers().firstValue("content-security-policy")).hasValue(WebPage.CONTENT_SECURITY_POLICY);
        assertThat(WebPage.CONTENT_SECURITY_POLICY).contains("default-src 'none'", "script-src 'self'",
                "connect-src 'self'", "frame-ancestors 'none'").doesNotContain("unsafe", "*", "http");
        assertThat(r.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(r.headers().firstValue("x-frame-options")).hasValue("DENY");
        assertThat(r.headers().firstValue("cache-control")).hasValue("no-cache");
        assertThat(r.headers().firstValue("etag")).isPresent();
    }

    @Test
    @DisplayName("GET / is the page: HTML with its CSP, nosniff, no-cache; its script and style named, nothing external")
    void rootIsThePage() throws Exception {
        HttpResponse<String> r = get("/");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertSecurityHeaders(r);
        assertThat(r.body()).startsWith("<!doctype html>").contains("<html lang=\"en\">",
                "<script src=\"app.js\" defer></script>", "<link rel=\"stylesheet\" href=\"app.css\">",
                "id=\"conflicts\"", "id=\"clusters\"", "id=\"token-dialog\"");
        HttpResponse<String> index = get("/index.html");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.body()).isEqualTo(r.body());
    }

    @Test
    @DisplayName("/app.js, /app.css and /favicon.svg are served with their types and the same headers; no external URL, no innerHTML")
    void scriptAndStyle() throws Exception {
        HttpResponse<String> js = get("/app.js");
        HttpResponse<String> css = get("/app.css");

        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.headers().firstValue("content-type")).hasValue("text/javascript; charset=utf-8");
        assertSecurityHeaders(js);
        assertThat(js.body()).contains("/api/v1/conflicts", "/api/v1/status", "sessionStorage", "Bearer ")
                .doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                        "localStorage");
        assertThat(css.statusCode()).isEqualTo(200);
        assertThat(css.headers().firstValue("content-type")).hasValue("text/css; charset=utf-8");
        assertSecurityHeaders(css);
        HttpResponse<String> icon = get("/favicon.svg");
        assertThat(icon.statusCode()).isEqualTo(200);
        assertThat(icon.headers().firstValue("content-type")).hasValue("image/svg+xml");
        assertSecurityHeaders(icon);
        assertThat(icon.body()).startsWith("<svg").doesNotContain("<script", "href");
        for (String text : new String[] {get("/").body(), js.body(), css.body()}) {
            assertThat(text).as("loads nothing from elsewhere (works offline)")
                    .doesNotContain("http://", "https://", "//cdn", "@import");
        }
    }

    @Test
    @DisplayName("If-None-Match with the ETag: 304, so a browser revalidates cheaply and never keeps a stale script")
    void revalidates() throws Exception {
        String etag = get("/app.js").headers().firstValue("etag").orElseThrow();

        HttpResponse<String> again = get("/app.js", "If-None-Match", etag);

        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(get("/app.js", "If-None-Match", "\"other\"").statusCode()).isEqualTo(200);
    }

    @Test
    @DisplayName("path traversal and unknown files: JSON 404 (or 400), never a file's content")
    void nothingElseIsServed() throws Exception {
        for (String target : new String[] {"/../pom.xml", "/../../../../etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
                "/%2e%2e/%2e%2e/etc/passwd", "/webroot/app.js", "/logback.xml", "/app.js/../../etc/passwd",
                "/io/fedsync/daemon/http/WebPage.class", "/nothing.js", "/index.htm", "/app.js%00.html"}) {
            Raw r = raw("GET", target);
            assertThat(r.status()).as(target + " → " + r.body()).isIn(400, 404);
            assertThat(r.headers().get("content-type")).as(target).startsWith("application/json");
            assertThat(r.body()).as(target).startsWith("{\"error\":").doesNotContain("root:", "<configuration",
                    "<project");
        }
        Raw unknown = raw("GET", "/nothing.js");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body()).isEqualTo("{\"error\":\"no such endpoint: GET /nothing.js\"}");
    }

    @Test
    @DisplayName("POST / is 405 in JSON, like any other endpoint")
    void onlyGet() throws Exception {
        Raw r = raw("POST", "/");

        assertThat(r.status()).isEqualTo(405);
        assertThat(r.body()).contains("\"error\"");
    }
}
