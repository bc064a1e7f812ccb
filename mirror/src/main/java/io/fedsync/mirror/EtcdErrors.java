package io.fedsync.mirror;

import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.lang.reflect.InvocationTargetException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.PKIXReason;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Turns what jetcd, gRPC, netty and the JDK throw into one line an operator can act on:
 * "etcd unavailable: connection refused (127.0.0.1:2379)", "TLS handshake failed: etcd's
 * certificate is not signed by a CA in caFile (…)", "etcd refused the request: etcdserver:
 * request is too large". Wrappers (ExecutionException, CompletionException, jetcd's
 * EtcdException) are looked through; the most telling cause wins.
 */
public final class EtcdErrors {

    private static final int MAX_LENGTH = 500;

    private EtcdErrors() {
    }

    /** One line, never empty, without a stack trace. */
    public static String describe(Throwable failure) {
        if (failure == null) {
            return "unknown error";
        }
        Throwable t = unwrap(failure);
        EtcdTlsException files = find(t, EtcdTlsException.class);
        if (files != null) {
            // Ours, already one line per file; never cut.
            return files.getMessage();
        }
        String line = tls(t);
        if (line == null) {
            line = network(t);
        }
        if (line == null) {
            line = grpc(t);
        }
        if (line == null) {
            line = other(t);
        }
        line = TlsFiles.oneLine(line);
        return line.length() <= MAX_LENGTH ? line : line.substring(0, MAX_LENGTH - 1) + "…";
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof ExecutionException || c instanceof CompletionException
                || c instanceof InvocationTargetException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static String tls(Throwable t) {
        SSLException ssl = find(t, SSLException.class);
        if (ssl == null) {
            return null;
        }
        CertificateExpiredException expired = find(ssl, CertificateExpiredException.class);
        if (expired != null) {
            return "TLS handshake failed: a certificate has expired (" + message(expired) + ")";
        }
        CertificateNotYetValidException early = find(ssl, CertificateNotYetValidException.class);
        if (early != null) {
            return "TLS handshake failed: a certificate is not valid yet (" + message(early) + "; is the clock right?)";
        }
        String m = deepestMessage(ssl);
        CertPathValidatorException path = find(ssl, CertPathValidatorException.class);
        if (m.contains("unable to find valid certification path") || m.contains("does not chain with any of the trust")
                || path != null && path.getReason() == PKIXReason.NO_TRUST_ANCHOR) {
            return "TLS handshake failed: etcd's certificate is not signed by a CA in caFile (" + m + ")";
        }
        if (m.contains("No subject alternative") || m.contains("No name matching")) {
            return "TLS handshake failed: name mismatch: " + m;
        }
        if (m.contains("Received fatal alert: bad_certificate") || m.contains("Received fatal alert: unknown_ca")
                || m.contains("Received fatal alert: certificate_unknown")) {
            return "TLS handshake failed: etcd rejected the client certificate (" + m + ")";
        }
        if (m.contains("certificate_required")) {
            return "TLS handshake failed: etcd requires a client certificate (set certFile and keyFile)";
        }
        if (m.contains("Unsupported or unrecognized SSL message") || m.contains("not an SSL/TLS record")) {
            return "TLS handshake failed: etcd does not speak TLS on this port (" + m + ")";
        }
        return "TLS handshake failed: " + m;
    }

    private static String network(Throwable t) {
        ConnectException refused = find(t, ConnectException.class);
        if (refused != null) {
            return "cannot connect to etcd: " + lowerFirst(message(refused));
        }
        NoRouteToHostException noRoute = find(t, NoRouteToHostException.class);
        if (noRoute != null) {
            return "cannot connect to etcd: no route to host (" + message(noRoute) + ")";
        }
        UnknownHostException unknown = find(t, UnknownHostException.class);
        if (unknown != null) {
            return "cannot resolve etcd's host name " + message(unknown);
        }
        SocketTimeoutException socketTimeout = find(t, SocketTimeoutException.class);
        if (socketTimeout != null) {
            return "etcd did not answer in time (" + message(socketTimeout) + ")";
        }
        return null;
    }

    private static String grpc(Throwable t) {
        Status status = null;
        for (Throwable c = t; c != null && status == null; c = c.getCause()) {
            if (c instanceof StatusRuntimeException s) {
                status = s.getStatus();
            } else if (c instanceof StatusException s) {
                status = s.getStatus();
            }
        }
        if (status == null) {
            EtcdException etcd = find(t, EtcdException.class);
            if (etcd == null) {
                return null;
            }
            if (etcd instanceof CompactedException) {
                return "etcd has compacted the requested revision (" + message(etcd) + ")";
            }
            Status.Code code;
            try {
                code = Status.Code.valueOf(etcd.getErrorCode().name());
            } catch (IllegalArgumentException e) {
                code = Status.Code.UNKNOWN;
            }
            status = Status.fromCode(code).withDescription(etcd.getMessage()).withCause(etcd.getCause());
        }
        String description = status.getDescription() == null ? "" : status.getDescription();
        String cause = status.getCause() == null ? "" : " (" + deepestMessage(status.getCause()) + ")";
        return switch (status.getCode()) {
            case UNAVAILABLE -> "etcd unavailable" + (description.isEmpty() ? "" : ": " + description) + cause;
            case DEADLINE_EXCEEDED -> "etcd did not answer before the deadline" + (description.isEmpty() ? ""
                    : " (" + description + ")");
            case UNAUTHENTICATED -> "etcd refused fedsync's credentials: " + description + cause;
            case PERMISSION_DENIED -> "etcd denied permission: " + description + cause;
            case RESOURCE_EXHAUSTED -> "etcd refused the request as too large or over quota: " + description + cause;
            case OUT_OF_RANGE -> description.contains("compacted")
                    ? "etcd has compacted the requested revision (" + description + ")"
                    : "etcd refused the request (OUT_OF_RANGE): " + description;
            case CANCELLED -> "the request to etcd was cancelled" + (description.isEmpty() ? "" : ": " + description);
            default -> "etcd error " + status.getCode() + (description.isEmpty() ? "" : ": " + description) + cause;
        };
    }

    private static String other(Throwable t) {
        if (t instanceof TimeoutException) {
            return t.getMessage() == null ? "timed out" : t.getMessage();
        }
        if (t instanceof ClosedChannelException) {
            return "the connection to etcd was closed";
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** The message of the innermost cause that has one (where the real reason usually is). */
    private static String deepestMessage(Throwable t) {
        String best = message(t);
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                best = c.getMessage();
            }
        }
        return best;
    }

    static String lowerFirst(String s) {
        if (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isLowerCase(s.charAt(1))) {
            return Character.toLowerCase(s.charAt(0)) + s.substring(1);
        }
        return s;
    }
}
