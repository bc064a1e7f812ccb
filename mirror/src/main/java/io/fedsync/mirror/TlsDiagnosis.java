package io.fedsync.mirror;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509KeyManager;

/**
 * {@link EtcdTls#diagnose}: a real JDK TLS handshake with the mirror's CA, certificate and key,
 * and an explanation of what went wrong from what was actually exchanged (the certificate etcd
 * presented, the CAs it asked for, the alert it sent), not from exception texts alone.
 */
final class TlsDiagnosis {

    private static final int DEFAULT_ETCD_PORT = 2379;
    private static final Pattern ALERT = Pattern.compile("Received fatal alert: (\\w+)");
    /** HTTP/2 client preface and an empty SETTINGS frame: etcd (gRPC) answers with its SETTINGS. */
    private static final byte[] H2_PREFACE;

    static {
        byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] settings = {0, 0, 0, 4, 0, 0, 0, 0, 0};
        H2_PREFACE = Arrays.copyOf(preface, preface.length + settings.length);
        System.arraycopy(settings, 0, H2_PREFACE, preface.length, settings.length);
    }

    private final ClusterEndpoint endpoint;
    private final EtcdTls.Material material;
    private final int timeoutMillis;
    private final String host;
    private final int port;
    private final String where;
    private final RecordingTrustManager trust;
    private final RecordingKeyManager keys;

    TlsDiagnosis(ClusterEndpoint endpoint, EtcdTls.Material material, Duration timeout) throws GeneralSecurityException {
        this.endpoint = endpoint;
        this.material = material;
        this.timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        URI uri = URI.create(endpoint.endpoints().get(0));
        String h = uri.getHost();
        this.host = h != null && h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        this.port = uri.getPort() < 0 ? DEFAULT_ETCD_PORT : uri.getPort();
        this.where = (host != null && host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        this.trust = new RecordingTrustManager(pkix(material.trusted()));
        this.keys = material.key() == null ? null : new RecordingKeyManager(keyManager(material));
    }

    static Optional<String> run(ClusterEndpoint endpoint, EtcdTls.Material material, Duration timeout) {
        try {
            return new TlsDiagnosis(endpoint, material, timeout).handshake();
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return Optional.of("cannot set up a TLS handshake with " + endpoint.endpoints().get(0) + ": "
                    + EtcdErrors.describe(e));
        }
    }

    private Optional<String> handshake() throws GeneralSecurityException {
        if (host == null || host.isEmpty()) {
            return Optional.of("endpoint " + endpoint.endpoints().get(0) + " has no host");
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys == null ? null : new KeyManager[] {keys}, new TrustManager[] {trust}, null);
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress(host, port), timeoutMillis);
        } catch (UnknownHostException e) {
            close(plain);
            return Optional.of("cannot resolve the host of " + endpoint.endpoints().get(0) + " (" + host + ")");
        } catch (IOException e) {
            close(plain);
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return Optional.of("cannot connect to " + where + ": " + EtcdErrors.lowerFirst(TlsFiles.oneLine(why)));
        }
        SSLSocket socket;
        try {
            socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
        } catch (IOException e) {
            close(plain);
            return Optional.of(failed(EtcdErrors.describe(e)));
        }
        try {
            socket.setSoTimeout(timeoutMillis);
            SSLParameters parameters = socket.getSSLParameters();
            // What gRPC does: check the name in etcd's certificate against the endpoint's host.
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            parameters.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
        } catch (IOException e) {
            close(socket);
            return Optional.of(failed(explain(e)));
        }
        // With TLS 1.3 the client's certificate is judged after the client's side of the
        // handshake is done: etcd's verdict arrives with the first read.
        try {
            OutputStream out = socket.getOutputStream();
            out.write(H2_PREFACE);
            out.flush();
            InputStream in = socket.getInputStream();
            if (in.read() < 0) {
                return Optional.of(failed("etcd closed the connection right after the handshake"
                        + (material.key() == null ? " (does it require a client certificate? set certFile and keyFile)"
                        : "")));
            }
            return Optional.empty();
        } catch (SocketTimeoutException e) {
            // The handshake went through; a slow answer is not a TLS problem.
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(failed(explain(e)));
        } finally {
            close(socket);
        }
    }

    private String failed(String why) {
        return "TLS handshake with " + where + " failed: " + why;
    }

    private String explain(IOException e) {
        if (e instanceof SocketTimeoutException) {
            return "no answer within " + timeoutMillis + " ms (etcd accepted the connection but did not complete "
                    + "the handshake: is it overloaded or paused?)";
        }
        if (trust.serverChain != null && trust.failure != null) {
            Optional<String> found = serverCertificateProblem(trust.serverChain, Instant.now());
            return found.orElseGet(() -> "etcd's certificate was refused: " + EtcdErrors.describe(trust.failure));
        }
        String message = String.valueOf(e.getMessage());
        if (message.contains("Unsupported or unrecognized SSL message") || message.contains("plaintext connection")) {
            return "etcd does not speak TLS on this port (if it serves http://, use an http:// endpoint and no caFile)";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            Matcher alert = ALERT.matcher(String.valueOf(t.getMessage()));
            if (alert.find()) {
                return clientCertificateRejected(alert.group(1));
            }
        }
        return EtcdErrors.describe(e);
    }

    /** etcd sent an alert after seeing (or missing) fedsync's client certificate. */
    private String clientCertificateRejected(String alert) {
        X509Certificate mine = material.clientCertificate();
        boolean certificateAlert = switch (alert) {
            case "bad_certificate", "unknown_ca", "certificate_unknown", "unsupported_certificate",
                    "certificate_expired", "certificate_revoked", "access_denied", "certificate_required" -> true;
            default -> false;
        };
        if (!certificateAlert) {
            if (alert.equals("handshake_failure") || alert.equals("protocol_version")
                    || alert.equals("insufficient_security")) {
                return "etcd and fedsync found no TLS version and cipher suite in common (etcd sent " + alert + ")";
            }
            return "etcd ended the handshake with the alert " + alert;
        }
        if (mine == null) {
            return "etcd requires a client certificate (it runs with --client-cert-auth; etcd sent " + alert
                    + "): set certFile and keyFile, e.g. kubeadm's /etc/kubernetes/pki/etcd/apiserver-etcd-client.crt "
                    + "and .key";
        }
        String who = "fedsync's client certificate '" + name(mine.getSubjectX500Principal()) + "' (certFile "
                + endpoint.certFile() + ")";
        try {
            mine.checkValidity();
        } catch (CertificateExpiredException e) {
            return "etcd rejected " + who + ": it expired on " + mine.getNotAfter().toInstant() + " (etcd sent "
                    + alert + ")";
        } catch (CertificateNotYetValidException e) {
            return "etcd rejected " + who + ": it is not valid before " + mine.getNotBefore().toInstant()
                    + " (is this host's clock right? etcd sent " + alert + ")";
        }
        String issuer = name(mine.getIssuerX500Principal());
        if (keys != null && keys.requestedIssuers != null && keys.requestedIssuers.length > 0
                && Arrays.stream(keys.requestedIssuers).noneMatch(p -> p.equals(mine.getIssuerX500Principal()))) {
            return "etcd asks for a client certificate issued by " + names(keys.requestedIssuers) + ", but " + who
                    + " is issued by '" + issuer + "' (etcd sent " + alert + ")";
        }
        return "etcd rejected " + who + ", issued by '" + issuer + "' (etcd sent " + alert + "): etcd must trust "
                + "that issuer (its --trusted-ca-file)";
    }

    /** What is wrong with the certificate etcd presented: authority, dates, then name. */
    Optional<String> serverCertificateProblem(X509Certificate[] chain, Instant now) {
        if (chain.length == 0) {
            return Optional.of("etcd presented no certificate");
        }
        X509Certificate leaf = chain[0];
        String caFile = "caFile " + endpoint.caFile();
        X509Certificate anchor = null;
        outer:
        for (X509Certificate c : chain) {
            for (X509Certificate ca : material.trusted()) {
                if (c.equals(ca) || signedBy(c, ca)) {
                    anchor = ca;
                    break outer;
                }
            }
        }
        if (anchor == null) {
            X509Certificate top = chain[chain.length - 1];
            boolean sameName = material.trusted().stream()
                    .anyMatch(ca -> ca.getSubjectX500Principal().equals(top.getIssuerX500Principal()));
            return Optional.of("etcd's certificate is signed by an unknown authority (" + caFile + " did not sign '"
                    + name(leaf.getSubjectX500Principal()) + "'" + (chain.length > 1 ? " or its chain" : "")
                    + "; its issuer is '" + name(top.getIssuerX500Principal()) + "'"
                    + (sameName ? ", another CA with the same name as the one in caFile" : "") + ")");
        }
        List<X509Certificate> all = new ArrayList<>(Arrays.asList(chain));
        if (!all.contains(anchor)) {
            all.add(anchor);
        }
        Date at = Date.from(now);
        for (X509Certificate c : all) {
            String who = c == leaf ? "etcd's certificate '" + name(c.getSubjectX500Principal()) + "'"
                    : c == anchor ? "the CA certificate '" + name(c.getSubjectX500Principal()) + "' in " + caFile
                    : "the intermediate certificate '" + name(c.getSubjectX500Principal()) + "' etcd sent";
            try {
                c.checkValidity(at);
            } catch (CertificateExpiredException e) {
                return Optional.of(who + " expired on " + c.getNotAfter().toInstant());
            } catch (CertificateNotYetValidException e) {
                return Optional.of(who + " is not valid before " + c.getNotBefore().toInstant()
                        + " (is this host's clock right?)");
            }
        }
        List<String> names = namesOf(leaf);
        if (!matchesHost(leaf)) {
            return Optional.of("name mismatch: etcd's certificate is for " + names + " not " + host);
        }
        return Optional.empty();
    }

    private static boolean signedBy(X509Certificate c, X509Certificate ca) {
        if (!c.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
            return false;
        }
        try {
            c.verify(ca.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The DNS and IP names a certificate is for, or its CN when it has none. */
    private static List<String> namesOf(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        for (List<?> san : sans(cert)) {
            int type = (Integer) san.get(0);
            if (type == 2 || type == 7) {
                names.add(String.valueOf(san.get(1)));
            }
        }
        if (names.isEmpty()) {
            cn(cert).ifPresent(cn -> names.add("CN=" + cn));
        }
        return names;
    }

    /** The JDK's HTTPS rules: an IP host against IP SANs; a name against DNS SANs, else the CN. */
    private boolean matchesHost(X509Certificate cert) {
        boolean ipHost = host.contains(":") || host.matches("[0-9.]+");
        List<String> dns = new ArrayList<>();
        for (List<?> san : sans(cert)) {
            int type = (Integer) san.get(0);
            String value = String.valueOf(san.get(1));
            if (ipHost && type == 7 && sameAddress(host, value)) {
                return true;
            }
            if (type == 2) {
                dns.add(value);
            }
        }
        if (ipHost) {
            return false;
        }
        if (dns.isEmpty()) {
            return cn(cert).map(cn -> dnsMatches(host, cn)).orElse(false);
        }
        return dns.stream().anyMatch(d -> dnsMatches(host, d));
    }

    private static boolean sameAddress(String a, String b) {
        try {
            return InetAddress.getByName(a).equals(InetAddress.getByName(b));
        } catch (UnknownHostException e) {
            return a.equalsIgnoreCase(b);
        }
    }

    private static boolean dnsMatches(String host, String pattern) {
        String h = host.toLowerCase(Locale.ROOT);
        String p = pattern.toLowerCase(Locale.ROOT);
        if (p.startsWith("*.")) {
            int dot = h.indexOf('.');
            return dot > 0 && h.substring(dot).equals(p.substring(1));
        }
        return h.equals(p);
    }

    private static Collection<List<?>> sans(X509Certificate cert) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            return sans == null ? List.of() : sans;
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }

    private static Optional<String> cn(X509Certificate cert) {
        Matcher m = Pattern.compile("(?:^|,)\\s*CN=([^,]+)").matcher(cert.getSubjectX500Principal().getName());
        return m.find() ? Optional.of(m.group(1).strip()) : Optional.empty();
    }

    private static String name(Principal p) {
        return p.getName();
    }

    private static String names(Principal[] ps) {
        return Arrays.stream(ps).map(p -> "'" + p.getName() + "'").toList().toString();
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // Nothing was sent.
        }
    }

    // ---- key and trust managers that remember what they saw --------------------------------

    private static X509ExtendedTrustManager pkix(List<X509Certificate> cas) throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException("cannot create an empty key store", e);
        }
        for (int i = 0; i < cas.size(); i++) {
            store.setCertificateEntry("ca-" + i, cas.get(i));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        for (TrustManager tm : factory.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X.509 trust manager");
    }

    /** As netty builds it for jetcd: the default key manager over a key store holding the key. */
    private static X509KeyManager keyManager(EtcdTls.Material m) throws GeneralSecurityException {
        char[] password = "fedsync".toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException("cannot create an empty key store", e);
        }
        PrivateKey key = m.key();
        store.setKeyEntry("client", key, password, m.chain().toArray(X509Certificate[]::new));
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, password);
        for (KeyManager km : factory.getKeyManagers()) {
            if (km instanceof X509KeyManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X.509 key manager");
    }

    private static final class RecordingTrustManager extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;
        volatile X509Certificate[] serverChain;
        volatile CertificateException failure;

        RecordingTrustManager(X509ExtendedTrustManager delegate) {
            this.delegate = delegate;
        }

        private void record(X509Certificate[] chain, CheckedRunnable check) throws CertificateException {
            serverChain = chain == null ? null : chain.clone();
            try {
                check.run();
            } catch (CertificateException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            record(chain, () -> delegate.checkServerTrusted(chain, authType, socket));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            record(chain, () -> delegate.checkServerTrusted(chain, authType, engine));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            record(chain, () -> delegate.checkServerTrusted(chain, authType));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            delegate.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            delegate.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }

    @FunctionalInterface
    private interface CheckedRunnable {
        void run() throws CertificateException;
    }

    private static final class RecordingKeyManager extends X509ExtendedKeyManager {
        private final X509KeyManager delegate;
        volatile Principal[] requestedIssuers;

        RecordingKeyManager(X509KeyManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            requestedIssuers = issuers == null ? null : issuers.clone();
            return delegate.chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            requestedIssuers = issuers == null ? null : issuers.clone();
            return delegate instanceof X509ExtendedKeyManager x ? x.chooseEngineClientAlias(keyType, issuers, engine)
                    : delegate.chooseClientAlias(keyType, issuers, null);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return delegate.getClientAliases(keyType, issuers);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate.getPrivateKey(alias);
        }
    }
}
