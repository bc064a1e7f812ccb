package io.fedsync.mirror;

import io.fedsync.mirror.EtcdTlsException.File;
import io.fedsync.mirror.EtcdTlsException.Problem;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * TLS towards one cluster's etcd: reads {@code caFile}, {@code certFile} and {@code keyFile}
 * with the JDK alone, checks that they go together, builds the {@link SslContext} jetcd uses,
 * and explains a failing handshake in one line.
 *
 * <p>Private keys are read in the forms kubeadm and openssl write: PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}, kubeadm's {@code apiserver-etcd-client.key}), SEC1
 * ({@code BEGIN EC PRIVATE KEY}) and PKCS#8 ({@code BEGIN PRIVATE KEY}). Encrypted keys are
 * refused with a message saying so. Messages name files, never quote them.
 */
public final class EtcdTls {

    /** What a key file may be, for messages and docs. */
    public static final String ACCEPTED_KEY_FORMS = TlsFiles.ACCEPTED_KEY_FORMS;

    private EtcdTls() {
    }

    /**
     * The trusted CA certificates, and the client key with its certificate chain (both null
     * without client certificates).
     */
    public record Material(List<X509Certificate> trusted, PrivateKey key, List<X509Certificate> chain) {
        public Material {
            trusted = List.copyOf(trusted);
            chain = chain == null ? null : List.copyOf(chain);
        }

        /** The client certificate, or null. */
        public X509Certificate clientCertificate() {
            return chain == null || chain.isEmpty() ? null : chain.get(0);
        }

        @Override
        public String toString() {
            // Never print the key.
            return "Material[trusted=" + trusted.size() + " certificate(s), client certificate="
                    + (clientCertificate() == null ? "none" : clientCertificate().getSubjectX500Principal()) + "]";
        }
    }

    /**
     * Reads every TLS file of {@code endpoint} and checks that the key belongs to the client
     * certificate: what the config check calls, so that anything that would fail at start fails
     * there, naming the file.
     *
     * @throws EtcdTlsException listing every problem found (one per file at most, plus a mismatch)
     */
    public static void check(ClusterEndpoint endpoint) throws EtcdTlsException {
        load(endpoint);
    }

