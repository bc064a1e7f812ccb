package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.wt;
import static io.fedsync.conflict.Fixtures.SEED;
import static io.fedsync.conflict.Fixtures.bytes;
import static io.fedsync.conflict.Fixtures.createdOnHost;
import static io.fedsync.conflict.Fixtures.createdOnHost2;
import static io.fedsync.conflict.Fixtures.deleted;
import static io.fedsync.conflict.Fixtures.editedOnHost;
import static io.fedsync.conflict.Fixtures.live;
import static io.fedsync.conflict.Fixtures.localDeleted;
import static io.fedsync.conflict.Fixtures.localLive;
import static io.fedsync.conflict.Fixtures.randomVector;
import static io.fedsync.conflict.Fixtures.shuffled;
import static io.fedsync.conflict.Fixtures.vv;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Convention used throughout (it is the one {@link ReconcileDecision.Propagate} implies, since it
 * stamps the winner with {@code winner.vector()}): a {@code local} version already carries its
 * origin's incremented counter, e.g. a user created on {@code host} with no metadata yet is
 * {@code {host:1}, local}.
 */
class ConflictClassifierTest {

    private final ConflictClassifier classifier = new ConflictClassifier(ObjectNormaliser.kubernetesDefaults());

    private static final byte[] EMAIL_3 = new String(editedOnHost(), StandardCharsets.UTF_8)
            .replace("xxp-2@163.com", "xxp-3@163.com").getBytes(StandardCharsets.UTF_8);

    private ReconcileDecision decide(Version... versions) {
        return classifier.decide(List.of(versions));
    }

    /** Decides, and checks the decision is the same for 30 shuffles of the input. */
    private ReconcileDecision decideAnyOrder(Version... versions) {
        ReconcileDecision d = decide(versions);
        Random rnd = new Random(SEED);
        for (int i = 0; i < 30; i++) {
            List<Version> in = shuffled(List.of(versions), rnd);
            assertThat(classifier.decide(in)).as("seed=" + SEED + " order " + in).isEqualTo(d);
        }
        return d;
    }

    @Nested
    class Scenarios {

        @Test
        void s1SameUserCreatedOnBothHostsConverges() {
            Version host = localLive("host", vv("host", 1), createdOnHost());
            Version host2 = localLive("host2", vv("host2", 1), createdOnHost2());

            ReconcileDecision d = decideAnyOrder(host, host2);

            assertThat(d).isInstanceOf(ReconcileDecision.Converge.class);
            var converge = (ReconcileDecision.Converge) d;
            assertThat(converge.merged()).isEqualTo(vv("host", 1, "host2", 1));
            assertThat(converge.sides()).containsExactly(host, host2);
            assertThat(converge.representative()).isIn(host, host2);
            assertThat(converge.representative()).isEqualTo(host);
        }

        @Test
        void s1AfterConvergingNothingIsLeftToWrite() {
            // Each side kept its own bytes and was stamped with the merged vector.
            VersionVector merged = vv("host", 1, "host2", 1);
            Version host = live("host", merged, createdOnHost());
            Version host2 = live("host2", merged, createdOnHost2());

            ReconcileDecision d = decideAnyOrder(host, host2);

            // Still the same object: not a conflict, and stamping with "merged" changes nothing.
            assertThat(d).isNotInstanceOf(ReconcileDecision.Conflict.class)
                    .isNotInstanceOf(ReconcileDecision.Propagate.class);
            if (d instanceof ReconcileDecision.Converge c) {
                assertThat(c.merged()).isEqualTo(host.vector()).isEqualTo(host2.vector());
            }
        }

