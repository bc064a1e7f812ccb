package io.fedsync.itest.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.Samples;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The mirror over etcds that require TLS client certificates (kubeadm's file layout). */
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

    @Test
    @DisplayName("changes flow both ways and S1 converges over TLS")
    void mirrorsOverTls() {
        assertThat(ETCD.get("host").endpoint()).startsWith("https://");
        assertThat(ETCD.get("host").clientKeyFile().getFileName().toString()).isEqualTo("apiserver-etcd-client.key");
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        String a = Names.random("u");
        String b = Names.random("u");
        String va = KubeObjects.user(a, "a@163.com");
        String vb = KubeObjects.user(b, "b@163.com");
        Kv.put(ETCD.client("host"), KubeObjects.userKey(a), va);
        Kv.put(ETCD.client("host2"), KubeObjects.userKey(b), vb);
        await().atMost(Duration.ofSeconds(30)).until(() ->
                Kv.get(ETCD.client("host2"), KubeObjects.userKey(a)).equals(Optional.of(va))
                        && Kv.get(ETCD.client("host"), KubeObjects.userKey(b)).equals(Optional.of(vb)));

        String key = KubeObjects.userKey(Names.random("xxp"));
        Kv.put(ETCD.client("host"), key, Samples.read("user-xxp-created-on-host.json"));
        Kv.put(ETCD.client("host2"), key, Samples.read("user-xxp-created-on-host2.json"));
        await().atMost(Duration.ofSeconds(30)).until(() -> mirror.conflicts().stream()
                .anyMatch(c -> c.key().equals(key) && c.state() == ConflictState.CONVERGED));
        assertThat(mirror.engine().status().clusters()).allMatch(c -> c.state().equals("live"));
    }
}
