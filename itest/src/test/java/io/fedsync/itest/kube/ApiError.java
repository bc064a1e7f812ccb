package io.fedsync.itest.kube;

import java.util.LinkedHashMap;
import java.util.Map;

/** A failed request, answered as a Kubernetes {@code Status} with this code and reason. */
final class ApiError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final int code;
    final String reason;
    final transient Map<String, Object> details;

    ApiError(int code, String reason, String message, Map<String, Object> details) {
        super(message);
        this.code = code;
        this.reason = reason;
        this.details = details;
    }

    static ApiError notFound(KubeResource resource, String name) {
        return new ApiError(404, "NotFound", resource.qualifiedName() + " \"" + name + "\" not found",
                details(resource, name));
    }

    static ApiError pathNotFound() {
        return new ApiError(404, "NotFound", "the server could not find the requested resource", null);
    }

    static ApiError alreadyExists(KubeResource resource, String name) {
        return new ApiError(409, "AlreadyExists", resource.qualifiedName() + " \"" + name + "\" already exists",
                details(resource, name));
    }

    /** kube-apiserver's optimistic-concurrency refusal, word for word. */
    static ApiError modified(KubeResource resource, String name) {
        return new ApiError(409, "Conflict", "Operation cannot be fulfilled on " + resource.qualifiedName() + " \""
                + name + "\": the object has been modified; please apply your changes to the latest version and try again",
                details(resource, name));
    }

    static ApiError conflict(KubeResource resource, String name, String why) {
        return new ApiError(409, "Conflict", "Operation cannot be fulfilled on " + resource.qualifiedName() + " \""
                + name + "\": " + why, details(resource, name));
    }

    static ApiError badRequest(String message) {
        return new ApiError(400, "BadRequest", message, null);
    }

    static ApiError invalid(KubeResource resource, String name, String message) {
        return new ApiError(422, "Invalid", resource.kind() + "." + resource.group() + " \"" + name + "\" is invalid: "
                + message, details(resource, name));
    }

    static ApiError methodNotAllowed(String method) {
        return new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource ("
                + method + ")", null);
    }

    static ApiError unsupportedMediaType(String type) {
        return new ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted "
                + "media types include: application/json-patch+json, application/merge-patch+json (got " + type + ")",
                null);
    }

    static ApiError expired(String message) {
        return new ApiError(410, "Expired", message, null);
    }

    static ApiError timeout(String message) {
        return new ApiError(504, "Timeout", message, null);
    }

    static ApiError internal(String message) {
        return new ApiError(500, "InternalError", message, null);
    }

    /** The Status object (kind Status, apiVersion v1). */
    Map<String, Object> status() {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("kind", "Status");
        status.put("apiVersion", "v1");
        status.put("metadata", new LinkedHashMap<>());
        status.put("status", "Failure");
        status.put("message", getMessage());
        status.put("reason", reason);
        if (details != null) {
            status.put("details", details);
        }
        status.put("code", code);
        return status;
    }

    private static Map<String, Object> details(KubeResource resource, String name) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("name", name);
        if (!resource.core()) {
            details.put("group", resource.group());
        }
        details.put("kind", resource.plural());
        return details;
    }
}
