package io.fedsync.federation;

/**
 * A Kubernetes API call that did not succeed, with what the operator needs: the cluster, what was
 * asked, the HTTP status (0 when the API server did not answer) and its reason. Never a token or a
 * secret: messages are built from the request and the server's Status, not from the kubeconfig.
 */
public final class KubeAccessException extends Exception {

    private final int code;

    public KubeAccessException(String message, int code, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public KubeAccessException(String message, int code) {
        this(message, code, null);
    }

    /** The HTTP status; 0 when the API server could not be reached or did not answer. */
    public int code() {
        return code;
    }

    public boolean unreachable() {
        return code == 0;
    }

    /**
     * The cluster cannot serve now: it did not answer, or answered a server error (a 504 when its
     * etcd does not answer, a 503 while it starts). Retried later; not a refusal of the request.
     */
    public boolean unavailable() {
        return code == 0 || code >= 500;
    }

    /**
     * The API server refused the request for what it carries or who sends it: a 4xx other than 401
     * (the credentials), 404 and 409 (the object is not as read), 408 and 429 (busy: later). An
     * admission webhook's denial, a validation error, RBAC. Retried, and reported per object.
     */
    public boolean refused() {
        return code >= 400 && code < 500 && code != 401 && code != 404 && code != 408 && code != 409 && code != 429;
    }

    public boolean conflict() {
        return code == 409;
    }

    public boolean notFound() {
        return code == 404;
    }
}
