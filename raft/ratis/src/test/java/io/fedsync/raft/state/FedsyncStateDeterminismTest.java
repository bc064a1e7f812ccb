package io.fedsync.raft.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.raft.api.CursorKey;
import io.fedsync.raft.api.RegistrationException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Property-style: random logs (valid commands, stale ones, refused ones — member joins and unjoins
 * included — and garbage), each seed
 * printed on failure. Replicas that apply the same log hold the same state and answer the same;
 * a replica restored from a snapshot taken anywhere and fed the rest of the log ends the same.
 */
class FedsyncStateDeterminismTest {

    private static final int MAX_ENDED = 5;

    /** One log entry: the term of the entry and the command's bytes. */
    private record Entry(long term, byte[] bytes) {
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584, 4181, 6765, 10946})
    void sameLogSameStateAndReplies(long seed) {
        List<Entry> log = randomLog(new Random(seed), 300);
        FedsyncState a = new FedsyncState(MAX_ENDED);
        FedsyncState b = new FedsyncState(MAX_ENDED);

        Set<RegistrationException.Kind> refusals = new HashSet<>();
        for (Entry e : log) {
            byte[] reply = a.apply(e.term(), e.bytes());
            assertThat(b.apply(e.term(), e.bytes())).as("seed %d", seed).isEqualTo(reply);
            if (Reply.decode(reply).refusal() != null) {
                refusals.add(Reply.decode(reply).refusal());
            }
        }

        assertThat(b.image().toBytes()).as("seed %d", seed).isEqualTo(a.image().toBytes());
        assertThat(a.conflicts().size()).isGreaterThan(MAX_ENDED - 1);
        assertThat(a.fenceTerm()).isPositive();
        assertThat(refusals).as("the log exercised every member rule").containsExactlyInAnyOrder(
                RegistrationException.Kind.NAME_TAKEN, RegistrationException.Kind.CLUSTER_TAKEN,
                RegistrationException.Kind.NOT_JOINED);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {7, 11, 17, 19, 23, 29, 31, 37, 41, 43})
    void snapshotThenRestOfLogEqualsWholeLog(long seed) {
        Random random = new Random(seed);
        List<Entry> log = randomLog(random, 200);
        int cut = random.nextInt(log.size());
        FedsyncState whole = new FedsyncState(MAX_ENDED);
        FedsyncState first = new FedsyncState(MAX_ENDED);

        for (int i = 0; i < cut; i++) {
            whole.apply(log.get(i).term(), log.get(i).bytes());
            first.apply(log.get(i).term(), log.get(i).bytes());
        }
        FedsyncState restored = FedsyncState.restore(first.image().toBytes(), MAX_ENDED);
        for (int i = cut; i < log.size(); i++) {
            assertThat(restored.apply(log.get(i).term(), log.get(i).bytes())).as("seed %d entry %d", seed, i)
                    .isEqualTo(whole.apply(log.get(i).term(), log.get(i).bytes()));
        }

        assertThat(restored.image().toBytes()).as("seed %d cut %d", seed, cut).isEqualTo(whole.image().toBytes());
    }

    private static List<Entry> randomLog(Random r, int size) {
        List<Entry> log = new ArrayList<>();
        long term = 1;
        Map<String, ConflictRecord> records = new HashMap<>();
        for (int i = 0; i < size; i++) {
            if (r.nextInt(20) == 0) {
                term++; // a new leader
            }
            long asker = r.nextInt(10) == 0 ? Math.max(1, term - 1) : term; // sometimes a deposed leader
            Command c;
            switch (r.nextInt(8)) {
                case 0 -> c = new Command.NextTerm(asker, r.nextBoolean() ? 0 : r.nextInt(500));
                case 1, 2 -> {
                    Map<CursorKey, Long> cursors = new HashMap<>();
                    for (int k = r.nextInt(4); k >= 0; k--) {
                        cursors.put(new CursorKey("c" + r.nextInt(3), "/p" + r.nextInt(3)), (long) r.nextInt(10_000));
                    }
                    c = Command.SetCursors.of(asker, cursors);
                }
                case 3, 4 -> {
                    // Open a conflict (sometimes on a key that already has one: refused), or end one.
                    String id = "c" + r.nextInt(15);
                    ConflictRecord existing = records.get(id);
                    ConflictRecord rec = existing != null && existing.isOpen() && r.nextBoolean()
                            ? Records.resolved(existing, 1000 + i)
                            : Records.open(id, "/k" + r.nextInt(8), r.nextInt(100));
                    records.put(id, rec);
                    c = new Command.PutConflict(rec);
                }
                case 5 -> {
                    // Few names and clusters: taken names, taken clusters and retried joins happen.
                    long joinedAt = r.nextBoolean() ? 1_000 : 1_000 + i;
                    c = new Command.JoinMember(Records.member("m" + r.nextInt(4), "uid-" + r.nextInt(4), joinedAt));
                }
                case 6 -> c = new Command.UnjoinMember("m" + r.nextInt(5));
                default -> c = null;
            }
            byte[] bytes;
            if (c == null) {
                byte[] garbage = new byte[r.nextInt(40)];
                r.nextBytes(garbage);
                bytes = r.nextBoolean() ? garbage : "{\"op\":\"next-term\",\"leaderTerm\":1}".getBytes(StandardCharsets.UTF_8);
            } else {
                bytes = c.encode();
            }
            log.add(new Entry(term, bytes));
        }
        return log;
    }
}
