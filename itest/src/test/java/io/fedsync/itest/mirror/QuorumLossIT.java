package io.fedsync.itest.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.EtcdQuorum;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.mirror.ClusterEndpoint;
import io.fedsync.mirror.MirrorEngine;
import io.fedsync.mirror.MirrorSettings;
import io.fedsync.mirror.MirrorStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, item 6: no silent stalls. host is a real three-member etcd cluster and fedsync talks
 * to one member; when the other two die, that member still runs but has no leader and no quorum:
 * the mirror must notice (the cluster goes down, with the reason) instead of watching a silent
 * stream, and pick up again when the quorum is back.
 */
@DisplayName("an etcd member cut off from its quorum: 3-member real etcd cluster + 1 real etcd")
class QuorumLossIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host2").build();

    @TempDir
    Path dir;

    private EtcdQuorum host;
    private MirrorEngine mirror;

    @AfterEach
    void tearDown() {
        if (mirror != null) {
            mirror.close();
        }
        if (host != null) {
            host.close();
        }
    }

    private MirrorStatus.ClusterStatus cluster(String name) {
        return mirror.status().clusters().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    @DisplayName("the member fedsync uses loses its quorum: the cluster goes down with the reason, and comes back")
    void quorumLossIsNoticed() {
        host = new EtcdQuorum("host", dir.resolve("host")).start();
        MirrorSettings settings = MirrorSettings.of(List.of(ClusterEndpoint.plain("host", host.endpoint(0)),
                ClusterEndpoint.plain("host2", etcd.get("host2").endpoint())), MirrorHarness.PREFIXES,
                new ResolutionPolicy.Hold());
        mirror = new MirrorEngine(settings, MirrorHarness.newStore());
        mirror.start();
        try (Client member0 = Client.builder().endpoints(host.endpoint(0)).build()) {
            String before = KubeObjects.userKey(Names.random("q"));
            Kv.put(member0, before, KubeObjects.user("q", "q@163.com"));
            await().atMost(WAIT).until(() -> Kv.get(etcd.client("host2"), before).isPresent());

            host.kill(1);
            host.kill(2);
            await().atMost(WAIT).untilAsserted(() -> assertThat(cluster("host").state()).isEqualTo("down"));
            assertThat(cluster("host").error()).as("says why").isNotBlank();
            assertThat(mirror.healthy()).as("one cluster down is not an unhealthy mirror").isTrue();

            host.restart(1);
            host.restart(2);
            host.awaitQuorum();
            await().atMost(WAIT).untilAsserted(() -> assertThat(cluster("host").state()).isEqualTo("live"));
            String after = KubeObjects.userKey(Names.random("q"));
            Kv.put(member0, after, KubeObjects.user("q2", "q2@163.com"));
            await().atMost(WAIT).until(() -> Kv.get(etcd.client("host2"), after).isPresent());
        }
    }
}
