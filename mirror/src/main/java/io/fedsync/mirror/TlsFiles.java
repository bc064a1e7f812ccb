package io.fedsync.mirror;

import io.fedsync.mirror.EtcdTlsException.File;
import io.fedsync.mirror.EtcdTlsException.Problem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the PEM files of an etcd client: CA and client certificates, and the client's private
 * key in any form kubeadm, openssl or cert-manager write it. The JDK reads only PKCS#8, so a
 * PKCS#1 RSA key ({@code BEGIN RSA PRIVATE KEY}, what kubeadm writes) or a SEC1 EC key
 * ({@code BEGIN EC PRIVATE KEY}) is wrapped into PKCS#8 first: the PKCS#8 structure holds the
 * very same bytes plus an algorithm identifier. Every failure is a {@link Problem} naming the
 * file; no message ever quotes a file's content.
 */
final class TlsFiles {

    static final String ACCEPTED_KEY_FORMS = "accepted forms: PKCS#1 RSA (BEGIN RSA PRIVATE KEY, as kubeadm writes "
            + "it), SEC1 EC (BEGIN EC PRIVATE KEY) and PKCS#8 (BEGIN PRIVATE KEY), unencrypted";

    /** Certificates and keys are a few KiB; anything much larger is the wrong file. */
    private static final long MAX_FILE_BYTES = 1024 * 1024;

    private static final String RSA = "1.2.840.113549.1.1.1";
    private static final String RSA_PSS = "1.2.840.113549.1.1.10";
    private static final String EC = "1.2.840.10045.2.1";
    private static final String DSA = "1.2.840.10040.4.1";
    private static final Map<String, String> KEY_ALGORITHMS = Map.of(
            RSA, "RSA", RSA_PSS, "RSASSA-PSS", EC, "EC", "1.3.101.112", "Ed25519", "1.3.101.113", "Ed448");
    private static final Map<String, String> CURVES = Map.of(
            "1.2.840.10045.3.1.7", "P-256", "1.3.132.0.34", "P-384", "1.3.132.0.35", "P-521",
            "1.3.132.0.10", "secp256k1", "1.2.840.10045.3.1.1", "P-192");

    private TlsFiles() {
    }

    /** A problem with a file; carries what {@link EtcdTlsException} needs. */
    static final class FileProblem extends Exception {
        private static final long serialVersionUID = 1L;

        private final transient Problem problem;

        FileProblem(File file, Path path, String message) {
            super(message);
            this.problem = new Problem(file, path, message);
        }

        Problem problem() {
            return problem;
        }
    }

    /** One PEM block: its label, its RFC 1421 headers (e.g. Proc-Type) and its decoded bytes. */
    record PemBlock(String label, Map<String, String> headers, byte[] der) {
        boolean encryptedLegacy() {
            return headers.getOrDefault("Proc-Type", "").toUpperCase(Locale.ROOT).contains("ENCRYPTED");
        }
    }

    // ---- certificates ---------------------------------------------------------------------

