package io.fedsync.itest.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.EtcdPki;
import io.fedsync.itest.fixture.EtcdProcess;
import io.fedsync.mirror.ClusterEndpoint;
import io.fedsync.mirror.EtcdErrors;
import io.fedsync.mirror.EtcdTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link EtcdTls#diagnose}: a wrong caFile, a client certificate etcd does not trust, none at
 * all, an expired server certificate and one for other names, each against a real etcd that
 * requires client certificates. Each case also shows that jetcd, as the mirror builds it, really
 * fails there: the diagnosis explains a real failure, it does not invent one.
 */
@DisplayName("TLS handshake diagnosis against real etcds (wrong CA, rejected client cert, expired, wrong name)")
class TlsDiagnosisIT {

    private static final Logger LOG = LoggerFactory.getLogger(TlsDiagnosisIT.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @RegisterExtension
    static final EtcdClusters GOOD = EtcdClusters.builder().withClusters("good").withTls(true).build();
    @RegisterExtension
    static final EtcdClusters EXPIRED = EtcdClusters.builder().withClusters("expired").withTls(true)
            .withServerCert(EtcdPki.ServerCert.EXPIRED).build();
    @RegisterExtension
    static final EtcdClusters WRONG_NAME = EtcdClusters.builder().withClusters("wrong-name").withTls(true)
            .withServerCert(EtcdPki.ServerCert.WRONG_NAME).build();

    @TempDir
    static Path otherPkiDir;

    /** A second PKI: another CA (with the same name, as a re-run of kubeadm makes) and its client cert. */
    private static EtcdPki other;

    @BeforeAll
    static void otherPki() {
        other = EtcdPki.inDirectory(otherPkiDir);
    }

    private static ClusterEndpoint endpoint(EtcdProcess etcd, Path ca, Path cert, Path key) {
        return new ClusterEndpoint(etcd.name(), List.of(etcd.endpoint()), ca, cert, key);
    }

    private static ClusterEndpoint kubeadm(EtcdProcess etcd) {
        return endpoint(etcd, etcd.caFile(), etcd.clientCertFile(), etcd.clientKeyFile());
    }

    private static String where(EtcdProcess etcd) {
        return "127.0.0.1:" + etcd.clientPort();
    }

    /** What jetcd, set up exactly as ClusterLink sets it up, gets from a read. */
    private static Throwable jetcdFailure(ClusterEndpoint e) throws Exception {
        try (Client client = Client.builder().endpoints(e.endpoints().toArray(String[]::new))
                .sslContext(EtcdTls.sslContext(e)).waitForReady(false).build()) {
            Throwable failure = catchThrowable(() -> client.getKVClient()
                    .get(ByteSequence.from("/fedsync-test/probe", StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS));
            LOG.info("jetcd with {} {} {}: {}", e.caFile(), e.certFile(), e.keyFile(),
                    failure == null ? "ok" : EtcdErrors.describe(failure));
            return failure;
        }
    }

    @Test
    @DisplayName("kubeadm's files as they are: the handshake succeeds, nothing to report, jetcd reads")
    void goodFilesHaveNothingToReport() throws Exception {
        EtcdProcess etcd = GOOD.get("good");
        for (EtcdPki.KeyForm form : EtcdPki.KeyForm.values()) {
            ClusterEndpoint e = endpoint(etcd, etcd.caFile(), etcd.clientCertFile(form), etcd.clientKeyFile(form));
            assertThat(EtcdTls.diagnose(e, TIMEOUT)).as(form.name()).isEmpty();
            assertThat(jetcdFailure(e)).as(form.name()).isNull();
        }
    }

    @Test
    @DisplayName("a caFile that did not sign etcd's certificate: unknown authority, naming caFile and the issuer")
    void wrongCaFileIsAnUnknownAuthority() throws Exception {
        EtcdProcess etcd = GOOD.get("good");
        ClusterEndpoint e = endpoint(etcd, other.caFile(), etcd.clientCertFile(), etcd.clientKeyFile());

        assertThat(EtcdTls.diagnose(e, TIMEOUT)).hasValue("TLS handshake with " + where(etcd) + " failed: etcd's "
                + "certificate is signed by an unknown authority (caFile " + other.caFile() + " did not sign "
                + "'CN=localhost'; its issuer is 'CN=etcd-ca', another CA with the same name as the one in caFile)");
        Throwable failure = jetcdFailure(e);
        assertThat(failure).isNotNull();
        assertThat(EtcdErrors.describe(failure)).startsWith("TLS handshake failed: etcd's certificate is not signed "
                + "by a CA in caFile");
        assertThat(EtcdTls.explain(e, new java.util.concurrent.TimeoutException("etcd of good did not answer within "
                + "5000 ms"), TIMEOUT)).contains("signed by an unknown authority");
    }

    @Test
    @DisplayName("a client certificate from another CA: etcd rejected it, naming certFile")
    void clientCertificateOfAnotherCaIsRejected() throws Exception {
        EtcdProcess etcd = GOOD.get("good");
        ClusterEndpoint e = endpoint(etcd, etcd.caFile(), other.clientCertFile(), other.clientKeyFile());

        assertThat(EtcdTls.diagnose(e, TIMEOUT)).hasValueSatisfying(reason -> assertThat(reason)
                .startsWith("TLS handshake with " + where(etcd) + " failed: etcd rejected fedsync's client certificate "
                        + "'CN=kube-apiserver-etcd-client,O=system:masters' (certFile " + other.clientCertFile() + ")")
                .contains("bad_certificate", "etcd must trust that issuer"));
        assertThat(jetcdFailure(e)).isNotNull();
    }

    @Test
    @DisplayName("no client certificate while etcd requires one: says to set certFile and keyFile")
    void missingClientCertificate() throws Exception {
        EtcdProcess etcd = GOOD.get("good");
        ClusterEndpoint e = endpoint(etcd, etcd.caFile(), null, null);

        assertThat(EtcdTls.diagnose(e, TIMEOUT)).hasValueSatisfying(reason -> assertThat(reason)
                .startsWith("TLS handshake with " + where(etcd) + " failed: etcd requires a client certificate")
                .contains("set certFile and keyFile"));
        assertThat(jetcdFailure(e)).isNotNull();
    }

    @Test
    @DisplayName("an expired server certificate: says when it expired")
    void expiredServerCertificate() throws Exception {
        EtcdProcess etcd = EXPIRED.get("expired");
        ClusterEndpoint e = kubeadm(etcd);

        assertThat(EtcdTls.diagnose(e, TIMEOUT)).hasValue("TLS handshake with " + where(etcd) + " failed: etcd's "
                + "certificate 'CN=localhost' expired on 2020-02-01T00:00:00Z");
        Throwable failure = jetcdFailure(e);
        assertThat(failure).isNotNull();
        assertThat(EtcdErrors.describe(failure)).startsWith("TLS handshake failed");
    }

    @Test
    @DisplayName("a server certificate for other names: name mismatch, listing its names")
    void serverCertificateForOtherNames() throws Exception {
        EtcdProcess etcd = WRONG_NAME.get("wrong-name");
        ClusterEndpoint e = kubeadm(etcd);

        assertThat(EtcdTls.diagnose(e, TIMEOUT)).hasValue("TLS handshake with " + where(etcd) + " failed: name "
                + "mismatch: etcd's certificate is for [etcd.example.com, 10.9.8.7] not 127.0.0.1");
        Throwable failure = jetcdFailure(e);
        assertThat(failure).isNotNull();
        assertThat(EtcdErrors.describe(failure)).startsWith("TLS handshake failed");
    }
}
