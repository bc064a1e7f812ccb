package io.fedsync.daemon.http;

import io.fedsync.daemon.config.ListenAddress;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * Who may make calls that change something ({@code POST /api/v1/verify}, {@code POST} and
 * {@code DELETE /api/v1/peers}, {@code POST /api/v1/conflicts/{id}/resolve}); reads stay open.
 * <ul>
 * <li>With {@code http.tokenFile}: only calls with {@code Authorization: Bearer <token>}; none or
 * another scheme is 401, a wrong token 403.</li>
 * <li>Without it, while {@code http.listen} is a loopback address: every call (only this host
 * reaches the API).</li>
 * <li>Without it on any other address: none, 403 saying to set {@code http.tokenFile}.</li>
 * </ul>
 * Messages never contain what was presented.
 */
public final class ApiAuth {

    /** A refused call: its status (401 or 403) and why. */
    public record Refusal(int status, String message) {
    }

    private final ApiToken token;
    private final boolean loopback;
    private final ListenAddress listen;

    private ApiAuth(ApiToken token, ListenAddress listen) {
        this.token = token;
        this.listen = listen;
        this.loopback = isLoopback(listen.host());
    }

    /** @param token null without {@code http.tokenFile} */
    public static ApiAuth of(ApiToken token, ListenAddress listen) {
        return new ApiAuth(token, listen);
    }

    static boolean isLoopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!h.matches("[0-9.]+") && !h.contains(":")) {
            return false; // a name: do not trust what it resolves to
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** The line fedsyncd logs at start about mutating calls. */
    public String describe() {
        if (token != null) {
            return "HTTP API: calls that change something need 'Authorization: Bearer <token>' with the token in "
                    + "http.tokenFile " + token.file();
        }
        if (loopback) {
            return "HTTP API: no http.tokenFile, so calls that change something (verify, peers, resolve) are accepted"
                    + " without a token, as http.listen " + listen + " is a loopback address (only this host reaches it)";
        }
        return "HTTP API: no http.tokenFile and http.listen " + listen + " is not a loopback address, so calls that"
                + " change something (verify, peers, resolve) are refused (403); set http.tokenFile to allow them";
    }

    /** Whether a call with this {@code Authorization} header (or null) may change something. */
    public Optional<Refusal> check(String authorization) {
        if (token == null) {
            return loopback ? Optional.empty() : Optional.of(new Refusal(403, "this call changes something and"
                    + " fedsyncd listens on " + listen + ", not a loopback address, without http.tokenFile:"
                    + " set http.tokenFile in its config to allow such calls with a bearer token"));
        }
        if (authorization == null || authorization.isBlank()) {
            return Optional.of(new Refusal(401, "this call changes something: send 'Authorization: Bearer <token>'"
                    + " with the token in fedsyncd's http.tokenFile (fedsyncctl: --token-file FILE)"));
        }
        String a = authorization.strip();
        if (a.length() < 7 || !a.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return Optional.of(new Refusal(401, "the Authorization header must be 'Bearer <token>'"));
        }
        if (!token.matches(a.substring(7).strip())) {
            return Optional.of(new Refusal(403, "the bearer token is not the one in fedsyncd's http.tokenFile"));
        }
        return Optional.empty();
    }
}
