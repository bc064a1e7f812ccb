package io.fedsync.federation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WorkQueueTest {

    private static final Duration SHORT = Duration.ofMillis(50);

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        long millis = 1_000;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    @Test
    void aKeyAddedTwiceBeforeItIsTakenIsQueuedOnce() throws Exception {
        WorkQueue<String> q = new WorkQueue<>();
        q.add("a");
        q.add("b");
        q.add("a");
        assertThat(q.size()).isEqualTo(2);
        assertThat(q.take(SHORT)).contains("a");
        assertThat(q.take(SHORT)).contains("b");
        assertThat(q.take(SHORT)).isEmpty();
    }

    @Test
    void aKeyHeldByAWorkerIsNotHandedToAnotherAndComesBackWhenDone() throws Exception {
        WorkQueue<String> q = new WorkQueue<>();
        q.add("a");
        assertThat(q.take(SHORT)).contains("a");
        q.add("a"); // changed while being worked on
        assertThat(q.take(SHORT)).as("no second worker gets a held key").isEmpty();
        q.done("a");
        assertThat(q.take(SHORT)).contains("a");
        q.done("a");
        assertThat(q.take(SHORT)).isEmpty();
    }

    @Test
    void delayedKeysWaitUntilDueAndAnAddNowWins() throws Exception {
        ManualClock clock = new ManualClock();
        WorkQueue<String> q = new WorkQueue<>(clock);
        q.addAfter("later", Duration.ofSeconds(5));
        q.addAfter("sooner", Duration.ofSeconds(5));
        assertThat(q.take(SHORT)).isEmpty();
        assertThat(q.delayedCount()).isEqualTo(2);
        q.add("sooner");
        assertThat(q.take(SHORT)).contains("sooner");
        q.done("sooner");
        clock.millis += 5_000;
        assertThat(q.take(SHORT)).contains("later");
        q.done("later");
        assertThat(q.take(SHORT)).as("the superseded delayed entry of 'sooner' is not handed out").isEmpty();
        // An earlier retry replaces a later one; a later one does not replace an earlier one.
        q.addAfter("x", Duration.ofSeconds(10));
        q.addAfter("x", Duration.ofSeconds(1));
        q.addAfter("x", Duration.ofSeconds(20));
        clock.millis += 1_000;
        assertThat(q.take(SHORT)).contains("x");
        q.done("x");
        clock.millis += 20_000;
        assertThat(q.take(SHORT)).isEmpty();
    }

    @Test
    void addUnlessDelayedKeepsARetrysTimeAndQueuesAnyOtherKeyNow() throws Exception {
        ManualClock clock = new ManualClock();
        WorkQueue<String> q = new WorkQueue<>(clock);
        q.addAfter("backing-off", Duration.ofMinutes(5));
        q.addUnlessDelayed("backing-off");
        q.addUnlessDelayed("fresh");
        assertThat(q.take(SHORT)).contains("fresh");
        q.done("fresh");
        assertThat(q.take(SHORT)).as("the retry keeps its time").isEmpty();
        assertThat(q.delayedCount()).isEqualTo(1);
        clock.millis += 5 * 60_000;
        assertThat(q.take(SHORT)).contains("backing-off");
        q.done("backing-off");
        // Once due and taken it waits for nothing: the next pass queues it now.
        q.addUnlessDelayed("backing-off");
        assertThat(q.take(SHORT)).contains("backing-off");
        q.done("backing-off");
    }

    @Test
    void eachTakeTellsHowLongTheKeyWaitedSinceQueuedOrDue() throws Exception {
        ManualClock clock = new ManualClock();
        java.util.List<String> told = new java.util.ArrayList<>();
        WorkQueue<String> q = new WorkQueue<String>(clock).onTake((key, waited) -> told.add(key + " " + waited.toMillis()));
        q.add("a");
        clock.millis += 300;
        q.add("a"); // queued once: the wait counts from the first add
        q.add("b");
        clock.millis += 200;
        assertThat(q.take(SHORT)).contains("a");
        assertThat(q.take(SHORT)).contains("b");
        // A retry waits from when it is due, not from when it was scheduled.
        q.addAfter("c", Duration.ofSeconds(5));
        clock.millis += 5_000 + 40;
        assertThat(q.take(SHORT)).contains("c");
        // Added while held: it waits from when the worker is done with it.
        q.add("a");
        clock.millis += 70;
        q.done("a");
        clock.millis += 10;
        assertThat(q.take(SHORT)).contains("a");
        assertThat(told).containsExactly("a 500", "b 200", "c 40", "a 10");
    }

    @Test
    void shutDownWakesWaitingWorkers() throws Exception {
        WorkQueue<String> q = new WorkQueue<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            var taken = pool.submit(() -> q.take(Duration.ofSeconds(30)));
            q.shutDown();
            assertThat(taken.get(5, TimeUnit.SECONDS)).isEmpty();
            q.add("a");
            assertThat(q.take(SHORT)).isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aGroupAtItsLimitIsPassedOverWhileOtherGroupsGoOn() throws Exception {
        WorkQueue<String> q = new WorkQueue<>(k -> k.charAt(0), 2);
        q.add("a1");
        q.add("a2");
        q.add("a3");
        q.add("b1");
        assertThat(q.take(SHORT)).contains("a1");
        assertThat(q.take(SHORT)).as("groups take turns").contains("b1");
        assertThat(q.take(SHORT)).contains("a2");
        assertThat(q.take(SHORT)).as("a holds its limit of 2 workers").isEmpty();
        assertThat(q.size()).isEqualTo(1);
        q.add("b2");
        assertThat(q.take(SHORT)).as("b is not held up by a").contains("b2");
        q.done("a1");
        assertThat(q.take(SHORT)).contains("a3");
        q.done("a2");
        q.done("a3");
        q.done("b1");
        q.done("b2");
        assertThat(q.take(SHORT)).isEmpty();
        assertThat(q.size()).isZero();
    }

    @Test
    void aGroupWithABacklogDoesNotHoldUpAnotherGroupsFewKeys() throws Exception {
        WorkQueue<String> q = new WorkQueue<>(k -> k.charAt(0), Integer.MAX_VALUE);
        for (int i = 0; i < 100; i++) {
            q.add("a" + i);
        }
        q.add("b0");
        q.add("b1");
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String k = q.take(SHORT).orElseThrow();
            order.add(k);
            q.done(k);
        }
        assertThat(order).containsExactly("a0", "b0", "a1", "b1");
    }

    @Test
    void aWorkerWaitingOnAGroupAtItsLimitTakesItsKeyWhenOneIsDone() throws Exception {
        WorkQueue<String> q = new WorkQueue<>(k -> k.charAt(0), 1);
        q.add("a1");
        q.add("a2");
        assertThat(q.take(SHORT)).contains("a1");
        java.util.concurrent.CompletableFuture<Optional<String>> taken = new java.util.concurrent.CompletableFuture<>();
        Thread worker = new Thread(() -> {
            try {
                taken.complete(q.take(Duration.ofSeconds(30)));
            } catch (InterruptedException e) {
                taken.completeExceptionally(e);
            }
        });
        worker.start();
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> worker.getState() == Thread.State.TIMED_WAITING);
            assertThat(taken).as("a2's group is at its limit").isNotDone();
            q.done("a1");
            assertThat(taken.get(5, TimeUnit.SECONDS)).contains("a2");
        } finally {
            worker.interrupt();
        }
    }

    @Test
    void aPeriodicPassWaitsBehindChangedKeysAndAKeyThatChangesMovesAhead() throws Exception {
        WorkQueue<String> q = new WorkQueue<>(k -> k.charAt(0), Integer.MAX_VALUE);
        q.addBehind("a-resync1");
        q.addBehind("a-resync2");
        q.addBehind("a-resync3");
        q.add("a-changed");
        q.add("a-resync2"); // changed while the pass had it queued
        q.addBehind("a-changed"); // already queued as changed: keeps its place
        q.addBehind("b-resync");
        q.add("c-changed");
        assertThat(q.size()).isEqualTo(6);
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String k = q.take(SHORT).orElseThrow();
            order.add(k);
            q.done(k);
        }
        // Changed keys of every group first (groups taking turns), then the pass's, in the order queued.
        assertThat(order).containsExactly("a-changed", "c-changed", "a-resync2", "b-resync", "a-resync1", "a-resync3");
        assertThat(q.take(SHORT)).isEmpty();
        assertThat(q.size()).isZero();
    }

    @Test
    void aPeriodicPassCutsARetrysDelayShortAndQueuesAHeldKeyAgainWhenDone() throws Exception {
        ManualClock clock = new ManualClock();
        WorkQueue<String> q = new WorkQueue<>(clock, k -> "", Integer.MAX_VALUE);
        q.addAfter("retry", Duration.ofMinutes(5));
        q.addBehind("retry");
        assertThat(q.take(SHORT)).as("queued now, as add() does").contains("retry");
        q.addBehind("retry");
        assertThat(q.take(SHORT)).as("held: not handed out twice").isEmpty();
        q.done("retry");
        assertThat(q.take(SHORT)).as("queued again when done").contains("retry");
        q.done("retry");
        assertThat(q.delayedCount()).isZero();
        assertThat(q.take(SHORT)).isEmpty();
    }

    @Test
    void aPassKeyIsTakenWhenTheOnlyGroupWithChangedKeysIsAtItsLimit() throws Exception {
        WorkQueue<String> q = new WorkQueue<>(k -> k.charAt(0), 1);
        q.add("a1");
        q.add("a2");
        q.addBehind("b-resync");
        assertThat(q.take(SHORT)).contains("a1");
        assertThat(q.take(SHORT)).as("a is at its limit: b's pass key goes on").contains("b-resync");
        q.done("a1");
        assertThat(q.take(SHORT)).contains("a2");
    }

    @Test
    void aGroupsLimitIsAtLeastOne() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WorkQueue<String>(k -> k, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
    }

    @Test
    void manyWorkersNeverHoldOneKeyAtOnceAndEveryAddIsSeen() throws Exception {
        stress(new WorkQueue<>(), k -> 0, Integer.MAX_VALUE);
    }

    @Test
    void manyWorkersOverGroupsNeverExceedAGroupsLimitAndEveryAddIsSeen() throws Exception {
        stress(new WorkQueue<>(k -> k % 3, 2), k -> k % 3, 2);
    }

    @Test
    void aPeriodicPassMixedWithChangesLosesNoAdd() throws Exception {
        stress(new WorkQueue<>(k -> k % 3, 2), k -> k % 3, 2, true);
    }

    private static void stress(WorkQueue<Integer> q, java.util.function.IntUnaryOperator groupOf, int limit)
            throws Exception {
        stress(q, groupOf, limit, false);
    }

    /** @param withPass every third add is a periodic pass's ({@link WorkQueue#addBehind}) */
    private static void stress(WorkQueue<Integer> q, java.util.function.IntUnaryOperator groupOf, int limit,
                               boolean withPass) throws Exception {
        ConcurrentHashMap<Integer, AtomicInteger> perGroup = new ConcurrentHashMap<>();
        AtomicInteger overLimit = new AtomicInteger();
        int keys = 20;
        int adds = 4_000;
        ConcurrentHashMap<Integer, AtomicInteger> holders = new ConcurrentHashMap<>();
        AtomicInteger overlaps = new AtomicInteger();
        // The last add of each key must be followed by at least one processing of that key.
        int[] lastAddStamp = new int[keys];
        int[] processedStamp = new int[keys];
        AtomicInteger stamp = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(4);
        CountDownLatch stop = new CountDownLatch(1);
        List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            fs.add(workers.submit(() -> {
                while (stop.getCount() > 0 || q.size() > 0) {
                    Optional<Integer> k = q.take(Duration.ofMillis(20));
                    if (k.isEmpty()) {
                        continue;
                    }
                    int key = k.get();
                    if (holders.computeIfAbsent(key, x -> new AtomicInteger()).incrementAndGet() > 1) {
                        overlaps.incrementAndGet();
                    }
                    AtomicInteger group = perGroup.computeIfAbsent(groupOf.applyAsInt(key), x -> new AtomicInteger());
                    if (group.incrementAndGet() > limit) {
                        overLimit.incrementAndGet();
                    }
                    int seen = stamp.get();
                    Thread.yield();
                    synchronized (processedStamp) {
                        processedStamp[key] = Math.max(processedStamp[key], seen);
                    }
                    group.decrementAndGet();
                    holders.get(key).decrementAndGet();
                    q.done(key);
                }
                return null;
            }));
        }
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < adds; i++) {
            int key = rnd.nextInt(keys);
            synchronized (processedStamp) {
                lastAddStamp[key] = stamp.incrementAndGet();
            }
            if (withPass && i % 3 == 0) {
                q.addBehind(key);
            } else {
                q.add(key);
            }
        }
        stop.countDown();
        for (var f : fs) {
            f.get(30, TimeUnit.SECONDS);
        }
        workers.shutdown();
        assertThat(overlaps.get()).isZero();
        assertThat(overLimit.get()).as("times a group had more keys held than its limit").isZero();
        List<Integer> missed = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            if (lastAddStamp[k] > 0 && processedStamp[k] < lastAddStamp[k]) {
                missed.add(k);
            }
        }
        assertThat(missed).as("keys whose last add was never processed").isEqualTo(Collections.emptyList());
    }
}
