package io.fedsync.itest.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.EtcdPki;
import io.fedsync.itest.fixture.EtcdProcess;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.Samples;
import io.fedsync.mirror.ClusterEndpoint;
import io.fedsync.mirror.MirrorSettings;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The mirror over etcds that require TLS client certificates, in kubeadm's file layout, with
 * the client key in each form fedsync accepts: PKCS#1 exactly as kubeadm writes
 * {@code apiserver-etcd-client.key}, SEC1 EC and PKCS#8.
 */
@DisplayName("mirror over TLS with client certificates, 2 real etcd clusters")
class TlsMirrorIT {

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2").withTls(true).build();

    private MirrorHarness mirror;

    @AfterEach
    void stopMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    private static ClusterEndpoint endpoint(EtcdProcess p, EtcdPki.KeyForm form) {
        return new ClusterEndpoint(p.name(), List.of(p.endpoint()), p.caFile(), p.clientCertFile(form),
                p.clientKeyFile(form));
    }

    private static MirrorSettings withKeyForm(MirrorSettings s, EtcdPki.KeyForm form) {
        List<ClusterEndpoint> clusters = ETCD.processes().stream().map(p -> endpoint(p, form)).toList();
        return s.withClusters(clusters);
    }

    @ParameterizedTest(name = "client key {0} ({1})")
    @CsvSource({
            "PKCS1_RSA, -----BEGIN RSA PRIVATE KEY-----",
            "SEC1_EC, -----BEGIN EC PRIVATE KEY-----",
            "PKCS8_RSA, -----BEGIN PRIVATE KEY-----"})
    @DisplayName("S1 converges and changes flow both ways over TLS")
    void mirrorsOverTls(EtcdPki.KeyForm form, String firstLine) throws Exception {
        EtcdProcess host = ETCD.get("host");
        assertThat(host.endpoint()).startsWith("https://");
        assertThat(host.clientKeyFile(form).getFileName().toString()).isEqualTo("apiserver-etcd-client.key");
        assertThat(Files.readAllLines(host.clientKeyFile(form)).get(0)).isEqualTo(firstLine);
        // S1 with the mirror stopped: written while it runs, the second put could land after the
        // first was already copied over, and that is a later edit, not a concurrent one.
        String key = KubeObjects.userKey(Names.random("xxp"));
        Kv.put(ETCD.client("host"), key, Samples.read("user-xxp-created-on-host.json"));
        Kv.put(ETCD.client("host2"), key, Samples.read("user-xxp-created-on-host2.json"));

        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold(), MirrorHarness.newStore(),
                s -> withKeyForm(s, form)).start();
        assertThat(mirror.settings().clusters()).allMatch(c -> c.keyFile().equals(
                ETCD.get(c.name()).clientKeyFile(form)));
        await().atMost(Duration.ofSeconds(30)).until(() -> mirror.conflicts().stream()
                .anyMatch(c -> c.key().equals(key) && c.state() == ConflictState.CONVERGED));

        String a = Names.random("u");
        String b = Names.random("u");
        String va = KubeObjects.user(a, "a@163.com");
        String vb = KubeObjects.user(b, "b@163.com");
        Kv.put(ETCD.client("host"), KubeObjects.userKey(a), va);
        Kv.put(ETCD.client("host2"), KubeObjects.userKey(b), vb);
        await().atMost(Duration.ofSeconds(30)).until(() ->
                Kv.get(ETCD.client("host2"), KubeObjects.userKey(a)).equals(Optional.of(va))
                        && Kv.get(ETCD.client("host"), KubeObjects.userKey(b)).equals(Optional.of(vb)));
        assertThat(mirror.engine().status().clusters()).allMatch(c -> c.state().equals("live"));
    }
}