        @Test
        void s1ConvergedPairReachesAMemberThatHasNothing() {
            Version host = localLive("host", vv("host", 1), createdOnHost());
            Version host2 = localLive("host2", vv("host2", 1), createdOnHost2());
            Version member = deleted("member", VersionVector.EMPTY);

            ReconcileDecision d = decideAnyOrder(host, host2, member);

            assertThat(d).isInstanceOf(ReconcileDecision.Converge.class);
            var c = (ReconcileDecision.Converge) d;
            assertThat(c.sides()).containsExactly(host, host2);
            assertThat(c.representative().tombstone()).isFalse();
            assertThat(c.merged()).isEqualTo(vv("host", 1, "host2", 1));
        }

        @Test
        void s2ConcurrentDifferentEditsAreAConflictWithBothVersions() {
            Version host = localLive("host", vv("host", 2), editedOnHost());
            Version host2 = localLive("host2", vv("host", 1, "host2", 1), EMAIL_3);

            ReconcileDecision d = decideAnyOrder(host, host2);

            assertThat(d).isInstanceOf(ReconcileDecision.Conflict.class);
            var conflict = (ReconcileDecision.Conflict) d;
            assertThat(conflict.type()).isEqualTo(ConflictType.CONCURRENT_UPDATE);
            assertThat(conflict.contenders()).containsExactly(host, host2);
            assertThat(conflict.merged()).isEqualTo(vv("host", 2, "host2", 1));
        }

        @Test
        void s2OnceResolvedWithADominatingVectorTheKeyIsInSync() {
            // The policy picked host; the resolution writes host's bytes everywhere with a vector
            // that dominates both sides.
            VersionVector resolved = vv("host", 2, "host2", 1).increment("host");
            Version host = live("host", resolved, editedOnHost());
            Version host2 = live("host2", resolved, editedOnHost());
            assertThat(decideAnyOrder(host, host2)).isEqualTo(new ReconcileDecision.InSync());

            // A side that has not been rewritten yet is simply behind: propagate, no new conflict.
            Version stale = live("host2", vv("host", 1, "host2", 1), EMAIL_3);
            assertThat(decideAnyOrder(host, stale)).isEqualTo(new ReconcileDecision.Propagate(host, resolved));
        }

        @Test
        void s3DeleteVersusConcurrentUpdateIsAnExplicitConflict() {
            Version host = localDeleted("host", vv("host", 2));
            Version host2 = localLive("host2", vv("host", 1, "host2", 1), editedOnHost());

            ReconcileDecision d = decideAnyOrder(host, host2);

            assertThat(d).isInstanceOf(ReconcileDecision.Conflict.class);
            var conflict = (ReconcileDecision.Conflict) d;
            assertThat(conflict.type()).isEqualTo(ConflictType.UPDATE_VS_DELETE);
            assertThat(conflict.contenders()).containsExactly(host, host2);
            assertThat(conflict.merged()).isEqualTo(vv("host", 2, "host2", 1));
        }

        @Test
        void s3DeleteThatDominatesPropagatesATombstone() {
            Version host = localDeleted("host", vv("host", 2));
            Version host2 = live("host2", vv("host", 1), createdOnHost());

            ReconcileDecision d = decideAnyOrder(host, host2);

            assertThat(d).isEqualTo(new ReconcileDecision.Propagate(host, vv("host", 2)));
            var p = (ReconcileDecision.Propagate) d;
            assertThat(p.winner().tombstone()).isTrue();
            assertThat(p.winner().value()).isNull();
        }

        @Test
        void s3NothingReappearsOnceTheTombstoneIsEverywhere() {
            Version host = deleted("host", vv("host", 2));
            Version host2 = deleted("host2", vv("host", 2));
            assertThat(decideAnyOrder(host, host2)).isEqualTo(new ReconcileDecision.InSync());

            // A lagging member still holding the old value does not bring it back.
            Version member = live("member", vv("host", 1), createdOnHost());
            assertThat(decideAnyOrder(host, host2, member))
                    .isEqualTo(new ReconcileDecision.Propagate(host, vv("host", 2)));
        }

        @Test
        void s4SequentialEditsPropagateTheNewer() {
            Version host = live("host", vv("host", 1, "host2", 1), createdOnHost());
            Version host2 = localLive("host2", vv("host", 1, "host2", 2), editedOnHost());

            assertThat(decideAnyOrder(host, host2)).isEqualTo(new ReconcileDecision.Propagate(host2, host2.vector()));
        }