    /**
     * Everything {@link #check} reads, for building TLS contexts.
     *
     * @throws EtcdTlsException as {@link #check}
     * @throws IllegalArgumentException if {@code endpoint} does not use TLS
     */
    public static Material load(ClusterEndpoint endpoint) throws EtcdTlsException {
        Objects.requireNonNull(endpoint, "endpoint");
        if (!endpoint.tls()) {
            throw new IllegalArgumentException("cluster " + endpoint.name() + " does not use TLS (no caFile)");
        }
        List<Problem> problems = new ArrayList<>();
        List<X509Certificate> trusted = null;
        List<X509Certificate> chain = null;
        PrivateKey key = null;
        try {
            trusted = TlsFiles.certificates(File.CA_FILE, endpoint.caFile());
        } catch (TlsFiles.FileProblem p) {
            problems.add(p.problem());
        }
        if (endpoint.certFile() != null) {
            try {
                chain = TlsFiles.certificates(File.CERT_FILE, endpoint.certFile());
            } catch (TlsFiles.FileProblem p) {
                problems.add(p.problem());
            }
            try {
                key = TlsFiles.privateKey(endpoint.keyFile());
            } catch (TlsFiles.FileProblem p) {
                problems.add(p.problem());
            }
            if (chain != null && key != null) {
                X509Certificate leaf = chain.get(0);
                Optional<String> mismatch = TlsFiles.mismatch(key, leaf);
                if (mismatch.isPresent()) {
                    problems.add(new Problem(File.KEY_FILE, endpoint.keyFile(), endpoint.keyFile()
                            + " is not the key of certFile " + endpoint.certFile() + " ('"
                            + leaf.getSubjectX500Principal().getName() + "'): " + mismatch.get()));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new EtcdTlsException(problems);
        }
        return new Material(trusted, key, chain);
    }

    /**
     * The client TLS context jetcd needs ({@code ClientBuilder.sslContext(SslContext)}): trusts
     * exactly the certificates in {@code caFile} and presents the client certificate when there
     * is one.
     *
     * @throws EtcdTlsException when a file cannot be used (see {@link #check})
     */
    public static SslContext sslContext(ClusterEndpoint endpoint) throws EtcdTlsException {
        Material m = load(endpoint);
        try {
            SslContextBuilder b = GrpcSslContexts.forClient().trustManager(m.trusted().toArray(X509Certificate[]::new));
            if (m.key() != null) {
                b.keyManager(m.key(), m.chain().toArray(X509Certificate[]::new));
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            List<Problem> problems = new ArrayList<>();
            problems.add(new Problem(File.CA_FILE, endpoint.caFile(), "cannot build a TLS context from "
                    + endpoint.caFile() + (endpoint.certFile() == null ? ""
                    : ", " + endpoint.certFile() + ", " + endpoint.keyFile()) + ": " + TlsFiles.oneLine(e.getMessage())));
            throw new EtcdTlsException(problems);
        }
    }

    /**
     * Why a TLS connection to {@code endpoint}'s first etcd fails, found by a real handshake
     * with the same CA, certificate and key as the mirror: e.g. "TLS handshake with
     * 127.0.0.1:2379 failed: etcd's certificate is signed by an unknown authority (caFile
     * /etc/kubernetes/pki/etcd/ca.crt did not sign 'CN=etcd'; its issuer is 'CN=other-ca')",
     * "… name mismatch: etcd's certificate is for [localhost, 10.0.0.1] not 127.0.0.1",
     * "… etcd's certificate 'CN=etcd' expired on 2024-01-01T00:00:00Z", or that etcd rejected
     * the client certificate. When etcd cannot be reached at all, that is the answer ("cannot
     * connect to 127.0.0.1:2379: connection refused").
     *
     * <p>Blocks for up to about twice {@code timeout}; call it off any event loop, and only when a
     * TLS cluster does not answer (not on every failed request).
     *
     * @return empty when the handshake succeeds (TLS is not the problem) or the cluster does not
     *         use TLS
     */
    public static Optional<String> diagnose(ClusterEndpoint endpoint, Duration timeout) {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(timeout, "timeout");
        if (!endpoint.tls()) {
            return Optional.empty();
        }
        Material material;
        try {
            material = load(endpoint);
        } catch (EtcdTlsException e) {
            return Optional.of("cannot use the TLS files: " + e.getMessage());
        }
        return TlsDiagnosis.run(endpoint, material, timeout);
    }

    /**
     * One line saying why requests to {@code endpoint} failed with {@code failure}: for a TLS
     * cluster, the handshake diagnosis when it finds something ({@link #diagnose}), else
     * {@link EtcdErrors#describe(Throwable)}. Meant for a cluster's {@code error} in the status
     * and its "down" log line; blocks like {@link #diagnose} for TLS clusters.
     */
    public static String explain(ClusterEndpoint endpoint, Throwable failure, Duration timeout) {
        String described = EtcdErrors.describe(failure);
        if (!endpoint.tls()) {
            return described;
        }
        return diagnose(endpoint, timeout).orElse(described);
    }

    /**
     * A certificate chain and its private key (e.g. a server's), read and checked to belong
     * together as {@link #check} does for a client certificate; {@code trusted} is empty.
     *
     * @throws EtcdTlsException naming the file ({@code certFile} or {@code keyFile}) and what is wrong
     */
    public static Material keyPair(Path certFile, Path keyFile) throws EtcdTlsException {
        List<Problem> problems = new ArrayList<>();
        List<X509Certificate> chain = null;
        PrivateKey key = null;
        try {
            chain = TlsFiles.certificates(File.CERT_FILE, certFile);
        } catch (TlsFiles.FileProblem p) {
            problems.add(p.problem());
        }
        try {
            key = TlsFiles.privateKey(keyFile);
        } catch (TlsFiles.FileProblem p) {
            problems.add(p.problem());
        }
        if (chain != null && key != null) {
            X509Certificate leaf = chain.get(0);
            Optional<String> mismatch = TlsFiles.mismatch(key, leaf);
            if (mismatch.isPresent()) {
                problems.add(new Problem(File.KEY_FILE, keyFile, keyFile + " is not the key of certFile " + certFile
                        + " ('" + leaf.getSubjectX500Principal().getName() + "'): " + mismatch.get()));
            }
        }
        if (!problems.isEmpty()) {
            throw new EtcdTlsException(problems);
        }
        return new Material(List.of(), key, chain);
    }

    /** The private key in {@code keyFile}, in any accepted form. */
    public static PrivateKey readPrivateKey(Path keyFile) throws EtcdTlsException {
        try {
            return TlsFiles.privateKey(keyFile);
        } catch (TlsFiles.FileProblem p) {
            throw new EtcdTlsException(p.problem());
        }
    }

    /** The certificates in a PEM (or single DER) file. */
    public static List<X509Certificate> readCertificates(Path file) throws EtcdTlsException {
        try {
            return TlsFiles.certificates(File.CERT_FILE, file);
        } catch (TlsFiles.FileProblem p) {
            throw new EtcdTlsException(p.problem());
        }
    }
}
