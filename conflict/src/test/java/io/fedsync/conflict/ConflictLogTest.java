package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.wt;
import static io.fedsync.conflict.Fixtures.SEED;
import static io.fedsync.conflict.Fixtures.shuffled;
import static io.fedsync.conflict.Fixtures.vv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ConflictLogTest {

    private static final Instant T0 = Instant.parse("2026-11-23T17:19:47Z");

    private static Instant t(int seconds) {
        return T0.plusSeconds(seconds);
    }

    private static ConflictRecord open(String id, String key, int detectedSecond) {
        return open(id, key, detectedSecond, ConflictType.CONCURRENT_UPDATE);
    }

    private static ConflictRecord open(String id, String key, int detectedSecond, ConflictType type) {
        ConflictSide host = new ConflictSide("host", "{\"a\":1}".getBytes(), false, vv("host", 2), 10, wt(1));
        ConflictSide host2 = new ConflictSide("host2", null, true, vv("host", 1, "host2", 1), 11, wt(2));
        return new ConflictRecord(id, key, type, ConflictState.OPEN, List.of("host", "host2"),
                List.of(host, host2), List.of("/spec/email"), t(detectedSecond), t(detectedSecond), null);
    }

    private static ConflictRecord resolved(ConflictRecord r, int atSecond) {
        return r.resolved(ConflictState.RESOLVED, new Resolution("host", "operator", t(atSecond)));
    }

    private static ConflictRecord converged(String id, String key, int detectedSecond) {
        return open(id, key, detectedSecond).resolved(ConflictState.CONVERGED,
                new Resolution(null, "converged", t(detectedSecond)));
    }

    private static List<String> ids(List<ConflictRecord> records) {
        return records.stream().map(ConflictRecord::id).toList();
    }

    @Test
    void negativeBoundIsRejected() {
        assertThatThrownBy(() -> new ConflictLog(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxEnded");
    }

    @Test
    void emptyLog() {
        ConflictLog log = new ConflictLog(10);
        assertThat(log.all()).isEmpty();
        assertThat(log.openCount()).isZero();
        assertThat(log.get("nope")).isEmpty();
        assertThat(log.openFor("/k")).isEmpty();
    }

    @Test
    void theSameIdOnAnotherKeyLeavesTheOldKeyWithoutAnOpenConflict() {
        // Found by the Raft state's random-log test: a restored snapshot must equal the replayed log.
        ConflictLog log = new ConflictLog(10);
        log.put(open("x", "/a", 1));
        log.put(open("x", "/b", 2));
        assertThat(log.openFor("/a")).isEmpty();
        assertThat(log.openFor("/b")).map(ConflictRecord::id).contains("x");
        assertThat(log.openCount()).isEqualTo(1);
        ConflictLog replayed = new ConflictLog(10);
        replayed.replaceAll(log.all());
        assertThat(replayed.openFor("/a")).isEmpty();
        assertThat(replayed.openCount()).isEqualTo(log.openCount());
    }

    @Nested
    class OneOpenConflictPerKey {

        @Test
        void putAndGet() {
            ConflictLog log = new ConflictLog(10);
            ConflictRecord a = open("a", "/k", 1);
            log.put(a);
            assertThat(log.get("a")).contains(a);
            assertThat(log.openFor("/k")).contains(a);
            assertThat(log.openCount()).isEqualTo(1);
        }

        @Test
        void secondOpenConflictForTheSameKeyIsRejected() {
            ConflictLog log = new ConflictLog(10);
            ConflictRecord a = open("a", "/k", 1);
            log.put(a);
            assertThatThrownBy(() -> log.put(open("b", "/k", 2)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("/k")
                    .hasMessageContaining("a");
            assertThat(log.get("b")).isEmpty();
            assertThat(log.openFor("/k")).contains(a);
            assertThat(log.all()).containsExactly(a);
            assertThat(log.openCount()).isEqualTo(1);
        }

        @Test
        void openConflictsOnDifferentKeysCoexist() {
            ConflictLog log = new ConflictLog(10);
            log.put(open("a", "/k1", 1));
            log.put(open("b", "/k2", 2));
            assertThat(log.openCount()).isEqualTo(2);
            assertThat(log.openFor("/k1")).get().extracting(ConflictRecord::id).isEqualTo("a");
            assertThat(log.openFor("/k2")).get().extracting(ConflictRecord::id).isEqualTo("b");
        }

        @Test
        void sameIdCanBeUpdatedWhileOpen() {
            ConflictLog log = new ConflictLog(10);
            ConflictRecord a = open("a", "/k", 1);
            log.put(a);
            ConflictRecord updated = a.withSides(List.of(), List.of("/spec"), t(5));
            log.put(updated);
            assertThat(log.get("a")).contains(updated);
            assertThat(log.openFor("/k")).contains(updated);
            assertThat(log.all()).hasSize(1);
            assertThat(log.openCount()).isEqualTo(1);
        }

        @Test
        void resolvingFreesTheKey() {
            ConflictLog log = new ConflictLog(10);
            ConflictRecord a = open("a", "/k", 1);
            log.put(a);
            log.put(resolved(a, 3));
            assertThat(log.openFor("/k")).isEmpty();
            assertThat(log.openCount()).isZero();
            assertThat(log.get("a")).get().extracting(ConflictRecord::state).isEqualTo(ConflictState.RESOLVED);

            ConflictRecord b = open("b", "/k", 4);
            log.put(b);
            assertThat(log.openFor("/k")).contains(b);
            assertThat(log.openCount()).isEqualTo(1);
            assertThat(ids(log.all())).containsExactly("a", "b");
        }

        @Test
        void convergedRecordsNeverHoldTheKey() {
            ConflictLog log = new ConflictLog(10);
            log.put(converged("c", "/k", 1));
            assertThat(log.openFor("/k")).isEmpty();
            assertThat(log.openCount()).isZero();
            log.put(open("o", "/k", 2));
            assertThat(log.openCount()).isEqualTo(1);
        }

        @Test
        void resolvingAnEndedConflictOfTheKeyDoesNotFreeTheCurrentOpenOne() {
            ConflictLog log = new ConflictLog(10);
            ConflictRecord a = open("a", "/k", 1);
            log.put(a);
            log.put(resolved(a, 2));
            ConflictRecord b = open("b", "/k", 3);
            log.put(b);
            // a late duplicate of a's resolution must not release b's hold on the key
            log.put(resolved(a, 4));
            assertThat(log.openFor("/k")).contains(b);
            assertThat(log.openCount()).isEqualTo(1);
        }

        /**
         * Re-putting an ended record as open (e.g. an operator "reopens" it, or a stale update
         * arrives) while another conflict is open for the key must be rejected like any second
         * open conflict: the one-open-per-key rule must hold whatever the id's history.
         */
        @Test
        void reopeningAnEndedConflictWhileAnotherIsOpenForTheKeyIsRejected() {
            ConflictLog log = new ConflictLog(10);
            ConflictRecord a = open("a", "/k", 1);
            log.put(a);
            log.put(resolved(a, 2));
            ConflictRecord b = open("b", "/k", 3);
            log.put(b);

            assertThatThrownBy(() -> log.put(a)).isInstanceOf(IllegalStateException.class);

            assertThat(log.openFor("/k")).contains(b);
            assertThat(log.list(ConflictRecord::isOpen)).extracting(ConflictRecord::id).containsExactly("b");
            assertThat(log.openCount()).isEqualTo(1);
        }

        @Test
        void reopeningAnEndedConflictIsFineWhenTheKeyIsFree() {
            ConflictLog log = new ConflictLog(10);
            ConflictRecord a = open("a", "/k", 1);
            log.put(a);
            log.put(resolved(a, 2));
            log.put(a);
            assertThat(log.openFor("/k")).contains(a);
            assertThat(log.openCount()).isEqualTo(1);
        }
    }

    @Nested
    class Bound {

        @Test
        void oldestEndedRecordsAreDroppedFirst() {
            ConflictLog log = new ConflictLog(2);
            log.put(converged("e1", "/k1", 1));
            log.put(converged("e2", "/k2", 2));
            log.put(converged("e3", "/k3", 3));
            assertThat(ids(log.all())).containsExactly("e2", "e3");
            assertThat(log.get("e1")).isEmpty();
            log.put(converged("e4", "/k4", 4));
            assertThat(ids(log.all())).containsExactly("e3", "e4");
        }

        @Test
        void openRecordsAreNeverDropped() {
            ConflictLog log = new ConflictLog(1);
            log.put(open("o1", "/k1", 1));
            log.put(open("o2", "/k2", 2));
            log.put(converged("e1", "/k3", 3));
            log.put(open("o3", "/k4", 4));
            log.put(converged("e2", "/k5", 5));
            log.put(converged("e3", "/k6", 6));
            assertThat(ids(log.all())).containsExactly("o1", "o2", "o3", "e3");
            assertThat(log.openCount()).isEqualTo(3);
        }

        @Test
        void zeroBoundKeepsOnlyOpenRecords() {
            ConflictLog log = new ConflictLog(0);
            for (int i = 0; i < 50; i++) {
                log.put(open("o" + i, "/k" + i, i));
            }
            log.put(converged("c", "/other", 100));
            assertThat(log.all()).hasSize(50).allMatch(ConflictRecord::isOpen);
            ConflictRecord o7 = log.get("o7").orElseThrow();
            log.put(resolved(o7, 200));
            assertThat(log.get("o7")).isEmpty();
            assertThat(log.openCount()).isEqualTo(49);
            assertThat(log.openFor("/k7")).isEmpty();
        }

        @Test
        void resolvingCountsAgainstTheBound() {
            ConflictLog log = new ConflictLog(2);
            ConflictRecord o = open("o", "/k0", 0);
            log.put(o);
            log.put(converged("e1", "/k1", 1));
            log.put(converged("e2", "/k2", 2));
            assertThat(log.all()).hasSize(3);
            log.put(resolved(o, 3));
            assertThat(log.list(r -> !r.isOpen())).hasSize(2);
            assertThat(log.openCount()).isZero();
        }

        @Test
        void manyRecordsStayWithinTheBound() {
            Random rnd = new Random(SEED);
            ConflictLog log = new ConflictLog(5);
            List<ConflictRecord> open = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                if (!open.isEmpty() && rnd.nextBoolean()) {
                    ConflictRecord r = open.remove(rnd.nextInt(open.size()));
                    log.put(resolved(r, i));
                } else {
                    ConflictRecord r = open("r" + i, "/k" + i, i);
                    open.add(r);
                    log.put(r);
                }
                String ctx = "seed=" + SEED + " step=" + i;
                assertThat(log.openCount()).as(ctx).isEqualTo(open.size());
                assertThat(log.list(ConflictRecord::isOpen)).as(ctx).hasSize(open.size());
                assertThat(log.list(r -> !r.isOpen()).size()).as(ctx).isLessThanOrEqualTo(5);
            }
        }

        /**
         * A replica that reloaded its log (replaceAll from a snapshot) must keep dropping the same
         * records as one that applied every put: otherwise replicas of the replicated conflict log
         * diverge. Here the records arrived out of detection order (as pipelined keys can).
         */
        @Test
        void trimmingAfterAReloadMatchesTrimmingWithoutOne() {
            ConflictRecord older = converged("older", "/k1", 1);
            ConflictRecord newer = converged("newer", "/k2", 2);
            ConflictRecord newest = converged("newest", "/k3", 3);

            ConflictLog applied = new ConflictLog(2);
            applied.put(newer);
            applied.put(older);

            ConflictLog reloaded = new ConflictLog(2);
            reloaded.replaceAll(applied.all());
            assertThat(reloaded.all()).isEqualTo(applied.all());

            applied.put(newest);
            reloaded.put(newest);
            assertThat(ids(applied.all()))
                    .as("log that applied every put (trims by arrival order) vs the reloaded one (replaceAll "
                            + "re-inserts by detectedAt)")
                    .isEqualTo(ids(reloaded.all()));
        }
    }

    @Nested
    class Listing {

        @Test
        void listIsOrderedByDetectionTimeThenId() {
            ConflictLog log = new ConflictLog(10);
            log.put(open("z", "/k1", 5));
            log.put(open("b", "/k2", 1));
            log.put(open("a", "/k3", 5));
            log.put(converged("c", "/k4", 3));
            assertThat(ids(log.all())).containsExactly("b", "c", "a", "z");
        }

        @Test
        void filters() {
            ConflictLog log = new ConflictLog(10);
            log.put(open("a", "/k1", 1));
            log.put(open("b", "/k2", 2, ConflictType.UPDATE_VS_DELETE));
            log.put(converged("c", "/k3", 3));
            ConflictRecord d = open("d", "/k1x", 4);
            log.put(d);
            log.put(resolved(d, 5));

            assertThat(ids(log.list(ConflictRecord::isOpen))).containsExactly("a", "b");
            assertThat(ids(log.list(r -> !r.isOpen()))).containsExactly("c", "d");
            assertThat(ids(log.list(r -> r.type() == ConflictType.UPDATE_VS_DELETE))).containsExactly("b");
            assertThat(ids(log.list(r -> r.state() == ConflictState.CONVERGED))).containsExactly("c");
            assertThat(ids(log.list(r -> r.key().equals("/k1")))).containsExactly("a");
            assertThat(log.list(r -> false)).isEmpty();
        }

        @Test
        void listIsASnapshot() {
            ConflictLog log = new ConflictLog(10);
            log.put(open("a", "/k1", 1));
            List<ConflictRecord> all = log.all();
            log.put(open("b", "/k2", 2));
            assertThat(all).hasSize(1);
            all.clear();
            assertThat(log.all()).hasSize(2);
        }
    }

    @Nested
    class ReplaceAll {

        @Test
        void replacesEverything() {
            ConflictLog log = new ConflictLog(10);
            log.put(open("old", "/k0", 0));
            ConflictRecord a = open("a", "/k1", 2);
            ConflictRecord c = converged("c", "/k2", 1);
            log.replaceAll(List.of(a, c));
            assertThat(log.get("old")).isEmpty();
            assertThat(log.openFor("/k0")).isEmpty();
            assertThat(log.openFor("/k1")).contains(a);
            assertThat(log.openCount()).isEqualTo(1);
            assertThat(ids(log.all())).containsExactly("c", "a");
        }

        @Test
        void replaceWithNothingEmptiesTheLog() {
            ConflictLog log = new ConflictLog(10);
            log.put(open("a", "/k1", 1));
            log.replaceAll(List.of());
            assertThat(log.all()).isEmpty();
            assertThat(log.openCount()).isZero();
        }

        @Test
        void appliesTheBoundDroppingOldestEnded() {
            ConflictLog log = new ConflictLog(2);
            log.replaceAll(List.of(converged("e3", "/k3", 3), open("o", "/k0", 0), converged("e1", "/k1", 1),
                    converged("e2", "/k2", 2)));
            assertThat(ids(log.all())).containsExactly("o", "e2", "e3");
        }

        @Test
        void twoOpenRecordsForOneKeyAreRejected() {
            ConflictLog log = new ConflictLog(10);
            assertThatThrownBy(() -> log.replaceAll(List.of(open("a", "/k", 1), open("b", "/k", 2))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("/k");
        }

        @Test
        void keyIsUsableAfterReplacingAnOpenConflictWithItsResolution() {
            ConflictLog log = new ConflictLog(10);
            ConflictRecord a = open("a", "/k", 1);
            log.put(a);
            log.replaceAll(List.of(resolved(a, 2)));
            assertThat(log.openFor("/k")).isEmpty();
            log.put(open("b", "/k", 3));
            assertThat(log.openCount()).isEqualTo(1);
        }

        /**
         * The same persisted records must give the same log whatever order the collection
         * yields them in (snapshots may be read back from hash-ordered structures), including
         * records detected in the same instant.
         */
        @Test
        void resultDoesNotDependOnTheOrderOfTheInput() {
            List<ConflictRecord> records = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                records.add(converged("e" + i, "/k" + i, i / 3)); // several share one detection time
            }
            records.add(open("o", "/open", 0));
            ConflictLog reference = new ConflictLog(3);
            reference.replaceAll(records);
            Random rnd = new Random(SEED);
            for (int run = 0; run < 30; run++) {
                List<ConflictRecord> order = shuffled(records, rnd);
                ConflictLog log = new ConflictLog(3);
                log.replaceAll(order);
                assertThat(ids(log.all())).as("seed=" + SEED + " input " + ids(order))
                        .isEqualTo(ids(reference.all()));
            }
        }
    }

    @Test
    void concurrentPutsKeepTheInvariants() throws Exception {
        ConflictLog log = new ConflictLog(20);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int thread = 0; thread < 4; thread++) {
                int th = thread;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        ConflictRecord r = open("t" + th + "-" + i, "/k" + th + "-" + i, i);
                        log.put(r);
                        if (i % 2 == 0) {
                            log.put(resolved(r, i + 1));
                        }
                        log.all();
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(log.openCount()).isEqualTo(4 * 250);
        assertThat(log.list(ConflictRecord::isOpen)).hasSize(4 * 250);
        assertThat(log.list(r -> !r.isOpen())).hasSize(20);
    }
}