        @Test
        void s4AlternatingSequentialEditsNeverConflict() {
            String[] sides = {"host", "host2"};
            VersionVector synced = vv("host", 1);
            byte[] value = createdOnHost();
            for (int step = 0; step < 10; step++) {
                String editor = sides[step % 2];
                String other = sides[(step + 1) % 2];
                byte[] edited = bytes("{\"kind\":\"User\",\"spec\":{\"email\":\"edit-" + step + "@163.com\"}}");
                Version mine = localLive(editor, synced.increment(editor), edited);
                Version theirs = live(other, synced, value);

                ReconcileDecision d = decideAnyOrder(mine, theirs);

                assertThat(d).as("step " + step).isEqualTo(new ReconcileDecision.Propagate(mine, mine.vector()));
                // The mirror applies it: both sides now hold the edit, stamped.
                synced = mine.vector();
                value = edited;
                assertThat(decideAnyOrder(live(editor, synced, value), live(other, synced, value)))
                        .as("step " + step).isEqualTo(new ReconcileDecision.InSync());
            }
            assertThat(synced).isEqualTo(vv("host", 6, "host2", 5));
        }
    }

    @Nested
    class Cases {

        @Test
        void noVersionsIsInSync() {
            assertThat(classifier.decide(List.of())).isEqualTo(new ReconcileDecision.InSync());
        }

        @Test
        void allEqualIsInSync() {
            VersionVector v = vv("host", 3, "host2", 2);
            ReconcileDecision d = decideAnyOrder(live("host", v, createdOnHost()), live("host2", v, createdOnHost()),
                    live("member", v, createdOnHost()));
            assertThat(d).isEqualTo(new ReconcileDecision.InSync());
        }

        @Test
        void allAbsentIsInSync() {
            assertThat(decideAnyOrder(deleted("host", VersionVector.EMPTY), deleted("host2", VersionVector.EMPTY)))
                    .isEqualTo(new ReconcileDecision.InSync());
        }

        @Test
        void singleStampedVersionIsInSync() {
            assertThat(decide(live("host", vv("host", 1), "v"))).isEqualTo(new ReconcileDecision.InSync());
        }

        @Test
        void singleLocalVersionIsPropagatedSoItGetsStamped() {
            Version host = localLive("host", vv("host", 1), "v");
            assertThat(decide(host)).isEqualTo(new ReconcileDecision.Propagate(host, vv("host", 1)));
        }

        @Test
        void localChangeOnOneSideOnlyIsPropagatedWithTheLocalWinner() {
            Version host = localLive("host", vv("host", 2, "host2", 1), editedOnHost());
            Version host2 = live("host2", vv("host", 1, "host2", 1), createdOnHost());

            ReconcileDecision d = decideAnyOrder(host, host2);

            assertThat(d).isInstanceOf(ReconcileDecision.Propagate.class);
            var p = (ReconcileDecision.Propagate) d;
            assertThat(p.winner()).isEqualTo(host);
            assertThat(p.winner().local()).isTrue();
            assertThat(p.vector()).isEqualTo(vv("host", 2, "host2", 1));
        }

        @Test
        void localCreationOnOneSideReachesTheOthers() {
            Version host = localLive("host", vv("host", 1), createdOnHost());
            Version host2 = deleted("host2", VersionVector.EMPTY);
            Version member = deleted("member", VersionVector.EMPTY);
            assertThat(decideAnyOrder(host, host2, member)).isEqualTo(new ReconcileDecision.Propagate(host, vv("host", 1)));
        }

