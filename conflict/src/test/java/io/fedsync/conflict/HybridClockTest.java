package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HybridClockTest {

    private static final long WALL = 1_795_000_000_000L; // 2026-11-18, ms

    private final AtomicLong wall = new AtomicLong(WALL);
    private final HybridClock clock = new HybridClock(wall::get);

    private static long hlc(long physical, long logical) {
        return (physical << 16) | logical;
    }

    @Test
    void physicalAndLogicalParts() {
        long ts = hlc(WALL, 42);
        assertThat(HybridClock.physicalMillis(ts)).isEqualTo(WALL);
        assertThat(HybridClock.logical(ts)).isEqualTo(42);
        assertThat(HybridClock.logical(hlc(WALL, 0xFFFF))).isEqualTo(0xFFFF);
        assertThat(HybridClock.physicalMillis(hlc(WALL, 0xFFFF))).isEqualTo(WALL);
        assertThat(HybridClock.physicalMillis(0)).isZero();
        assertThat(HybridClock.logical(0)).isZero();
    }

    @Test
    void firstReadingIsTheWallClockWithLogicalZero() {
        long ts = clock.now();
        assertThat(HybridClock.physicalMillis(ts)).isEqualTo(WALL);
        assertThat(HybridClock.logical(ts)).isZero();
    }

    @Test
    void readingsWithinOneMillisecondCountUp() {
        long a = clock.now();
        long b = clock.now();
        long c = clock.now();
        assertThat(List.of(a, b, c)).extracting(HybridClock::physicalMillis).containsOnly(WALL);
        assertThat(List.of(a, b, c)).extracting(HybridClock::logical).containsExactly(0L, 1L, 2L);
    }

    @Test
    void logicalPartResetsWhenTheWallClockMovesOn() {
        clock.now();
        clock.now();
        wall.set(WALL + 5);
        long ts = clock.now();
        assertThat(HybridClock.physicalMillis(ts)).isEqualTo(WALL + 5);
        assertThat(HybridClock.logical(ts)).isZero();
    }

    @Test
    void monotonicWhenTheWallClockGoesBackwards() {
        long before = clock.now();
        wall.set(WALL - 60_000); // NTP step back by a minute
        long after = clock.now();
        assertThat(after).isGreaterThan(before);
        assertThat(HybridClock.physicalMillis(after)).isEqualTo(WALL);
        assertThat(HybridClock.logical(after)).isEqualTo(1);
        wall.set(WALL + 1); // the wall clock catches up: physical time again
        long later = clock.now();
        assertThat(later).isEqualTo(hlc(WALL + 1, 0));
    }

    @Test
    void strictlyIncreasingUnderAJitteryWallClock() {
        Random rnd = new Random(SEED);
        long previous = Long.MIN_VALUE;
        for (int i = 0; i < 10_000; i++) {
            wall.addAndGet(rnd.nextInt(11) - 5);
            long ts = clock.now();
            assertThat(ts).as("seed=" + SEED + " i=" + i).isGreaterThan(previous);
            assertThat(HybridClock.physicalMillis(ts)).as("seed=" + SEED + " i=" + i)
                    .isGreaterThanOrEqualTo(wall.get());
            previous = ts;
        }
    }

    @Test
    void staysMonotonicPastTheLogicalCounterCapacity() {
        long previous = clock.now();
        for (int i = 0; i < 70_000; i++) {
            long ts = clock.now();
            assertThat(ts).isGreaterThan(previous);
            previous = ts;
        }
    }

    @Test
    void observeMovesPastARemoteTimestamp() {
        clock.now();
        long remote = hlc(WALL + 10_000, 7); // a peer whose clock is ten seconds ahead
        clock.observe(remote);
        long ts = clock.now();
        assertThat(ts).isGreaterThan(remote);
        assertThat(HybridClock.physicalMillis(ts)).isEqualTo(WALL + 10_000);
        assertThat(HybridClock.logical(ts)).isEqualTo(8);
    }

    @Test
    void observeBeforeAnyReading() {
        long remote = hlc(WALL + 1, 3);
        clock.observe(remote);
        assertThat(clock.now()).isEqualTo(remote + 1);
    }

    @Test
    void observingAnOlderTimestampChangesNothing() {
        clock.now();
        long last = clock.now();
        clock.observe(hlc(WALL - 1000, 500));
        clock.observe(last);
        assertThat(clock.now()).isEqualTo(last + 1);
    }

    @Test
    void systemClockIsNearTheWallClock() {
        long before = System.currentTimeMillis();
        HybridClock system = HybridClock.system();
        long a = system.now();
        long b = system.now();
        long after = System.currentTimeMillis();
        assertThat(b).isGreaterThan(a);
        assertThat(HybridClock.physicalMillis(a)).isBetween(before, after);
    }

    @Test
    void concurrentReadingsAreUnique() throws Exception {
        int threads = 4;
        int perThread = 5_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<Long>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    List<Long> out = new ArrayList<>(perThread);
                    long prev = Long.MIN_VALUE;
                    for (int i = 0; i < perThread; i++) {
                        long ts = clock.now();
                        if (ts <= prev) {
                            throw new AssertionError("not monotonic within a thread: " + prev + " then " + ts);
                        }
                        prev = ts;
                        out.add(ts);
                    }
                    return out;
                }));
            }
            Set<Long> all = new HashSet<>();
            for (Future<List<Long>> f : futures) {
                all.addAll(f.get(30, TimeUnit.SECONDS));
            }
            assertThat(all).hasSize(threads * perThread);
        } finally {
            pool.shutdownNow();
        }
    }
}
