package io.fedsync.itest.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.fedsync.conflict.Causality;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictSide;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.WatchRecorder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The flip-flop guard against two real etcds with the mirror in this JVM: a "controller" on each
 * host puts its own email back whenever the user differs from what it wants (as a controller
 * fighting a copy does). Each rewrite is a legitimate later write, so the mirror alone would carry
 * the fight back and forth forever; the guard must freeze the key as a flip-flop conflict.
 */
@DisplayName("mirror flip-flop guard, 2 real etcd clusters")
class FlipFlopIT {

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2").build();

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration QUIET = Duration.ofSeconds(3);

    private MirrorHarness mirror;

    @AfterEach
    void stopMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    /** Puts {@code email} back on its cluster whenever the user there has another one. */
    private static final class Controller implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger writes = new AtomicInteger();
        private final Thread thread;

        Controller(Client client, String name, String email) {
            String key = KubeObjects.userKey(name);
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        Optional<String> now = Kv.get(client, key);
                        if (now.isPresent() && !email.equals(KubeObjects.emailOf(now.get()))) {
                            // A new object each time (uid, timestamps): only the email is the same.
                            Kv.put(client, key, KubeObjects.user(name, email));
                            writes.incrementAndGet();
                        }
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        // etcd busy: try again
                    }
                }
            }, "controller-" + email);
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() {
            running.set(false);
            thread.interrupt();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Optional<ConflictRecord> openFlipFlop(String key) {
        return mirror.conflicts().stream()
                .filter(c -> c.key().equals(key) && c.type() == ConflictType.FLIP_FLOP && c.isOpen()).findFirst();
    }

    @Test
    @DisplayName("two controllers fighting through the mirror: frozen as a flip-flop conflict, quiet;"
            + " an operator's winner (the side that lost the last round) reaches the other side once")
    void fightingControllersAreFrozenThenResolved() {
        // priority: a race between the two rewrites is settled by the policy, and counted too.
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Priority(List.of("host", "host2"))).start();
        Client host = ETCD.client("host");
        Client host2 = ETCD.client("host2");
        String name = Names.random("ff");
        String key = KubeObjects.userKey(name);
        Kv.put(host, key, KubeObjects.user(name, "start@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(host2, key).isPresent());

        ConflictRecord frozen;
        try (Controller onHost = new Controller(host, name, "host-ctl@163.com");
             Controller onHost2 = new Controller(host2, name, "host2-ctl@163.com")) {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> openFlipFlop(key).isPresent());
            frozen = openFlipFlop(key).orElseThrow();
            // Frozen: the mirror writes nothing more, so neither controller has anything to undo
            // (a round already in flight when it froze may still land: at most one write per side).
            try (WatchRecorder w1 = WatchRecorder.open(host, key); WatchRecorder w2 = WatchRecorder.open(host2, key)) {
                long[] last = {-1, System.nanoTime()};
                await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
                    long n = w1.count() + 1000L * w2.count();
                    if (n != last[0]) {
                        last[0] = n;
                        last[1] = System.nanoTime();
                    }
                    return System.nanoTime() - last[1] > QUIET.toNanos();
                });
                assertThat(w1.count()).as("writes on host after the freeze").isLessThanOrEqualTo(1);
                assertThat(w2.count()).as("writes on host2 after the freeze").isLessThanOrEqualTo(1);
            }
            assertThat(onHost.writes.get() + onHost2.writes.get()).as("the fight went on for a few rounds first")
                    .isGreaterThanOrEqualTo(3);
        }
        assertThat(KubeObjects.emailOf(Kv.get(host, key).orElseThrow())).isEqualTo("host-ctl@163.com");
        assertThat(KubeObjects.emailOf(Kv.get(host2, key).orElseThrow())).isEqualTo("host2-ctl@163.com");
        assertThat(frozen.clusters()).containsExactly("host", "host2");
        assertThat(frozen.differingPaths()).contains("/spec/email");
        assertThat(mirror.counter("flipFlops")).isPositive();

        // The operator keeps the version of the side that lost the last round (the one the other
        // side's last write dominates, whose value the mirror had no reason to read): the other
        // side is written once, the winner's data not at all, and it stays so.
        ConflictRecord latest = mirror.conflicts().stream().filter(c -> c.id().equals(frozen.id())).findFirst()
                .orElseThrow();
        ConflictSide a = latest.sides().get(0);
        ConflictSide b = latest.sides().get(1);
        String winner = a.vector().compareTo(b.vector()) == Causality.AFTER ? b.cluster() : a.cluster();
        Client winnerSide = ETCD.client(winner);
        Client otherSide = ETCD.client(winner.equals("host") ? "host2" : "host");
        String kept = Kv.get(winnerSide, key).orElseThrow();
        try (WatchRecorder ww = WatchRecorder.open(winnerSide, key); WatchRecorder wo = WatchRecorder.open(otherSide, key)) {
            ConflictRecord resolved = mirror.engine().resolve(frozen.id(), winner);
            assertThat(resolved.state()).isEqualTo(ConflictState.RESOLVED);
            assertThat(resolved.resolution().winner()).isEqualTo(winner);
            await().atMost(WAIT).until(() -> Kv.get(otherSide, key).equals(Optional.of(kept)));
            await().during(QUIET).atMost(QUIET.plus(WAIT)).until(() -> ww.count() == 0 && wo.count() == 1);
        }
        // Counting starts again: an ordinary edit afterwards propagates.
        String edited = KubeObjects.user(name, "after@163.com");
        Kv.put(host2, key, edited);
        await().atMost(WAIT).until(() -> Kv.get(host, key).equals(Optional.of(edited)));
        assertThat(openFlipFlop(key)).isEmpty();
    }

    @Test
    @DisplayName("deleting and re-creating with new content again and again is not a flip-flop")
    void deleteAndRecreateWithNewContentPropagates() {
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        Client host = ETCD.client("host");
        Client host2 = ETCD.client("host2");
        String name = Names.random("dr");
        String key = KubeObjects.userKey(name);
        for (int i = 0; i < 8; i++) {
            String value = KubeObjects.user(name, "take-" + i + "@163.com");
            Kv.put(host, key, value);
            await().atMost(WAIT).until(() -> Kv.get(host2, key).equals(Optional.of(value)));
            Kv.delete(host, key);
            await().atMost(WAIT).until(() -> Kv.get(host2, key).isEmpty());
        }
        assertThat(mirror.conflicts().stream().filter(c -> c.key().equals(key))).isEmpty();
        assertThat(mirror.counter("flipFlops")).isZero();
    }
}
