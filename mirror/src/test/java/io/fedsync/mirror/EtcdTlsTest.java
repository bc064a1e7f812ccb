package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fedsync.mirror.EtcdTlsException.File;
import io.fedsync.mirror.EtcdTlsException.Problem;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Reading etcd client TLS files as kubeadm and openssl write them. The files under
 * {@code src/test/resources/io/fedsync/mirror/tls} are made by {@code src/test/pki/make-test-pki.sh}
 * with openssl: PKCS#1 exactly as kubeadm writes {@code apiserver-etcd-client.key}, SEC1 as
 * Go's {@code MarshalECPrivateKey} (curve OID and public key included), PKCS#8.
 */
class EtcdTlsTest {

    @TempDir
    Path dir;

    static Path tls(String name) {
        try {
            return Path.of(EtcdTlsTest.class.getResource("tls/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ClusterEndpoint endpoint(String ca, String cert, String key) {
        return new ClusterEndpoint("host", List.of("https://127.0.0.1:2379"), tls(ca),
                cert == null ? null : tls(cert), key == null ? null : tls(key));
    }

    private static List<Problem> problems(ClusterEndpoint e) {
        EtcdTlsException thrown = catchThrowableOfType(EtcdTlsException.class, () -> EtcdTls.check(e));
        assertThat(thrown).as("EtcdTls.check(%s) should fail", e).isNotNull();
        assertNoKeyMaterial(thrown.getMessage());
        return thrown.problems();
    }

    /** No line of any test key's body may appear in a message. */
    private static void assertNoKeyMaterial(String message) {
        for (String key : List.of("client-rsa-pkcs1.key", "client-rsa-pkcs8.key", "client-ec-sec1.key",
                "encrypted-pkcs8.key", "encrypted-pkcs1.key", "other-rsa-pkcs1.key", "other-ec-sec1.key")) {
            try {
                for (String line : Files.readAllLines(tls(key))) {
                    if (!line.startsWith("-----") && line.length() > 16 && !line.contains(":")) {
                        assertThat(message).doesNotContain(line).doesNotContain(line.substring(0, 16));
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource({
            "client-rsa-pkcs1.key, client-rsa.crt, RSA, BEGIN RSA PRIVATE KEY",
            "client-rsa-pkcs8.key, client-rsa.crt, RSA, BEGIN PRIVATE KEY",
            "client-ec-sec1.key, client-ec.crt, EC, BEGIN EC PRIVATE KEY",
            "client-ec-pkcs8.key, client-ec.crt, EC, BEGIN PRIVATE KEY",
            "client-ec384-sec1.key, client-ec384.crt, EC, BEGIN EC PRIVATE KEY",
            "client-ed25519-pkcs8.key, client-ed25519.crt, EdDSA, BEGIN PRIVATE KEY",
    })
    void everyAcceptedKeyFormLoadsMatchesItsCertificateAndBuildsAContext(String key, String cert, String algorithm,
                                                                         String firstLine) throws Exception {
        assertThat(Files.readAllLines(tls(key)).get(0)).isEqualTo("-----" + firstLine + "-----");
        ClusterEndpoint e = endpoint("ca.crt", cert, key);

        EtcdTls.check(e);
        EtcdTls.Material m = EtcdTls.load(e);
        SslContext ssl = EtcdTls.sslContext(e);

        assertThat(m.key().getAlgorithm()).isEqualTo(algorithm);
        assertThat(m.clientCertificate().getSubjectX500Principal().getName())
                .isEqualTo("CN=kube-apiserver-etcd-client,O=system:masters");
        assertThat(m.trusted()).extracting(c -> c.getSubjectX500Principal().getName()).containsExactly("CN=etcd-ca");
        assertThat(ssl.isClient()).isTrue();
        assertThat(m.toString()).doesNotContain("PRIVATE");
    }

    @Test
    void pkcs1AndSec1AreTheSameKeysAsTheirPkcs8Forms() throws Exception {
        PrivateKey rsa1 = EtcdTls.readPrivateKey(tls("client-rsa-pkcs1.key"));
        PrivateKey rsa8 = EtcdTls.readPrivateKey(tls("client-rsa-pkcs8.key"));
        assertThat(rsa1).isInstanceOf(RSAPrivateCrtKey.class);
        assertThat(rsa1.getEncoded()).isEqualTo(rsa8.getEncoded());

        ECPrivateKey ec1 = (ECPrivateKey) EtcdTls.readPrivateKey(tls("client-ec-sec1.key"));
        ECPrivateKey ec8 = (ECPrivateKey) EtcdTls.readPrivateKey(tls("client-ec-pkcs8.key"));
        assertThat(ec1.getS()).isEqualTo(ec8.getS());
        assertThat(ec1.getParams().getCurve()).isEqualTo(ec8.getParams().getCurve());
        assertThat(ec1.getParams().getOrder().bitLength()).isEqualTo(256);
    }

    @Test
    void anEcKeyAfterAnEcParametersBlockIsRead() throws Exception {
        assertThat(Files.readString(tls("client-ec-with-params.key")))
                .startsWith("-----BEGIN EC PARAMETERS-----").contains("-----BEGIN EC PRIVATE KEY-----");

        PrivateKey key = EtcdTls.readPrivateKey(tls("client-ec-with-params.key"));

        assertThat(((ECPrivateKey) key).getParams().getOrder().bitLength()).isEqualTo(256);
    }

    @Test
    void caOnlyNeedsNoKey() throws Exception {
        ClusterEndpoint e = endpoint("ca.crt", null, null);

        EtcdTls.check(e);

        assertThat(EtcdTls.load(e).key()).isNull();
        assertThat(EtcdTls.sslContext(e).isClient()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"encrypted-pkcs8.key, BEGIN ENCRYPTED PRIVATE KEY",
            "encrypted-pkcs1.key, 'BEGIN RSA PRIVATE KEY with Proc-Type: 4,ENCRYPTED'"})
    void anEncryptedKeyIsRefusedSayingSoAndWhatWorks(String key, String form) {
        List<Problem> problems = problems(endpoint("ca.crt", "client-rsa.crt", key));

        assertThat(problems).hasSize(1);
        assertThat(problems.get(0).file()).isEqualTo(File.KEY_FILE);
        assertThat(problems.get(0).path()).isEqualTo(tls(key));
        assertThat(problems.get(0).message()).startsWith(tls(key) + " is encrypted (" + form + ")")
                .contains("cannot use encrypted keys", "openssl pkey -in " + tls(key),
                        "PKCS#1 RSA (BEGIN RSA PRIVATE KEY", "SEC1 EC (BEGIN EC PRIVATE KEY)",
                        "PKCS#8 (BEGIN PRIVATE KEY)", "unencrypted");
    }

    @Test
    void aKeyOfAnotherCertificateIsRefusedNamingBothFiles() {
        List<Problem> problems = problems(endpoint("ca.crt", "client-rsa.crt", "other-rsa-pkcs1.key"));

        assertThat(problems).singleElement().satisfies(p -> {
            assertThat(p.file()).isEqualTo(File.KEY_FILE);
            assertThat(p.message()).isEqualTo(tls("other-rsa-pkcs1.key") + " is not the key of certFile "
                    + tls("client-rsa.crt") + " ('CN=kube-apiserver-etcd-client,O=system:masters'): the key's public "
                    + "half differs from the certificate's");
        });
    }

    @Test
    void anotherEcKeyAndAKeyOfAnotherTypeAreRefused() {
        assertThat(problems(endpoint("ca.crt", "client-ec.crt", "other-ec-sec1.key")))
                .singleElement().extracting(Problem::message).asString()
                .contains("is not the key of certFile", "differs");
        assertThat(problems(endpoint("ca.crt", "client-ec.crt", "client-rsa-pkcs1.key")))
                .singleElement().extracting(Problem::message).asString()
                .endsWith("it is an RSA key but the certificate holds an EC public key");
        assertThat(problems(endpoint("ca.crt", "client-ec384.crt", "client-ec-sec1.key")))
                .singleElement().extracting(Problem::message).asString().contains("is not the key of certFile");
    }

    @Test
    void swappedCertAndKeyFilesAreNamedAsSuch() {
        List<Problem> problems = problems(endpoint("ca.crt", "client-rsa-pkcs1.key", "client-rsa.crt"));

        assertThat(problems).extracting(Problem::file).containsExactly(File.CERT_FILE, File.KEY_FILE);
        assertThat(problems.get(0).message()).isEqualTo(tls("client-rsa-pkcs1.key")
                + " holds no certificate, only 'BEGIN RSA PRIVATE KEY' (are certFile and keyFile swapped?)");
        assertThat(problems.get(1).message()).startsWith(tls("client-rsa.crt")
                + " holds no private key, only 'BEGIN CERTIFICATE' (are certFile and keyFile swapped?); accepted forms:");
    }

    @Test
    void aCaFileThatIsAKeyOrGarbageOrEmptyIsRefused() throws IOException {
        Path garbage = Files.writeString(dir.resolve("ca.crt"), "this is not a certificate\n");
        Path empty = Files.writeString(dir.resolve("empty.crt"), "\n");
        Path truncated = Files.writeString(dir.resolve("truncated.crt"),
                Files.readString(tls("ca.crt")).lines().limit(5).reduce("", (a, b) -> a + b + "\n"));

        assertThat(problems(endpoint("client-rsa-pkcs1.key", null, null))).singleElement()
                .extracting(Problem::message).asString().isEqualTo(tls("client-rsa-pkcs1.key")
                        + " holds no certificate, only 'BEGIN RSA PRIVATE KEY' (caFile is the CA's certificate, e.g. "
                        + "/etc/kubernetes/pki/etcd/ca.crt, not its key)");
        assertThat(problemWithCa(garbage)).isEqualTo(garbage + " holds no certificate (no '-----BEGIN CERTIFICATE-----' "
                + "block, and it is not a DER certificate either)");
        assertThat(problemWithCa(empty)).isEqualTo(empty + " is empty");
        assertThat(problemWithCa(truncated)).startsWith(truncated + " holds no complete PEM block");
        assertThat(problemWithCa(dir.resolve("missing.crt"))).isEqualTo("file " + dir.resolve("missing.crt")
                + " does not exist");
    }

    private static String problemWithCa(Path ca) {
        ClusterEndpoint e = new ClusterEndpoint("host", List.of("https://127.0.0.1:2379"), ca, null, null);
        List<Problem> problems = problems(e);
        assertThat(problems).singleElement().extracting(Problem::file).isEqualTo(File.CA_FILE);
        return problems.get(0).message();
    }

    @Test
    void damagedKeysAreRefusedWithoutQuotingThem() throws IOException {
        List<String> lines = Files.readAllLines(tls("client-rsa-pkcs1.key"));
        // Drop a line from the middle: still base64, no longer an RSA key.
        List<String> shorter = new java.util.ArrayList<>(lines);
        shorter.remove(lines.size() / 2);
        Path damaged = Files.write(dir.resolve("damaged.key"), shorter);
        Path notBase64 = Files.writeString(dir.resolve("bad64.key"),
                "-----BEGIN PRIVATE KEY-----\n#### not base64 ####\n-----END PRIVATE KEY-----\n");
        Path publicKey = Files.writeString(dir.resolve("public.key"),
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        Path der = Files.write(dir.resolve("der.key"), EtcdTls.readPrivateKey(tls("client-rsa-pkcs8.key")).getEncoded());

        assertThat(keyProblem(damaged)).isEqualTo(damaged + ": its PKCS#1 RSA key (BEGIN RSA PRIVATE KEY) block is "
                + "damaged or not what its BEGIN line says; " + EtcdTls.ACCEPTED_KEY_FORMS);
        assertThat(keyProblem(notBase64)).isEqualTo(notBase64 + ": its 'BEGIN PRIVATE KEY' block is not valid base64");
        assertThat(keyProblem(publicKey)).startsWith(publicKey + " holds no private key, only 'BEGIN PUBLIC KEY' "
                + "(the private key is needed, not the public one)");
        assertThat(keyProblem(der)).isEqualTo(der + " is not a PEM file (binary DER keys are not read); "
                + EtcdTls.ACCEPTED_KEY_FORMS);
    }

    private String keyProblem(Path key) {
        EtcdTlsException e = catchThrowableOfType(EtcdTlsException.class, () -> EtcdTls.readPrivateKey(key));
        assertThat(e).isNotNull();
        assertNoKeyMaterial(e.getMessage());
        assertThat(e.problems()).singleElement().extracting(Problem::file).isEqualTo(File.KEY_FILE);
        return e.problems().get(0).message();
    }

    @Test
    void everyProblemIsReportedAtOnceAndTheExceptionMessageNamesTheSettings() throws IOException {
        Path garbage = Files.writeString(dir.resolve("ca.crt"), "nope\n");
        ClusterEndpoint e = new ClusterEndpoint("host", List.of("https://127.0.0.1:2379"), garbage,
                tls("client-rsa.crt"), tls("encrypted-pkcs8.key"));

        EtcdTlsException thrown = catchThrowableOfType(EtcdTlsException.class, () -> EtcdTls.sslContext(e));

        assertThat(thrown.problems()).extracting(Problem::file).containsExactly(File.CA_FILE, File.KEY_FILE);
        assertThat(thrown.getMessage()).startsWith("caFile " + garbage + " holds no certificate")
                .contains("; keyFile " + tls("encrypted-pkcs8.key") + " is encrypted");
        assertThat(EtcdErrors.describe(new IllegalStateException("wrapped", thrown))).isEqualTo(thrown.getMessage());
    }

    @Test
    void aClusterWithoutTlsHasNothingToCheckOrDiagnose() {
        ClusterEndpoint plain = ClusterEndpoint.plain("host", "http://127.0.0.1:2379");

        assertThatThrownBy(() -> EtcdTls.load(plain)).isInstanceOf(IllegalArgumentException.class);
        assertThat(EtcdTls.diagnose(plain, Duration.ofSeconds(1))).isEmpty();
    }

    @Test
    void diagnoseWithUnusableFilesSaysSoWithoutConnecting() throws IOException {
        Path garbage = Files.writeString(dir.resolve("ca.crt"), "nope\n");
        ClusterEndpoint e = new ClusterEndpoint("host", List.of("https://127.0.0.1:1"), garbage, null, null);

        assertThat(EtcdTls.diagnose(e, Duration.ofSeconds(1)))
                .hasValue("cannot use the TLS files: caFile " + garbage + " holds no certificate (no "
                        + "'-----BEGIN CERTIFICATE-----' block, and it is not a DER certificate either)");
    }

    // ---- what the diagnosis makes of the certificate etcd presents ---------------------------

    private static java.util.Optional<String> serverProblem(String serverCert, String endpoint) throws Exception {
        ClusterEndpoint e = new ClusterEndpoint("host", List.of(endpoint), tls("ca.crt"), tls("client-rsa.crt"),
                tls("client-rsa-pkcs1.key"));
        X509Certificate[] chain = EtcdTls.readCertificates(tls(serverCert)).toArray(X509Certificate[]::new);
        return new TlsDiagnosis(e, EtcdTls.load(e), Duration.ofSeconds(1))
                .serverCertificateProblem(chain, Instant.parse("2030-01-01T00:00:00Z"));
    }

    @Test
    void aGoodServerCertificateHasNoProblem() throws Exception {
        assertThat(serverProblem("server.crt", "https://127.0.0.1:2379")).isEmpty();
        assertThat(serverProblem("server.crt", "https://localhost:2379")).isEmpty();
    }

    @Test
    void aServerCertificateOfAnotherCaIsAnUnknownAuthority() throws Exception {
        assertThat(serverProblem("other-ca-server.crt", "https://127.0.0.1:2379")).hasValue(
                "etcd's certificate is signed by an unknown authority (caFile " + tls("ca.crt")
                        + " did not sign 'CN=etcd-server'; its issuer is 'CN=other-ca')");
    }

    @Test
    void anExpiredServerCertificateSaysWhen() throws Exception {
        assertThat(serverProblem("expired-server.crt", "https://127.0.0.1:2379"))
                .hasValue("etcd's certificate 'CN=etcd-server' expired on 2020-02-01T00:00:00Z");
    }

    @Test
    void aServerCertificateForOtherNamesIsANameMismatch() throws Exception {
        assertThat(serverProblem("wrong-name-server.crt", "https://127.0.0.1:2379"))
                .hasValue("name mismatch: etcd's certificate is for [etcd.example.com, 10.9.8.7] not 127.0.0.1");
        assertThat(serverProblem("server.crt", "https://etcd.example.com:2379"))
                .hasValue("name mismatch: etcd's certificate is for [127.0.0.1, localhost] not etcd.example.com");
        assertThat(serverProblem("wrong-name-server.crt", "https://etcd.example.com:2379")).isEmpty();
    }

    @Test
    void aHandshakeWithNothingListeningSaysSo() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ClusterEndpoint e = new ClusterEndpoint("host", List.of("https://127.0.0.1:" + port), tls("ca.crt"), null,
                null);

        assertThat(EtcdTls.diagnose(e, Duration.ofSeconds(2))).hasValueSatisfying(reason -> assertThat(reason)
                .isEqualTo("cannot connect to 127.0.0.1:" + port + ": connection refused"));
    }

    @Test
    void pemBlocksKeepTheirLabelsAndHeaders() throws Exception {
        String text = Files.readString(tls("encrypted-pkcs1.key"), StandardCharsets.US_ASCII);
        List<TlsFiles.PemBlock> blocks = TlsFiles.pem(File.KEY_FILE, tls("encrypted-pkcs1.key"), text);

        assertThat(blocks).singleElement().satisfies(b -> {
            assertThat(b.label()).isEqualTo("RSA PRIVATE KEY");
            assertThat(b.headers()).containsEntry("Proc-Type", "4,ENCRYPTED").containsKey("DEK-Info");
            assertThat(b.encryptedLegacy()).isTrue();
        });
    }
}
