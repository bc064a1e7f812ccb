package io.fedsync.daemon.http;

import io.fedsync.mirror.EtcdTls;
import io.fedsync.mirror.EtcdTlsException;
import io.vertx.core.net.KeyCertOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;

/**
 * {@code http.tls}: the HTTP API serves HTTPS with this certificate chain and private key (PEM;
 * the key in any form the etcd TLS accepts: PKCS#1 RSA, SEC1 EC, PKCS#8, not encrypted). Read at
 * the config check and again at start; messages name the files, never their content.
 */
public record ApiTls(Path certFile, Path keyFile, Path caFile) {

    public ApiTls {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
    }

    /** Without {@code caFile}: replicas' certificates are checked against the JVM's trusted CAs. */
    public ApiTls(Path certFile, Path keyFile) {
        this(certFile, keyFile, null);
    }

    /**
     * The CA certificates of {@code caFile} (PEM), which a follower trusts when it forwards a call
     * to the replica that mirrors; empty without {@code caFile}.
     *
     * @throws IllegalArgumentException naming the file and why it cannot be used, never its content
     */
    public java.util.List<X509Certificate> replicaCas() {
        if (caFile == null) {
            return java.util.List.of();
        }
        try {
            return EtcdTls.readCertificates(caFile);
        } catch (EtcdTlsException e) {
            // The same reader as etcd's and fedsyncctl's CA files; the message names the file only.
            throw new IllegalArgumentException(caFile + " holds no readable PEM certificate");
        }
    }

    /** An SSL context trusting exactly {@link #replicaCas()}, for forwarding between replicas; null without caFile. */
    javax.net.ssl.SSLContext replicaTrust() {
        java.util.List<X509Certificate> cas = replicaCas();
        if (cas.isEmpty()) {
            return null;
        }
        return TrustedCas.context(cas, caFile + " cannot be used as a trust store");
    }

    /** @throws EtcdTlsException naming the file that cannot be used and why */
    public EtcdTls.Material load() throws EtcdTlsException {
        return EtcdTls.keyPair(certFile, keyFile);
    }

    /** The server's key and certificate chain for Vert.x, from an in-memory key store. */
    KeyCertOptions keyCertOptions() throws EtcdTlsException {
        EtcdTls.Material m = load();
        try {
            char[] password = new char[0];
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("fedsyncd-api", m.key(), password, m.chain().toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            return KeyCertOptions.wrap(kmf);
        } catch (GeneralSecurityException | IOException e) {
            throw new EtcdTlsException(new EtcdTlsException.Problem(EtcdTlsException.File.KEY_FILE, keyFile,
                    keyFile + " and certFile " + certFile + " cannot serve TLS: " + e.getMessage()));
        }
    }

    /** The subject of the certificate, for the start-up log line. */
    String subject() {
        try {
            return load().chain().get(0).getSubjectX500Principal().getName();
        } catch (EtcdTlsException e) {
            return "?";
        }
    }
}
