package io.fedsync.itest.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.WatchRecorder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A short S11: writers on both sides put and delete a small pool of keys, some the same keys at
 * the same time, while fedsyncd is killed with -9 and restarted. Afterwards every key is
 * identical on both sides, holding one side's last write, or named by an open conflict; and
 * the sides go quiet.
 */
@DisplayName("real fedsyncd process killed -9 repeatedly under writers on every side, 2 or 3 real etcd")
class KillRestartSoakIT {

    private static final Logger LOG = LoggerFactory.getLogger(KillRestartSoakIT.class);
    private static final Duration WRITING = Duration.ofSeconds(30);
    private static final Duration KILL_EVERY = Duration.ofSeconds(8);
    private static final int KEYS = 40;
    // The pause soak uses 200 keys: fewer collisions, more keys in flight at the pause.
    private static final int WRITERS_PER_SIDE = 2;

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host", "host2", "host3").build();

    @TempDir
    Path dir;

    private FedsyncdProcess daemon;

    @AfterEach
    void stopDaemon() {
        if (daemon != null) {
            daemon.kill();
        }
    }

    /** The last write a user made to a key on one side, by etcd revision; value null = deleted. */
    private record LastWrite(long revision, String value) {
    }

    @ParameterizedTest(name = "policy {0}, {1} clusters")
    @CsvSource({"hold, 2", "priority, 2", "priority, 3"})
    @DisplayName("kill -9 every 8 s during 30 s of puts and deletes on every side: identical (hold: or an open conflict), one side's last write, quiet")
    void survivesKillsUnderLoad(String policy, int clusters) throws Exception {
        int kills = soak(policy, clusters, KEYS, WRITING, (elapsed, d) -> {
            await().pollDelay(KILL_EVERY).atMost(KILL_EVERY.plusSeconds(1)).until(() -> true);
            d.kill();
            d.start();
            return 1;
        });
        assertThat(kills).isGreaterThanOrEqualTo(3);
    }

