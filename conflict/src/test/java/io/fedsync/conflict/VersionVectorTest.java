package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.ALPHABET;
import static io.fedsync.conflict.Fixtures.SEED;
import static io.fedsync.conflict.Fixtures.randomCounters;
import static io.fedsync.conflict.Fixtures.randomVector;
import static io.fedsync.conflict.Fixtures.vv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class VersionVectorTest {

    private static final int RUNS = 3000;

    private static String ctx(int i, Object... vectors) {
        StringBuilder sb = new StringBuilder("seed=").append(SEED).append(" (-Dfedsync.seed) run=").append(i);
        for (Object v : vectors) {
            sb.append(' ').append(v);
        }
        return sb.toString();
    }

    private static Set<String> union(VersionVector... vs) {
        Set<String> out = new TreeSet<>(List.of(ALPHABET));
        for (VersionVector v : vs) {
            out.addAll(v.asMap().keySet());
        }
        return out;
    }

    /** Independent oracle for the partial order: pointwise <=. */
    private static boolean leq(VersionVector a, VersionVector b) {
        for (String c : union(a, b)) {
            if (a.get(c) > b.get(c)) {
                return false;
            }
        }
        return true;
    }

    /** A vector that dominates {@code base}: base plus random non-negative bumps. */
    private static VersionVector above(VersionVector base, Random rnd) {
        VersionVector out = base;
        for (String c : ALPHABET) {
            int bump = rnd.nextInt(3);
            if (bump > 0) {
                out = out.withCounter(c, out.get(c) + bump);
            }
        }
        return out;
    }

    @Nested
    class Properties {

        @Test
        void mergeIsCommutative() {
            Random rnd = new Random(SEED);
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                VersionVector b = randomVector(rnd);
                assertThat(a.merge(b)).as(ctx(i, a, b)).isEqualTo(b.merge(a));
            }
        }

        @Test
        void mergeIsAssociative() {
            Random rnd = new Random(SEED + 1);
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                VersionVector b = randomVector(rnd);
                VersionVector c = randomVector(rnd);
                assertThat(a.merge(b).merge(c)).as(ctx(i, a, b, c)).isEqualTo(a.merge(b.merge(c)));
            }
        }

        @Test
        void mergeIsIdempotent() {
            Random rnd = new Random(SEED + 2);
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                VersionVector b = randomVector(rnd);
                assertThat(a.merge(a)).as(ctx(i, a)).isEqualTo(a);
                assertThat(a.merge(b).merge(b)).as(ctx(i, a, b)).isEqualTo(a.merge(b));
                assertThat(a.merge(VersionVector.EMPTY)).as(ctx(i, a)).isEqualTo(a);
            }
        }

        @Test
        void mergeIsThePointwiseMaximum() {
            Random rnd = new Random(SEED + 3);
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                VersionVector b = randomVector(rnd);
                VersionVector m = a.merge(b);
                for (String c : union(a, b)) {
                    assertThat(m.get(c)).as(ctx(i, a, b) + " cluster " + c).isEqualTo(Math.max(a.get(c), b.get(c)));
                }
                assertThat(m.asMap().values()).as(ctx(i, a, b)).allMatch(n -> n > 0);
            }
        }

        @Test
        void mergeDominatesBothInputs() {
            Random rnd = new Random(SEED + 4);
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                VersionVector b = randomVector(rnd);
                VersionVector m = a.merge(b);
                assertThat(m.dominates(a)).as(ctx(i, a, b, m)).isTrue();
                assertThat(m.dominates(b)).as(ctx(i, a, b, m)).isTrue();
                assertThat(a.compareTo(m)).as(ctx(i, a, m)).isIn(Causality.BEFORE, Causality.EQUAL);
                assertThat(b.compareTo(m)).as(ctx(i, b, m)).isIn(Causality.BEFORE, Causality.EQUAL);
            }
        }

        @Test
        void mergeIsTheLeastUpperBound() {
            Random rnd = new Random(SEED + 5);
            int dominatingBoth = 0;
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                VersionVector b = randomVector(rnd);
                VersionVector m = a.merge(b);
                // Half the time an arbitrary vector, half the time one built to dominate both.
                VersionVector c = rnd.nextBoolean() ? randomVector(rnd) : above(m, rnd);
                if (c.dominates(a) && c.dominates(b)) {
                    dominatingBoth++;
                    assertThat(c.dominates(m)).as(ctx(i, a, b, c, m)).isTrue();
                }
                // ... and the merge is no bigger than needed: lowering any counter loses an input.
                for (String k : m.asMap().keySet()) {
                    VersionVector lower = m.withCounter(k, m.get(k) - 1);
                    assertThat(lower.dominates(a) && lower.dominates(b)).as(ctx(i, a, b, lower)).isFalse();
                }
            }
            assertThat(dominatingBoth).as("enough samples dominate both").isGreaterThan(RUNS / 3);
        }

        @Test
        void compareToAgreesWithThePointwiseOrder() {
            Random rnd = new Random(SEED + 6);
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                VersionVector b = randomVector(rnd);
                boolean le = leq(a, b);
                boolean ge = leq(b, a);
                Causality expected = le && ge ? Causality.EQUAL
                        : le ? Causality.BEFORE
                        : ge ? Causality.AFTER
                        : Causality.CONCURRENT;
                assertThat(a.compareTo(b)).as(ctx(i, a, b)).isEqualTo(expected);
            }
        }

        @Test
        void compareToIsAntisymmetric() {
            Random rnd = new Random(SEED + 7);
            Map<Causality, Integer> seen = new HashMap<>();
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                // Mix in related pairs so that every outcome is well represented.
                VersionVector b = switch (rnd.nextInt(4)) {
                    case 0 -> above(a, rnd);
                    case 1 -> VersionVector.of(a.asMap());
                    default -> randomVector(rnd);
                };
                Causality ab = a.compareTo(b);
                Causality ba = b.compareTo(a);
                seen.merge(ab, 1, Integer::sum);
                String m = ctx(i, a, b);
                assertThat(ab == Causality.BEFORE).as(m).isEqualTo(ba == Causality.AFTER);
                assertThat(ab == Causality.AFTER).as(m).isEqualTo(ba == Causality.BEFORE);
                assertThat(ab == Causality.CONCURRENT).as(m).isEqualTo(ba == Causality.CONCURRENT);
                assertThat(ab == Causality.EQUAL).as(m).isEqualTo(ba == Causality.EQUAL);
                assertThat(ab == Causality.EQUAL).as(m).isEqualTo(a.equals(b));
            }
            assertThat(seen.keySet()).as("seed=" + SEED + " covers every outcome")
                    .containsExactlyInAnyOrder(Causality.values());
        }

        @Test
        void compareToItselfIsEqual() {
            Random rnd = new Random(SEED + 8);
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                assertThat(a.compareTo(a)).as(ctx(i, a)).isEqualTo(Causality.EQUAL);
            }
        }

        @Test
        void incrementGivesAfter() {
            Random rnd = new Random(SEED + 9);
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                String c = ALPHABET[rnd.nextInt(ALPHABET.length)];
                VersionVector inc = a.increment(c);
                String m = ctx(i, a, c, inc);
                assertThat(inc.compareTo(a)).as(m).isEqualTo(Causality.AFTER);
                assertThat(a.compareTo(inc)).as(m).isEqualTo(Causality.BEFORE);
                assertThat(inc.get(c)).as(m).isEqualTo(a.get(c) + 1);
                for (String other : union(a)) {
                    if (!other.equals(c)) {
                        assertThat(inc.get(other)).as(m + " " + other).isEqualTo(a.get(other));
                    }
                }
                assertThat(a.merge(inc)).as(m).isEqualTo(inc);
            }
        }

        @Test
        void dominatesIsReflexive() {
            Random rnd = new Random(SEED + 10);
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                assertThat(a.dominates(a)).as(ctx(i, a)).isTrue();
                assertThat(a.dominates(VersionVector.of(a.asMap()))).as(ctx(i, a)).isTrue();
                assertThat(a.dominates(VersionVector.EMPTY)).as(ctx(i, a)).isTrue();
            }
        }

        @Test
        void dominatesIsTransitive() {
            Random rnd = new Random(SEED + 11);
            int chains = 0;
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                VersionVector b = rnd.nextBoolean() ? above(a, rnd) : randomVector(rnd);
                VersionVector c = rnd.nextBoolean() ? above(b, rnd) : randomVector(rnd);
                if (c.dominates(b) && b.dominates(a)) {
                    chains++;
                    assertThat(c.dominates(a)).as(ctx(i, a, b, c)).isTrue();
                }
            }
            assertThat(chains).as("enough chains sampled").isGreaterThan(RUNS / 5);
        }

        @Test
        void dominatesIsAntisymmetric() {
            Random rnd = new Random(SEED + 12);
            for (int i = 0; i < RUNS; i++) {
                VersionVector a = randomVector(rnd);
                VersionVector b = rnd.nextInt(3) == 0 ? VersionVector.of(a.asMap()) : randomVector(rnd);
                String m = ctx(i, a, b);
                assertThat(a.dominates(b) && b.dominates(a)).as(m).isEqualTo(a.equals(b));
                assertThat(a.dominates(b)).as(m).isEqualTo(leq(b, a));
            }
        }

        @Test
        void zeroCountersEqualAbsentOnes() {
            Random rnd = new Random(SEED + 13);
            for (int i = 0; i < RUNS; i++) {
                Map<String, Long> counters = randomCounters(rnd);
                Map<String, Long> withoutZeros = new HashMap<>(counters);
                withoutZeros.values().removeIf(n -> n == 0);
                VersionVector a = VersionVector.of(counters);
                VersionVector b = VersionVector.of(withoutZeros);
                String m = ctx(i, counters);
                assertThat(a).as(m).isEqualTo(b);
                assertThat(a.hashCode()).as(m).isEqualTo(b.hashCode());
                assertThat(a.compareTo(b)).as(m).isEqualTo(Causality.EQUAL);
                assertThat(a.asMap()).as(m).isEqualTo(withoutZeros);
                assertThat(a.isEmpty()).as(m).isEqualTo(withoutZeros.isEmpty());
            }
        }

        @Test
        void equalsAndHashCodeAreConsistentWhateverTheConstructionRoute() {
            Random rnd = new Random(SEED + 14);
            for (int i = 0; i < RUNS; i++) {
                Map<String, Long> counters = randomCounters(rnd);
                VersionVector viaOf = VersionVector.of(counters);

                List<String> clusters = new ArrayList<>(counters.keySet());
                Collections.shuffle(clusters, rnd);
                VersionVector viaWithCounter = VersionVector.EMPTY;
                VersionVector viaIncrement = VersionVector.EMPTY;
                for (String c : clusters) {
                    viaWithCounter = viaWithCounter.withCounter(c, counters.get(c));
                    for (long n = 0; n < counters.get(c); n++) {
                        viaIncrement = viaIncrement.increment(c);
                    }
                }
                VersionVector viaMerge = VersionVector.EMPTY;
                for (String c : clusters) {
                    viaMerge = viaMerge.merge(VersionVector.of(Map.of(c, counters.get(c))));
                }

                String m = ctx(i, counters);
                for (VersionVector other : List.of(viaWithCounter, viaIncrement, viaMerge)) {
                    assertThat(other).as(m).isEqualTo(viaOf);
                    assertThat(viaOf).as(m).isEqualTo(other);
                    assertThat(other.hashCode()).as(m).isEqualTo(viaOf.hashCode());
                    assertThat(other.toString()).as(m).isEqualTo(viaOf.toString());
                }
                VersionVector different = randomVector(rnd);
                if (different.equals(viaOf)) {
                    assertThat(different.hashCode()).as(ctx(i, different, viaOf)).isEqualTo(viaOf.hashCode());
                    assertThat(different.compareTo(viaOf)).as(ctx(i, different, viaOf)).isEqualTo(Causality.EQUAL);
                } else {
                    assertThat(different.compareTo(viaOf)).as(ctx(i, different, viaOf)).isNotEqualTo(Causality.EQUAL);
                }
            }
        }

        @Test
        void negativeCountersAreRejectedByOf() {
            Random rnd = new Random(SEED + 15);
            for (int i = 0; i < 200; i++) {
                Map<String, Long> counters = randomCounters(rnd);
                String c = ALPHABET[rnd.nextInt(ALPHABET.length)];
                long negative = -1 - rnd.nextInt(5);
                counters.put(c, negative);
                assertThatThrownBy(() -> VersionVector.of(counters)).as(ctx(i, counters))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(c)
                        .hasMessageContaining(String.valueOf(negative));
            }
        }
    }

    @Nested
    class Examples {

        @Test
        void emptyVector() {
            assertThat(VersionVector.EMPTY.isEmpty()).isTrue();
            assertThat(VersionVector.EMPTY.asMap()).isEmpty();
            assertThat(VersionVector.EMPTY.get("host")).isZero();
            assertThat(VersionVector.of(Map.of())).isSameAs(VersionVector.EMPTY);
            assertThat(VersionVector.of(Map.of("a", 0L, "b", 0L))).isEqualTo(VersionVector.EMPTY);
            assertThat(VersionVector.EMPTY.toString()).isEqualTo("{}");
        }

        @Test
        void getReturnsCounterOrZero() {
            VersionVector v = vv("host", 3, "host2", 1);
            assertThat(v.get("host")).isEqualTo(3);
            assertThat(v.get("host2")).isEqualTo(1);
            assertThat(v.get("member")).isZero();
        }

        @Test
        void ofCopiesItsInput() {
            Map<String, Long> m = new HashMap<>(Map.of("a", 1L));
            VersionVector v = VersionVector.of(m);
            m.put("a", 7L);
            m.put("b", 2L);
            assertThat(v).isEqualTo(vv("a", 1));
        }

        @Test
        void asMapIsSortedAndUnmodifiable() {
            VersionVector v = vv("c", 1, "a", 2, "b", 0);
            assertThat(v.asMap()).containsExactly(Map.entry("a", 2L), Map.entry("c", 1L));
            assertThatThrownBy(() -> v.asMap().put("z", 1L)).isInstanceOf(UnsupportedOperationException.class);
            assertThat(v.toString()).isEqualTo("{a=2, c=1}");
        }

        @Test
        void vectorsAreImmutable() {
            VersionVector v = vv("a", 1);
            v.increment("a");
            v.withCounter("b", 4);
            v.merge(vv("c", 9));
            assertThat(v).isEqualTo(vv("a", 1));
        }

        @Test
        void incrementFromNothing() {
            assertThat(VersionVector.EMPTY.increment("host")).isEqualTo(vv("host", 1));
            assertThat(vv("host", 1).increment("host2")).isEqualTo(vv("host", 1, "host2", 1));
            assertThat(vv("host", 1).increment("host")).isEqualTo(vv("host", 2));
        }

        @Test
        void withCounterZeroRemovesTheEntry() {
            VersionVector v = vv("a", 2, "b", 1).withCounter("a", 0);
            assertThat(v).isEqualTo(vv("b", 1));
            assertThat(v.asMap()).containsOnlyKeys("b");
            assertThat(vv("a", 1).withCounter("a", 0)).isEqualTo(VersionVector.EMPTY);
            assertThat(vv("a", 1).withCounter("a", 0).isEmpty()).isTrue();
        }

        @Test
        void mergeExample() {
            assertThat(vv("a", 2, "b", 1).merge(vv("b", 3, "c", 1))).isEqualTo(vv("a", 2, "b", 3, "c", 1));
            assertThat(VersionVector.EMPTY.merge(VersionVector.EMPTY)).isEqualTo(VersionVector.EMPTY);
            assertThat(VersionVector.EMPTY.merge(VersionVector.EMPTY).isEmpty()).isTrue();
        }

        @Test
        void compareExamples() {
            assertThat(vv("a", 1).compareTo(vv("a", 1))).isEqualTo(Causality.EQUAL);
            assertThat(vv("a", 1).compareTo(vv("a", 2))).isEqualTo(Causality.BEFORE);
            assertThat(vv("a", 2).compareTo(vv("a", 1))).isEqualTo(Causality.AFTER);
            assertThat(vv("a", 1).compareTo(vv("b", 1))).isEqualTo(Causality.CONCURRENT);
            assertThat(vv("a", 1).compareTo(vv("a", 1, "b", 1))).isEqualTo(Causality.BEFORE);
            assertThat(vv("a", 2, "b", 1).compareTo(vv("a", 1, "b", 2))).isEqualTo(Causality.CONCURRENT);
            assertThat(VersionVector.EMPTY.compareTo(vv("a", 1))).isEqualTo(Causality.BEFORE);
            assertThat(vv("a", 1).compareTo(VersionVector.EMPTY)).isEqualTo(Causality.AFTER);
            assertThat(VersionVector.EMPTY.compareTo(VersionVector.EMPTY)).isEqualTo(Causality.EQUAL);
            assertThat(vv("a", 0).compareTo(VersionVector.EMPTY)).isEqualTo(Causality.EQUAL);
        }

        @Test
        void dominatesExamples() {
            assertThat(vv("a", 2).dominates(vv("a", 1))).isTrue();
            assertThat(vv("a", 1).dominates(vv("a", 1))).isTrue();
            assertThat(vv("a", 1).dominates(vv("a", 2))).isFalse();
            assertThat(vv("a", 1).dominates(vv("b", 1))).isFalse();
            assertThat(vv("b", 1).dominates(vv("a", 1))).isFalse();
            assertThat(VersionVector.EMPTY.dominates(VersionVector.EMPTY)).isTrue();
        }

        @Test
        void negativeCounterInOfIsRejectedWithAMessageNamingTheCluster() {
            assertThatThrownBy(() -> VersionVector.of(Map.of("host", -1L)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("host")
                    .hasMessageContaining("-1");
        }

        @Test
        void nullCounterIsRejected() {
            Map<String, Long> m = new HashMap<>();
            m.put("host", null);
            assertThatThrownBy(() -> VersionVector.of(m))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("host");
        }

        @Test
        void nullClusterIsRejected() {
            Map<String, Long> m = new HashMap<>();
            m.put(null, 1L);
            assertThatThrownBy(() -> VersionVector.of(m)).isInstanceOf(NullPointerException.class);
        }

        /**
         * {@code of} rejects a negative counter; {@code withCounter} must not smuggle one in by
         * quietly treating it as zero (which silently forgets that cluster's changes).
         */
        @Test
        void negativeCounterInWithCounterIsRejected() {
            assertThatThrownBy(() -> vv("host", 3).withCounter("host", -1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("host");
        }

        @Test
        void equalsIsNotFooledByOtherTypes() {
            assertThat(vv("a", 1)).isNotEqualTo(Map.of("a", 1L));
            assertThat(vv("a", 1)).isNotEqualTo(null);
            assertThat(vv("a", 1)).isNotEqualTo(vv("a", 2));
        }
    }
}
