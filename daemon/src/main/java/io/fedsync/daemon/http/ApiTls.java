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
public record ApiTls(Path certFile, Path keyFile) {

    public ApiTls {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
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