        @Test
        void laggingClusterGetsTheVersionTwoOthersAgreeOn() {
            VersionVector v = vv("host", 2);
            Version host = localLive("host", v, editedOnHost());
            Version host2 = live("host2", v, editedOnHost());
            Version member = live("member", vv("host", 1), createdOnHost());

            ReconcileDecision d = decideAnyOrder(host, host2, member);

            assertThat(d).isInstanceOf(ReconcileDecision.Propagate.class);
            var p = (ReconcileDecision.Propagate) d;
            assertThat(p.winner()).isIn(host, host2);
            assertThat(p.winner().value()).isEqualTo(editedOnHost());
            assertThat(p.vector()).isEqualTo(v);
        }

        @Test
        void threeClustersOneBehindTwoConcurrent() {
            Version host = localLive("host", vv("host", 2, "host2", 1), editedOnHost());
            Version host2 = localLive("host2", vv("host", 1, "host2", 2), EMAIL_3);
            Version member = live("member", vv("host", 1, "host2", 1), createdOnHost());

            ReconcileDecision d = decideAnyOrder(host, host2, member);

            assertThat(d).isInstanceOf(ReconcileDecision.Conflict.class);
            var c = (ReconcileDecision.Conflict) d;
            assertThat(c.type()).isEqualTo(ConflictType.CONCURRENT_UPDATE);
            assertThat(c.contenders()).containsExactly(host, host2).doesNotContain(member);
            assertThat(c.merged()).isEqualTo(vv("host", 2, "host2", 2));
        }

        @Test
        void threeClustersAllConcurrent() {
            Version a = live("a", vv("a", 1), "{\"v\":1}");
            Version b = live("b", vv("b", 1), "{\"v\":2}");
            Version c = deleted("c", vv("c", 1));

            ReconcileDecision d = decideAnyOrder(c, b, a);

            assertThat(d).isInstanceOf(ReconcileDecision.Conflict.class);
            var conflict = (ReconcileDecision.Conflict) d;
            assertThat(conflict.type()).isEqualTo(ConflictType.UPDATE_VS_DELETE);
            assertThat(conflict.contenders()).containsExactly(a, b, c);
            assertThat(conflict.merged()).isEqualTo(vv("a", 1, "b", 1, "c", 1));
        }

        @Test
        void equalVectorsWithDifferentBytesAreAConflict() {
            VersionVector v = vv("host", 1, "host2", 1);
            Version host = live("host", v, createdOnHost());
            Version host2 = live("host2", v, editedOnHost());

            ReconcileDecision d = decideAnyOrder(host, host2);

            assertThat(d).isInstanceOf(ReconcileDecision.Conflict.class);
            var c = (ReconcileDecision.Conflict) d;
            assertThat(c.type()).isEqualTo(ConflictType.CONCURRENT_UPDATE);
            assertThat(c.contenders()).containsExactly(host, host2);
            assertThat(c.merged()).isEqualTo(v);
        }

        @Test
        void equalVectorsOneDeletedOneLiveAreUpdateVersusDelete() {
            VersionVector v = vv("host", 1);
            Version host = deleted("host", v);
            Version host2 = live("host2", v, createdOnHost());

            ReconcileDecision d = decideAnyOrder(host, host2);

            assertThat(d).isInstanceOf(ReconcileDecision.Conflict.class);
            assertThat(((ReconcileDecision.Conflict) d).type()).isEqualTo(ConflictType.UPDATE_VS_DELETE);
        }

        @Test
        void equalVectorsWithSemanticallyEqualBytesConverge() {
            VersionVector v = vv("host", 1);
            Version host = live("host", v, createdOnHost());
            Version host2 = live("host2", v, createdOnHost2());

            ReconcileDecision d = decideAnyOrder(host, host2);

            assertThat(d).isEqualTo(new ReconcileDecision.Converge(v, List.of(host, host2), host));
        }

