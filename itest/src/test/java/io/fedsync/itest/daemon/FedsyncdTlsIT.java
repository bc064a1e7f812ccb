package io.fedsync.itest.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.EtcdPki;
import io.fedsync.itest.fixture.EtcdProcess;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.mirror.ClusterEndpoint;
import io.fedsync.mirror.EtcdTls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** fedsyncd as a real process against etcds that require client certificates, with kubeadm's files. */
@DisplayName("real fedsyncd process over TLS: kubeadm's files as they are; a wrong caFile")
class FedsyncdTlsIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2").withTls(true).build();

    @TempDir
    Path dir;

    private FedsyncdProcess daemon;

    @AfterEach
    void stopDaemon() {
        if (daemon != null) {
            daemon.kill();
        }
    }

    private static JsonNode cluster(FedsyncdProcess daemon, String name) {
        for (JsonNode c : daemon.status().path("clusters")) {
            if (c.path("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no cluster " + name + " in " + daemon.status());
    }

    @Test
    @DisplayName("the PKCS#1 key kubeadm writes works as it is: fedsyncd mirrors both ways")
    void kubeadmPkcs1KeyWorks() throws Exception {
        assertThat(Files.readAllLines(ETCD.get("host").clientKeyFile()).get(0))
                .isEqualTo("-----BEGIN RSA PRIVATE KEY-----");
        daemon = FedsyncdProcess.builder(dir.resolve("fedsyncd")).cluster("host", ETCD.get("host"))
                .cluster("host2", ETCD.get("host2")).build().start().awaitHealthy(WAIT);

        String a = KubeObjects.userKey(Names.random("tls-a"));
        String b = KubeObjects.userKey(Names.random("tls-b"));
        Kv.put(ETCD.client("host"), a, KubeObjects.user("tls-a", "a@163.com"));
        Kv.put(ETCD.client("host2"), b, KubeObjects.user("tls-b", "b@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(ETCD.client("host2"), a).isPresent()
                && Kv.get(ETCD.client("host"), b).isPresent());
        await().atMost(WAIT).until(() -> daemon.clusterState("host").equals("live")
                && daemon.clusterState("host2").equals("live"));
        assertThat(daemon.logText()).doesNotContain("PRIVATE KEY", "Exception in thread");
    }

    private FedsyncdProcess withWrongCa(Path otherPki) {
        EtcdPki other = EtcdPki.inDirectory(otherPki);
        EtcdProcess host = ETCD.get("host");
        return FedsyncdProcess.builder(dir.resolve("fedsyncd"))
                .cluster("host", host, other.caFile(), host.clientCertFile(), host.clientKeyFile())
                .cluster("host2", ETCD.get("host2")).build();
    }

    @Test
    @DisplayName("a caFile that did not sign etcd's certificate: fedsyncd starts, the cluster is down, and "
            + "EtcdTls.diagnose on its config says the TLS handshake failed with an unknown authority")
    void wrongCaFileIsDiagnosed() {
        daemon = withWrongCa(dir.resolve("other-pki")).start().awaitHealthy(WAIT);
        await().atMost(WAIT).until(() -> daemon.clusterState("host").equals("down"));
        await().atMost(WAIT).until(() -> daemon.clusterState("host2").equals("live"));

        EtcdPki other = EtcdPki.inDirectory(dir.resolve("other-pki"));
        EtcdProcess host = ETCD.get("host");
        ClusterEndpoint asConfigured = new ClusterEndpoint("host", List.of(host.endpoint()), other.caFile(),
                host.clientCertFile(), host.clientKeyFile());
        assertThat(EtcdTls.diagnose(asConfigured, Duration.ofSeconds(5))).hasValue("TLS handshake with 127.0.0.1:"
                + host.clientPort() + " failed: etcd's certificate is signed by an unknown authority (caFile "
                + other.caFile() + " did not sign 'CN=localhost'; its issuer is 'CN=etcd-ca', another CA with the "
                + "same name as the one in caFile)");
    }

    @Test
    @DisplayName("a wrong caFile: /api/v1/status and the log say the TLS handshake failed and why")
    void wrongCaFileShowsTheTlsReasonInStatusAndLog() {
        daemon = withWrongCa(dir.resolve("other-pki")).start().awaitHealthy(WAIT);

        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode host = cluster(daemon, "host");
            assertThat(host.path("state").asText()).isEqualTo("down");
            assertThat(host.path("error").asText()).startsWith("TLS handshake with 127.0.0.1:"
                    + ETCD.get("host").clientPort() + " failed: etcd's certificate is signed by an unknown authority")
                    .contains(dir.resolve("other-pki").resolve("ca.crt").toString());
        });
        assertThat(daemon.logText()).contains("[host] down: TLS handshake with", "signed by an unknown authority");
    }
}
