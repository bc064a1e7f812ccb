package io.fedsync.daemon.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The operators' web page at {@code /}: plain HTML, CSS and JavaScript from the daemon jar's
 * {@code webroot/}, read once at start and served from memory. Only the files named here are
 * served, each at its own route ({@code /}, {@code /index.html}, {@code /app.js}, {@code /app.css},
 * {@code /favicon.svg}), so no path reaches the file system or the class path and any other path is the API's JSON 404.
 * The page calls the JSON API from the browser; nothing is loaded from elsewhere (it works offline).
 *
 * <p>Every file goes out with a Content-Security-Policy that allows only this origin's scripts,
 * styles and API calls (no inline script, no frames, no forms posting elsewhere),
 * {@code X-Content-Type-Options: nosniff}, and {@code Cache-Control: no-cache} with an ETag: a
 * browser revalidates on every load, so a new fedsyncd's page is never mixed with an old one's script.
 */
final class WebPage {

    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
            + " img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static final String ROOT = "webroot/";

    /** A file of the page: its bytes, content type and ETag. */
    record File(byte[] bytes, String contentType, String etag) {
    }

    private final Map<String, File> files;

    private WebPage(Map<String, File> files) {
        this.files = files;
    }

    /**
     * Reads the page's files from the class path.
     *
     * @throws IllegalStateException when one is missing from the jar (a broken build)
     */
    static WebPage load() {
        Map<String, File> files = new LinkedHashMap<>();
        File index = read("index.html", "text/html; charset=utf-8");
        files.put("/", index);
        files.put("/index.html", index);
        files.put("/app.js", read("app.js", "text/javascript; charset=utf-8"));
        files.put("/app.css", read("app.css", "text/css; charset=utf-8"));
        files.put("/favicon.svg", read("favicon.svg", "image/svg+xml"));
        return new WebPage(files);
    }

    private static File read(String name, String contentType) {
        try (InputStream in = WebPage.class.getClassLoader().getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new IllegalStateException("web page: " + ROOT + name + " is missing from fedsyncd's jar");
            }
            byte[] bytes = in.readAllBytes();
            return new File(bytes, contentType,
                    "\"" + Integer.toHexString(java.util.Arrays.hashCode(bytes)) + "-" + bytes.length + "\"");
        } catch (IOException e) {
            throw new UncheckedIOException("web page: cannot read " + ROOT + name + " from fedsyncd's jar", e);
        }
    }

    /** Adds a GET route per file; answered on the event loop (the bytes are in memory). */
    void mount(Router router) {
        files.forEach((path, file) -> router.get(path).handler(ctx -> serve(ctx, file)));
    }

    private static void serve(RoutingContext ctx, File file) {
        ctx.response()
                .putHeader("content-security-policy", CONTENT_SECURITY_POLICY)
                .putHeader("x-content-type-options", "nosniff")
                .putHeader("x-frame-options", "DENY")
                .putHeader("referrer-policy", "no-referrer")
                .putHeader("cache-control", "no-cache")
                .putHeader("etag", file.etag());
        String ifNoneMatch = ctx.request().getHeader("if-none-match");
        if (ifNoneMatch != null && ifNoneMatch.contains(file.etag())) {
            ctx.response().setStatusCode(304).end();
            return;
        }
        ctx.response().setStatusCode(200).putHeader("content-type", file.contentType()).end(Buffer.buffer(file.bytes()));
    }
}