    @Test
    @DisplayName("fedsyncd paused (SIGSTOP) 15 s with writes in flight, resumed, killed -9; an etcd paused; a compaction:"
            + " nothing lost")
    void survivesAPauseOfTheMirrorItself() throws Exception {
        int[] step = {0};
        soak("hold", 2, 200, Duration.ofSeconds(40), (elapsed, d) -> {
            switch (step[0]++) {
                case 0 -> {
                    await().pollDelay(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(6)).until(() -> true);
                    LOG.info("[soak] SIGSTOP fedsyncd for 15 s");
                    d.pause();
                    await().pollDelay(Duration.ofSeconds(15)).atMost(Duration.ofSeconds(16)).until(() -> true);
                    d.resume();
                }
                case 1 -> {
                    await().pollDelay(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(6)).until(() -> true);
                    LOG.info("[soak] kill -9 fedsyncd");
                    d.kill();
                    d.start();
                    return 1;
                }
                case 2 -> {
                    await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
                    LOG.info("[soak] SIGSTOP host2's etcd for 3 s");
                    etcd.get("host2").pause();
                    await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
                    etcd.get("host2").resume();
                }
                case 3 -> {
                    LOG.info("[soak] compacting host's etcd");
                    etcd.get("host").compactToCurrent();
                    await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> true);
                }
                default -> await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
            }
            return 0;
        });
        String log = daemon.logText();
        assertThat(log).as("the pause was noticed").contains("was paused for");
    }

    /** Something that happens to the system under test while the writers write; returns kills made. */
    @FunctionalInterface
    private interface Chaos {
        int next(Duration elapsed, FedsyncdProcess daemon);
    }

    /** Writers on every side for {@code writing}, chaos meanwhile; then everything must settle. Returns kills. */
    private int soak(String policy, int clusters, int keyCount, Duration writingFor, Chaos chaos) throws Exception {
        boolean hold = policy.equals("hold");
        List<String> sides = List.of("host", "host2", "host3").subList(0, clusters);
        FedsyncdProcess.Builder b = FedsyncdProcess.builder(dir.resolve("fedsyncd"));
        sides.forEach(side -> b.cluster(side, etcd.get(side)));
        daemon = b.policy(policy, hold ? new String[0] : sides.toArray(String[]::new)).build().start()
                .awaitHealthy(Duration.ofSeconds(60));
        String run = Names.randomSuffix();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < keyCount; i++) {
            keys.add(KubeObjects.userKey(String.format("soak-%s-%03d", run, i)));
        }
        Map<String, Map<String, LastWrite>> last = new java.util.HashMap<>();
        sides.forEach(side -> last.put(side, new ConcurrentHashMap<>()));
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger writes = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(sides.size() * WRITERS_PER_SIDE);
        List<Future<?>> writers = new ArrayList<>();
        for (String side : sides) {
            for (int w = 0; w < WRITERS_PER_SIDE; w++) {
                long seed = (side + w).hashCode();
                writers.add(pool.submit(() -> write(etcd.client(side), side, keys, last.get(side), writing, writes,
                        new Random(seed))));
            }
        }
        long start = System.nanoTime();
        long end = start + writingFor.toNanos();
        int kills = 0;
        while (System.nanoTime() < end) {
            kills += chaos.next(Duration.ofNanos(System.nanoTime() - start), daemon);
        }
        writing.set(false);
        for (Future<?> f : writers) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        daemon.awaitHealthy(Duration.ofSeconds(60));
        LOG.info("[soak {}] {} user writes, {} kills; waiting for the mirror to settle", run, writes.get(), kills);

        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> settled(sides, keys));
        List<WatchRecorder> watches = sides.stream()
                .map(side -> WatchRecorder.open(etcd.client(side), KubeObjects.USERS_PREFIX)).toList();
        try {
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(30))
                    .until(() -> watches.stream().mapToInt(WatchRecorder::count).sum() == 0);
        } finally {
            watches.forEach(WatchRecorder::close);
        }

        int conflicted = 0;
        Map<String, String> openByKey = new java.util.HashMap<>();
        for (var c : daemon.conflicts("state=open")) {
            openByKey.put(c.path("key").asText(), c.path("id").asText());
        }
        for (String key : keys) {
            Map<String, Optional<String>> values = values(sides, key);
            Optional<String> agreed = values.get("host");
            if (values.values().stream().distinct().count() > 1) {
                assertThat(hold).as("%s differs under %s: %s", key, policy, emails(values)).isTrue();
                assertThat(openByKey).as("%s differs: it must be an open conflict", key).containsKey(key);
                conflicted++;
                continue;
            }
            // Agreed: on the value one side wrote last, never an older write brought back.
            List<Optional<String>> lastWrites = new ArrayList<>();
            StringBuilder lastOnSides = new StringBuilder();
            for (String side : sides) {
                LastWrite lw = last.get(side).get(key);
                lastOnSides.append(' ').append(side).append(": ").append(describe(lw));
                if (lw != null) {
                    lastWrites.add(Optional.ofNullable(lw.value()));
                }
            }
            if (!lastWrites.contains(agreed)) {
                String log = daemon.logText().lines().filter(l -> l.contains(key)).reduce("", (x, y) -> x + "\n  " + y);
                LOG.error("[soak {}] {} holds {} everywhere; last user writes:{}; conflicts {}; log:{}", run, key,
                        agreed.map(KubeObjects::emailOf).orElse("(absent)"), lastOnSides,
                        daemon.get("/api/v1/conflicts?key=" + key).body(), log);
            }
            assertThat(lastWrites).as("%s holds %s; last user writes:%s", key,
                    agreed.map(KubeObjects::emailOf).orElse("(absent)"), lastOnSides).contains(agreed);
        }
        LOG.info("[soak {} {}] settled: {} keys identical, {} held as open conflicts", run, policy, keyCount - conflicted,
                conflicted);
        if (!hold) {
            assertThat(daemon.conflicts("state=open")).as("priority resolves every conflict").isEmpty();
        }
        assertThat(writes.get()).isGreaterThan(100);
        return kills;
    }

    private static void write(Client client, String side, List<String> keys, Map<String, LastWrite> last,
                              AtomicBoolean writing, AtomicInteger writes, Random random) {
        int n = 0;
        while (writing.get()) {
            String key = keys.get(random.nextInt(keys.size()));
            String name = key.substring(key.lastIndexOf('/') + 1);
            if (random.nextInt(5) == 0) {
                long rev = deleteRevision(client, key);
                record(last, key, new LastWrite(rev, null));
            } else {
                String value = KubeObjects.user(name, side + "-" + Thread.currentThread().getId() + "-" + (n++) + "@163.com");
                long rev = Kv.put(client, key, value);
                record(last, key, new LastWrite(rev, value));
            }
            writes.incrementAndGet();
            try {
                Thread.sleep(random.nextInt(20));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The revision of the delete (Kv.delete answers how many keys went). */
    private static long deleteRevision(Client client, String key) {
        try {
            return client.getKVClient().delete(Kv.bytes(key)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
        } catch (Exception e) {
            throw new IllegalStateException("delete " + key + " failed", e);
        }
    }

    private static void record(Map<String, LastWrite> last, String key, LastWrite w) {
        last.merge(key, w, (a, b) -> b.revision() >= a.revision() ? b : a);
    }

    private boolean settled(List<String> sides, List<String> keys) {
        var pairs = daemon.status().path("pairs");
        for (var p : pairs) {
            if (p.path("lagRevisions").asLong() != 0 || p.path("lagMillis").asLong() != 0) {
                return false;
            }
        }
        java.util.Set<String> open = new java.util.HashSet<>();
        daemon.conflicts("state=open").forEach(c -> open.add(c.path("key").asText()));
        List<java.util.SortedMap<String, String>> all = sides.stream()
                .map(side -> Kv.keys(etcd.client(side), KubeObjects.USERS_PREFIX)).toList();
        for (String key : keys) {
            java.util.Set<String> distinct = new java.util.HashSet<>();
            all.forEach(m -> distinct.add(String.valueOf(m.get(key))));
            if (distinct.size() > 1 && !open.contains(key)) {
                return false;
            }
        }
        return true;
    }

    private Map<String, Optional<String>> values(List<String> sides, String key) {
        Map<String, Optional<String>> values = new java.util.LinkedHashMap<>();
        sides.forEach(side -> values.put(side, Kv.get(etcd.client(side), key)));
        return values;
    }

    private static String emails(Map<String, Optional<String>> values) {
        StringBuilder b = new StringBuilder();
        values.forEach((side, v) -> b.append(side).append('=').append(v.map(KubeObjects::emailOf).orElse("(absent)"))
                .append(' '));
        return b.toString().trim();
    }

    private static String describe(LastWrite w) {
        return w == null ? "none" : "rev " + w.revision() + " " + (w.value() == null ? "delete" : KubeObjects.emailOf(w.value()));
    }
}
