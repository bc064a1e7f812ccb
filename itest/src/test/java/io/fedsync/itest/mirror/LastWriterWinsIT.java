package io.fedsync.itest.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.WatchRecorder;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 9, item 2: {@code lww} keeps the later write, by the write's own time (the apiserver's
 * {@code managedFields} time), whichever cluster is listed first and whatever order the mirror
 * looks at them in. The writes happen while the mirror is stopped, as after an outage.
 */
@DisplayName("lww by the write's own time, 3 real etcd clusters")
class LastWriterWinsIT {

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2", "host3").build();

    private static final Duration WAIT = Duration.ofSeconds(30);

    private MirrorHarness mirror;

    @AfterEach
    void stopMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    private static Client client(String name) {
        return ETCD.client(name);
    }

    private List<ConflictRecord> conflictsFor(String key) {
        return mirror.conflicts().stream().filter(c -> c.key().equals(key)).toList();
    }

    /** A user mirrored everywhere, then the mirror stops. */
    private String settledUser(String name) {
        String key = KubeObjects.userKey(name);
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.LastWriterWins()).start();
        Kv.put(client("host"), key, KubeObjects.userEditedAt(name, "first@163.com", Instant.now().minusSeconds(60)));
        await().atMost(WAIT).until(() -> Kv.get(client("host3"), key).isPresent()
                && Kv.get(client("host2"), key).isPresent());
        mirror.awaitSettled();
        mirror.stop();
        return key;
    }

    @ParameterizedTest(name = "earlier write on {0}, the later one 3 s after on {1}")
    @CsvSource({"host2, host", "host, host2", "host3, host", "host, host3"})
    @DisplayName("after an outage the later write wins everywhere, whichever cluster is listed first")
    void theLaterWriteWins(String earlierOn, String laterOn) {
        String name = Names.random("lww");
        String key = settledUser(name);
        Instant t = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        String earlier = KubeObjects.userEditedAt(name, earlierOn + "@163.com", t);
        String later = KubeObjects.userEditedAt(name, laterOn + "@163.com", t.plusSeconds(3));
        Kv.put(client(earlierOn), key, earlier);
        Kv.put(client(laterOn), key, later);

        try (WatchRecorder w1 = WatchRecorder.open(client("host"), key);
             WatchRecorder w2 = WatchRecorder.open(client("host2"), key);
             WatchRecorder w3 = WatchRecorder.open(client("host3"), key)) {
            mirror.start();
            await().atMost(WAIT).until(() -> later.equals(Kv.get(client("host"), key).orElse(""))
                    && later.equals(Kv.get(client("host2"), key).orElse(""))
                    && later.equals(Kv.get(client("host3"), key).orElse("")));
            mirror.awaitSettled();
            // Each cluster that did not hold the later write got it exactly once: no ping-pong.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(8))
                    .until(() -> w1.count() + w2.count() + w3.count() == 2);
        }
        assertThat(conflictsFor(key)).singleElement().satisfies(c -> {
            assertThat(c.state()).isEqualTo(ConflictState.RESOLVED);
            assertThat(c.resolution().by()).isEqualTo("lww");
            assertThat(c.resolution().winner()).isEqualTo(laterOn);
            assertThat(c.resolution().reason()).isEqualTo("lww: " + laterOn + " managedFields time "
                    + t.plusSeconds(3) + " > " + earlierOn + " managedFields time " + t);
        });
    }

    @Test
    @DisplayName("values with no time of their own, written while the mirror was down: a deterministic tie, said so")
    void withoutAnyTimeTheTieGoesToTheNameSortingFirstAndTheRecordSaysWhy() {
        String name = Names.random("plain");
        String key = settledUser(name);
        Kv.put(client("host3"), key, "{\"kind\":\"Thing\",\"spec\":{\"from\":\"host3\"}}");
        Kv.put(client("host2"), key, "{\"kind\":\"Thing\",\"spec\":{\"from\":\"host2\"}}");
        mirror.start();
        await().atMost(WAIT).until(() -> Kv.get(client("host"), key).orElse("").contains("\"from\":\"host2\"")
                && Kv.get(client("host3"), key).orElse("").contains("\"from\":\"host2\""));
        mirror.awaitSettled();
        assertThat(conflictsFor(key)).singleElement().satisfies(c -> {
            assertThat(c.resolution().winner()).isEqualTo("host2");
            assertThat(c.resolution().reason())
                    .isEqualTo("lww: host2 write time unknown = host3 write time unknown (tie: host2 sorts first)");
        });
    }
}