        @Test
        void bothDeletedConcurrentlyConverge() {
            Version host = localDeleted("host", vv("host", 2, "host2", 1));
            Version host2 = localDeleted("host2", vv("host", 1, "host2", 2));

            ReconcileDecision d = decideAnyOrder(host, host2);

            assertThat(d).isInstanceOf(ReconcileDecision.Converge.class);
            var c = (ReconcileDecision.Converge) d;
            assertThat(c.merged()).isEqualTo(vv("host", 2, "host2", 2));
            assertThat(c.sides()).containsExactly(host, host2);
            assertThat(c.representative().tombstone()).isTrue();
        }

        @Test
        void concurrentNonJsonValuesAreComparedByteForByte() {
            byte[] proto = {'k', '8', 's', 0, 1, 2, 3};
            Version a = live("a", vv("a", 1), proto);
            Version b = live("b", vv("b", 1), proto.clone());
            assertThat(decideAnyOrder(a, b)).isInstanceOf(ReconcileDecision.Converge.class);

            byte[] other = proto.clone();
            other[6] = 4;
            Version c = live("b", vv("b", 1), other);
            assertThat(decideAnyOrder(a, c)).isInstanceOf(ReconcileDecision.Conflict.class);
        }

        @Test
        void semanticallyEqualButSequentialIsAPlainPropagation() {
            Version host = live("host", vv("host", 1), createdOnHost());
            Version host2 = localLive("host2", vv("host", 1, "host2", 1), createdOnHost2());
            assertThat(decideAnyOrder(host, host2)).isEqualTo(new ReconcileDecision.Propagate(host2, host2.vector()));
        }

        @Test
        void customNormaliserDecidesWhatConverges() {
            ConflictClassifier strict = new ConflictClassifier(new ObjectNormaliser(List.of("/metadata/uid")));
            Version host = localLive("host", vv("host", 1), createdOnHost());
            Version host2 = localLive("host2", vv("host2", 1), createdOnHost2());
            assertThat(strict.decide(List.of(host, host2))).isInstanceOf(ReconcileDecision.Conflict.class);
        }

        @Test
        void inputListIsNotModified() {
            List<Version> in = new ArrayList<>(List.of(live("z", vv("z", 1), "1"), live("a", vv("a", 1), "2")));
            List<Version> copy = List.copyOf(in);
            classifier.decide(in);
            assertThat(in).containsExactlyElementsOf(copy);
        }
    }

    /** Random sets of versions: structural invariants of every decision, and order independence. */
    @Nested
    class Properties {

        private static final String[] CLUSTERS = {"host", "host2", "member", "m2"};

        private Version randomVersion(String cluster, Random rnd) {
            VersionVector v = randomVector(rnd);
            boolean local = rnd.nextInt(4) == 0;
            return switch (rnd.nextInt(5)) {
                case 0 -> new Version(cluster, v, true, null, wt(rnd.nextInt(3)), rnd.nextInt(3), local);
                case 1 -> new Version(cluster, v, false, createdOnHost(), wt(rnd.nextInt(3)), rnd.nextInt(3), local);
                case 2 -> new Version(cluster, v, false, createdOnHost2(), wt(rnd.nextInt(3)), rnd.nextInt(3), local);
                case 3 -> new Version(cluster, v, false, editedOnHost(), wt(rnd.nextInt(3)), rnd.nextInt(3), local);
                default -> new Version(cluster, v, false, bytes("k8s\0" + rnd.nextInt(2)), WriteTime.UNKNOWN, 0, local);
            };
        }

