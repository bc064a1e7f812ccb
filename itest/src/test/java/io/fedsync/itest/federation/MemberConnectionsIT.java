package io.fedsync.itest.federation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.federation.FederatedKind;
import io.fedsync.federation.KubeCluster;
import io.fedsync.federation.Profile;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.kube.KubeApis;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The federation writes to a member with many calls in flight (up to half of
 * {@code federation.workers}). Over HTTP/1.1 each needs a connection; the client must keep them
 * for the next writes instead of closing all but a few and connecting again (and, with TLS,
 * shaking hands again) for nearly every write. Against the Kubernetes API stand-in (a test
 * fixture) over a real etcd, which serves HTTP/1.1 and counts the connections it accepts.
 */
@DisplayName("member writes over the Kubernetes API stand-in (real etcd): calls in flight together reuse their connections")
class MemberConnectionsIT {

    private static final FederatedKind USERS = Profile.KUBESPHERE_V3.kinds().get(0);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Writes the stand-in holds until all of them arrived: that many are in flight at once. */
    private static final int TOGETHER = 8;
    private static final CyclicBarrier ARRIVED = new CyclicBarrier(TOGETHER);

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("member").build();

    @RegisterExtension
    static final KubeApis KUBE = KubeApis.over(ETCD).admission("member", (resource, object) -> {
        try {
            ARRIVED.await(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the " + TOGETHER + " writes of a round did not arrive together: " + e);
        }
    }).build();

    @Test
    @DisplayName("three rounds of 8 writes in flight together open 8 connections, not 8 more per round")
    void writesInFlightTogetherReuseTheirConnections() throws Exception {
        KubeCluster member = KubeCluster.connect("member", KUBE.kubeconfig("member"), null);
        String prefix = Names.random("conn");
        ExecutorService callers = Executors.newFixedThreadPool(TOGETHER);
        try {
            List<Long> connectionsAfter = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                List<Future<String>> writes = new ArrayList<>();
                for (int i = 0; i < TOGETHER; i++) {
                    String name = prefix + "-" + round + "-" + i;
                    ObjectNode user = (ObjectNode) JSON.readTree(KubeObjects.user(name, name + "@example.com"));
                    writes.add(callers.submit(() -> member.createVersion(USERS.target(), user)));
                }
                for (Future<String> w : writes) {
                    assertThat(w.get(30, TimeUnit.SECONDS)).as("the new object's resourceVersion").isNotBlank();
                }
                connectionsAfter.add(KUBE.api("member").connectionCount());
            }
            System.out.println("connections accepted by the member's stand-in after each round of " + TOGETHER
                    + " writes in flight together: " + connectionsAfter);
            assertThat(connectionsAfter.get(0)).as("connections for the first round's writes in flight together")
                    .isGreaterThanOrEqualTo(TOGETHER);
            assertThat(connectionsAfter).as("connections after each round: the later rounds reuse the first's")
                    .containsOnly(connectionsAfter.get(0));
        } finally {
            callers.shutdownNow();
        }
    }
}