    /**
     * Every certificate in {@code path}, PEM (one or more blocks, other blocks ignored) or a
     * single DER certificate.
     */
    static List<X509Certificate> certificates(File file, Path path) throws FileProblem {
        byte[] bytes = read(file, path);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        List<PemBlock> blocks = pem(file, path, text);
        CertificateFactory factory = x509();
        List<X509Certificate> certs = new ArrayList<>();
        if (blocks.isEmpty()) {
            if (!text.contains("-----BEGIN")) {
                try {
                    // Not PEM: perhaps a single DER certificate.
                    certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(bytes)));
                    return certs;
                } catch (CertificateException | ClassCastException e) {
                    throw new FileProblem(file, path, path + " holds no certificate (no '-----BEGIN CERTIFICATE-----' "
                            + "block, and it is not a DER certificate either)");
                }
            }
            throw new FileProblem(file, path, path + " holds no complete PEM block (a '-----BEGIN' line without its "
                    + "'-----END' line?)");
        }
        int n = 0;
        for (PemBlock b : blocks) {
            if (!b.label().equals("CERTIFICATE")) {
                continue;
            }
            n++;
            try {
                certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
            } catch (CertificateException | ClassCastException e) {
                throw new FileProblem(file, path, path + ": its certificate #" + n + " cannot be read: "
                        + oneLine(e.getMessage()));
            }
        }
        if (certs.isEmpty()) {
            String labels = labels(blocks);
            String hint = "";
            if (labels.contains("PRIVATE KEY")) {
                hint = file == File.CA_FILE
                        ? " (caFile is the CA's certificate, e.g. /etc/kubernetes/pki/etcd/ca.crt, not its key)"
                        : " (are certFile and keyFile swapped?)";
            }
            throw new FileProblem(file, path, path + " holds no certificate, only " + labels + hint);
        }
        return certs;
    }

    private static CertificateFactory x509() {
        try {
            return CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("this Java has no X.509 certificate factory", e);
        }
    }

    // ---- private keys ---------------------------------------------------------------------

    /** The one private key in {@code path}. */
    static PrivateKey privateKey(Path path) throws FileProblem {
        File file = File.KEY_FILE;
        byte[] bytes = read(file, path);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        List<PemBlock> blocks = pem(file, path, text);
        if (blocks.isEmpty()) {
            if (text.contains("-----BEGIN")) {
                throw new FileProblem(file, path, path + " holds no complete PEM block (a '-----BEGIN' line without "
                        + "its '-----END' line?); " + ACCEPTED_KEY_FORMS);
            }
            throw new FileProblem(file, path, path + " is not a PEM file (binary DER keys are not read); "
                    + ACCEPTED_KEY_FORMS);
        }
        List<PemBlock> keys = blocks.stream().filter(b -> b.label().endsWith("PRIVATE KEY")).toList();
        if (keys.isEmpty()) {
            String labels = labels(blocks);
            String hint = labels.contains("CERTIFICATE") ? " (are certFile and keyFile swapped?)"
                    : labels.contains("PUBLIC KEY") ? " (the private key is needed, not the public one)" : "";
            throw new FileProblem(file, path, path + " holds no private key, only " + labels + hint + "; "
                    + ACCEPTED_KEY_FORMS);
        }
        if (keys.size() > 1) {
            throw new FileProblem(file, path, path + " holds " + keys.size() + " private keys; keep only the one of "
                    + "the client certificate");
        }
        PemBlock key = keys.get(0);
        String label = key.label();
        if (label.equals("ENCRYPTED PRIVATE KEY") || key.encryptedLegacy()) {
            throw new FileProblem(file, path, path + " is encrypted (" + (key.encryptedLegacy()
                    ? "BEGIN " + label + " with Proc-Type: 4,ENCRYPTED" : "BEGIN " + label) + "); fedsync cannot use "
                    + "encrypted keys, it has no way to ask for the passphrase: write it decrypted (openssl pkey -in "
                    + path + " -out NEW_FILE) and protect that file with permissions 0600 instead; "
                    + ACCEPTED_KEY_FORMS);
        }
        return switch (label) {
            case "RSA PRIVATE KEY" -> pkcs1(path, key.der());
            case "EC PRIVATE KEY" -> sec1(path, key.der(), blocks);
            case "PRIVATE KEY" -> pkcs8(path, key.der(), "PKCS#8 (BEGIN PRIVATE KEY)");
            case "OPENSSH PRIVATE KEY" -> throw new FileProblem(file, path, path + " is an OpenSSH key (BEGIN OPENSSH "
                    + "PRIVATE KEY), not a TLS key; " + ACCEPTED_KEY_FORMS);
            case "DSA PRIVATE KEY" -> throw new FileProblem(file, path, path + " is a DSA key (BEGIN DSA PRIVATE KEY), "
                    + "which TLS client certificates for etcd do not use; " + ACCEPTED_KEY_FORMS);
            default -> throw new FileProblem(file, path, path + " holds a 'BEGIN " + label + "' block, which is not "
                    + "one of the accepted forms; " + ACCEPTED_KEY_FORMS);
        };
    }

    /** PKCS#1 RSAPrivateKey: PKCS#8 is {@code SEQUENCE {0, {rsaEncryption, NULL}, OCTET STRING pkcs1}}. */
    private static PrivateKey pkcs1(Path path, byte[] der) throws FileProblem {
        String form = "PKCS#1 RSA key (BEGIN RSA PRIVATE KEY)";
        try {
            Der.Element seq = Der.read(der);
            if (seq.tag() != Der.SEQUENCE || seq.children().size() < 9
                    || seq.children().stream().anyMatch(c -> c.tag() != Der.INTEGER)) {
                throw invalid(path, form);
            }
        } catch (IllegalArgumentException e) {
            throw invalid(path, form);
        }
        byte[] pkcs8 = Der.sequence(Der.integer(0), Der.sequence(Der.oid(RSA), Der.nullValue()), Der.octetString(der));
        return generate(path, "RSA", pkcs8, form);
    }

    /**
     * SEC1 ECPrivateKey {@code SEQUENCE {1, OCTET STRING d, [0] curve OID, [1] public point}}.
     * PKCS#8 carries the curve in its algorithm identifier; the JDK reads the SEC1 structure
     * inside it as is. openssl's {@code ecparam -genkey} puts the curve in a separate
     * {@code EC PARAMETERS} block before the key: that works too.
     */
    private static PrivateKey sec1(Path path, byte[] der, List<PemBlock> blocks) throws FileProblem {
        String form = "SEC1 EC key (BEGIN EC PRIVATE KEY)";
        String curve = null;
        try {
            Der.Element seq = Der.read(der);
            List<Der.Element> parts = seq.tag() == Der.SEQUENCE ? seq.children() : List.of();
            if (parts.size() < 2 || parts.get(0).tag() != Der.INTEGER || parts.get(0).smallInt() != 1
                    || parts.get(1).tag() != Der.OCTET_STRING) {
                throw invalid(path, form);
            }
            for (Der.Element p : parts.subList(2, parts.size())) {
                if (p.tag() == Der.CONTEXT_0) {
                    curve = curveOid(path, p.children().isEmpty() ? null : p.children().get(0));
                }
            }
            if (curve == null) {
                for (PemBlock b : blocks) {
                    if (b.label().equals("EC PARAMETERS")) {
                        curve = curveOid(path, Der.read(b.der()));
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            throw invalid(path, form);
        }
        if (curve == null) {
            throw new FileProblem(File.KEY_FILE, path, path + ": its " + form + " names no curve (no parameters in the "
                    + "key and no EC PARAMETERS block)");
        }
        byte[] pkcs8 = Der.sequence(Der.integer(0), Der.sequence(Der.oid(EC), Der.oid(curve)), Der.octetString(der));
        return generate(path, "EC", pkcs8, form + " on curve " + CURVES.getOrDefault(curve, curve));
    }

    private static String curveOid(Path path, Der.Element parameters) throws FileProblem {
        if (parameters != null && parameters.tag() == Der.OID) {
            return parameters.oid();
        }
        throw new FileProblem(File.KEY_FILE, path, path + ": its EC key uses explicit curve parameters instead of a "
                + "named curve; write it with a named curve (openssl ec -in FILE -param_enc named_curve -out NEW_FILE)");
    }

    private static PrivateKey pkcs8(Path path, byte[] der, String form) throws FileProblem {
        String oid;
        try {
            Der.Element seq = Der.read(der);
            List<Der.Element> parts = seq.tag() == Der.SEQUENCE ? seq.children() : List.of();
            if (parts.size() < 3 || parts.get(0).tag() != Der.INTEGER || parts.get(1).tag() != Der.SEQUENCE
                    || parts.get(1).children().isEmpty() || parts.get(2).tag() != Der.OCTET_STRING) {
                throw invalid(path, form);
            }
            oid = parts.get(1).children().get(0).oid();
        } catch (IllegalArgumentException e) {
            throw invalid(path, form);
        }
        if (DSA.equals(oid)) {
            throw new FileProblem(File.KEY_FILE, path, path + " is a DSA key, which TLS client certificates for etcd "
                    + "do not use; use an RSA or EC key");
        }
        String algorithm = KEY_ALGORITHMS.get(oid);
        if (algorithm == null) {
            throw new FileProblem(File.KEY_FILE, path, path + ": its " + form + " is for the key algorithm " + oid
                    + ", which fedsync does not know (RSA, EC, Ed25519 and Ed448 keys work)");
        }
        return generate(path, algorithm, der, form);
    }

    private static PrivateKey generate(Path path, String algorithm, byte[] pkcs8, String form) throws FileProblem {
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            // The JDK's reasons are about the structure, but say nothing more than needed: it is a key.
            if (form.contains("curve")) {
                throw new FileProblem(File.KEY_FILE, path, path + " is a " + form + " that this Java cannot use (it "
                        + "supports the curves P-256, P-384 and P-521)");
            }
            throw invalid(path, form);
        }
    }

    private static FileProblem invalid(Path path, String form) {
        return new FileProblem(File.KEY_FILE, path, path + ": its " + form + " block is damaged or not what its "
                + "BEGIN line says; " + ACCEPTED_KEY_FORMS);
    }

    // ---- key and certificate --------------------------------------------------------------

    /**
     * Why {@code key} is not the private half of {@code cert}'s public key, or empty if it is (or
     * if the key type cannot be checked without signing, which it then is).
     */
    static Optional<String> mismatch(PrivateKey key, X509Certificate cert) {
        PublicKey pub = cert.getPublicKey();
        if (key instanceof RSAKey rk && pub instanceof RSAPublicKey rp) {
            boolean same = rk.getModulus().equals(rp.getModulus())
                    && (!(key instanceof RSAPrivateCrtKey crt) || crt.getPublicExponent().equals(rp.getPublicExponent()));
            return same ? Optional.empty() : Optional.of("the key's public half differs from the certificate's");
        }
        String keyFamily = family(key.getAlgorithm());
        String certFamily = family(pub.getAlgorithm());
        if (!keyFamily.equals(certFamily)) {
            return Optional.of("it is an " + keyFamily + " key but the certificate holds an " + certFamily
                    + " public key");
        }
        String algorithm = switch (keyFamily) {
            case "EC" -> "SHA256withECDSA";
            case "EdDSA" -> "EdDSA";
            default -> null;
        };
        if (algorithm == null) {
            return Optional.empty();
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(challenge);
            byte[] signature = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(pub);
            v.update(challenge);
            return v.verify(signature) ? Optional.empty()
                    : Optional.of("the key's public half differs from the certificate's");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return Optional.of("the key's public half differs from the certificate's (they are not on the same curve)");
        }
    }

    private static String family(String algorithm) {
        return switch (algorithm) {
            case "RSASSA-PSS", "RSA" -> "RSA";
            case "Ed25519", "Ed448", "EdDSA" -> "EdDSA";
            default -> algorithm;
        };
    }

    // ---- PEM ------------------------------------------------------------------------------

    private static byte[] read(File file, Path path) throws FileProblem {
        try {
            if (!Files.isRegularFile(path)) {
                throw new FileProblem(file, path, Files.exists(path) ? path + " is not a regular file"
                        : "file " + path + " does not exist");
            }
            long size = Files.size(path);
            if (size > MAX_FILE_BYTES) {
                throw new FileProblem(file, path, path + " is " + size + " bytes long; a PEM " + (file == File.KEY_FILE
                        ? "key" : "certificate") + " file is a few KiB: is it the right file?");
            }
            byte[] bytes = Files.readAllBytes(path);
            if (new String(bytes, StandardCharsets.ISO_8859_1).isBlank()) {
                throw new FileProblem(file, path, path + " is empty");
            }
            return bytes;
        } catch (NoSuchFileException e) {
            throw new FileProblem(file, path, "file " + path + " does not exist");
        } catch (AccessDeniedException e) {
            throw new FileProblem(file, path, "file " + path + " is not readable by this user");
        } catch (IOException e) {
            throw new FileProblem(file, path, "cannot read " + path + ": " + oneLine(e.getMessage()));
        }
    }

    /** Every complete {@code -----BEGIN X----- … -----END X-----} block, in order. */
    static List<PemBlock> pem(File file, Path path, String text) throws FileProblem {
        List<PemBlock> blocks = new ArrayList<>();
        String[] lines = text.split("\r?\n|\r");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (!line.startsWith("-----BEGIN ") || !line.endsWith("-----")) {
                continue;
            }
            String label = line.substring("-----BEGIN ".length(), line.length() - 5).strip();
            String end = "-----END " + label + "-----";
            Map<String, String> headers = new LinkedHashMap<>();
            StringBuilder body = new StringBuilder();
            boolean inHeaders = true;
            int j = i + 1;
            for (; j < lines.length && !lines[j].strip().equals(end); j++) {
                String l = lines[j].strip();
                if (inHeaders && l.contains(":")) {
                    int colon = l.indexOf(':');
                    headers.put(l.substring(0, colon).strip(), l.substring(colon + 1).strip());
                    continue;
                }
                inHeaders = false;
                body.append(l);
            }
            if (j >= lines.length) {
                break;
            }
            byte[] der;
            try {
                der = Base64.getDecoder().decode(body.toString());
            } catch (IllegalArgumentException e) {
                throw new FileProblem(file, path, path + ": its 'BEGIN " + label + "' block is not valid base64");
            }
            blocks.add(new PemBlock(label, headers, der));
            i = j;
        }
        return blocks;
    }

    private static String labels(List<PemBlock> blocks) {
        return String.join(", ", blocks.stream().map(b -> "'BEGIN " + b.label() + "'").distinct().toList());
    }

    static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
