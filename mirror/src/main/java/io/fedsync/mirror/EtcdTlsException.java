package io.fedsync.mirror;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;

/**
 * A cluster's TLS files cannot be used. Each {@link Problem} names the setting ({@code caFile},
 * {@code certFile}, {@code keyFile}), the file and what is wrong with it, so the config check can
 * report it under the key the operator wrote. Messages name files, never their content: no key
 * material ever ends up in a message.
 */
public final class EtcdTlsException extends SSLException {

    private static final long serialVersionUID = 1L;

    /** Which setting of {@code clusters[i].etcd} a problem is about. */
    public enum File {
        CA_FILE("caFile"),
        CERT_FILE("certFile"),
        KEY_FILE("keyFile");

        private final String key;

        File(String key) {
            this.key = key;
        }

        /** The config key under {@code clusters[i].etcd}, e.g. {@code keyFile}. */
        public String key() {
            return key;
        }
    }

    /**
     * @param message starts with the file's path and says what is wrong, e.g.
     *                "/etc/kubernetes/pki/etcd/ca.crt holds no certificate"
     */
    public record Problem(File file, Path path, String message) {
        public Problem {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(message, "message");
        }

        @Override
        public String toString() {
            return file.key() + " " + message;
        }
    }

    private final transient List<Problem> problems;

    public EtcdTlsException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("; ")));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an EtcdTlsException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    public EtcdTlsException(Problem problem) {
        this(List.of(problem));
    }

    /** Every problem found, in caFile, certFile, keyFile order. */
    public List<Problem> problems() {
        return problems == null ? List.of() : problems;
    }
}