        @Test
        void decisionsAreWellFormedAndIndependentOfInputOrder() {
            Random rnd = new Random(SEED);
            ObjectNormaliser n = ObjectNormaliser.kubernetesDefaults();
            Map<Class<?>, Integer> seen = new java.util.HashMap<>();
            Map<ConflictType, Integer> types = new EnumMap<>(ConflictType.class);
            for (int run = 0; run < 3000; run++) {
                List<Version> versions = new ArrayList<>();
                int count = 1 + rnd.nextInt(CLUSTERS.length);
                for (int i = 0; i < count; i++) {
                    // Sometimes copy another cluster's vector so equal vectors are common.
                    Version v = randomVersion(CLUSTERS[i], rnd);
                    if (i > 0 && rnd.nextInt(3) == 0) {
                        Version prev = versions.get(rnd.nextInt(i));
                        v = new Version(v.cluster(), prev.vector(), v.tombstone(), v.value(), v.writeTime(), v.revision(),
                                v.local());
                    }
                    versions.add(v);
                }
                String ctx = "seed=" + SEED + " run=" + run + " versions=" + versions;
                ReconcileDecision d = classifier.decide(versions);
                seen.merge(d.getClass(), 1, Integer::sum);

                for (int s = 0; s < 5; s++) {
                    assertThat(classifier.decide(shuffled(versions, rnd))).as(ctx).isEqualTo(d);
                }

                VersionVector all = versions.stream().map(Version::vector)
                        .reduce(VersionVector.EMPTY, VersionVector::merge);
                List<Version> maximal = versions.stream()
                        .filter(v -> versions.stream().noneMatch(o -> v.vector().compareTo(o.vector()) == Causality.BEFORE))
                        .sorted(java.util.Comparator.comparing(Version::cluster))
                        .toList();

                if (d instanceof ReconcileDecision.InSync) {
                    assertThat(versions).as(ctx).allSatisfy(v -> {
                        assertThat(v.vector()).isEqualTo(versions.get(0).vector());
                        assertThat(v.sameContent(versions.get(0))).isTrue();
                        assertThat(v.local()).isFalse();
                    });
                } else if (d instanceof ReconcileDecision.Propagate p) {
                    assertThat(versions).as(ctx).contains(p.winner());
                    assertThat(p.vector()).as(ctx).isEqualTo(p.winner().vector()).isEqualTo(all);
                    assertThat(versions).as(ctx).allMatch(v -> p.vector().dominates(v.vector()));
                    assertThat(maximal).as(ctx).allMatch(v -> v.sameContent(p.winner()));
                } else if (d instanceof ReconcileDecision.Converge c) {
                    assertThat(c.merged()).as(ctx).isEqualTo(all);
                    assertThat(c.sides()).as(ctx).containsExactlyElementsOf(maximal);
                    assertThat(c.sides()).as(ctx).contains(c.representative());
                    assertThat(c.sides()).as(ctx).allMatch(v -> v.tombstone() == c.representative().tombstone()
                            && (v.tombstone() || n.semanticallyEqual(v.value(), c.representative().value())));
                } else if (d instanceof ReconcileDecision.Conflict c) {
                    types.merge(c.type(), 1, Integer::sum);
                    assertThat(c.merged()).as(ctx).isEqualTo(all);
                    assertThat(c.contenders()).as(ctx).containsExactlyElementsOf(maximal).hasSizeGreaterThan(1);
                    boolean anyDeleted = c.contenders().stream().anyMatch(Version::tombstone);
                    boolean anyLive = c.contenders().stream().anyMatch(v -> !v.tombstone());
                    assertThat(c.type()).as(ctx).isEqualTo(anyDeleted && anyLive
                            ? ConflictType.UPDATE_VS_DELETE : ConflictType.CONCURRENT_UPDATE);
                    boolean allEquivalent = c.contenders().stream().allMatch(v -> v.tombstone()
                            == c.contenders().get(0).tombstone()
                            && (v.tombstone() || n.semanticallyEqual(v.value(), c.contenders().get(0).value())));
                    assertThat(allEquivalent).as(ctx + ": a conflict needs a real difference").isFalse();
                } else {
                    throw new AssertionError("unknown decision " + d);
                }
            }
            assertThat(seen).as("seed=" + SEED + " covers every decision").containsKeys(
                    ReconcileDecision.InSync.class, ReconcileDecision.Propagate.class,
                    ReconcileDecision.Converge.class, ReconcileDecision.Conflict.class);
            assertThat(types).as("seed=" + SEED).containsKeys(ConflictType.CONCURRENT_UPDATE,
                    ConflictType.UPDATE_VS_DELETE);
        }
    }
}
