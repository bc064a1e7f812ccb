package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.wt;
import static io.fedsync.conflict.Fixtures.SEED;
import static io.fedsync.conflict.Fixtures.vv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ConflictRecordTest {

    private static final Instant DETECTED = Instant.parse("2026-11-23T17:19:48Z");
    private static final String KEY = "/registry/iam.kubesphere.io/users/xxp";

    private static final ConflictSide HOST = new ConflictSide("host", "{\"a\":1}".getBytes(), false, vv("host", 2), 10, wt(5));
    private static final ConflictSide HOST2 = new ConflictSide("host2", null, true, vv("host", 1, "host2", 1), 12, wt(6));

    private static ConflictRecord record(ConflictState state, Resolution resolution) {
        return new ConflictRecord("id1", KEY, ConflictType.CONCURRENT_UPDATE, state, List.of("host", "host2"),
                List.of(HOST, HOST2), List.of("/spec/email"), DETECTED, DETECTED, resolution);
    }

    @Nested
    class IdFor {

        @Test
        void isDeterministic() {
            assertThat(ConflictRecord.idFor(KEY, 7_000_000_000_000L)).isEqualTo(ConflictRecord.idFor(KEY, 7_000_000_000_000L));
        }

        @Test
        void isStableAcrossVersions() {
            // sha256("/registry/iam.kubesphere.io/users/xxp\n7000000000000"), first 16 hex digits:
            // replicas and persisted records depend on ids not changing between releases.
            assertThat(ConflictRecord.idFor(KEY, 7_000_000_000_000L)).isEqualTo("67ef2d932b171009");
            assertThat(ConflictRecord.idFor("k", 1)).isEqualTo("82084b9555392b9d");
        }

        @Test
        void isSixteenLowercaseHexDigits() {
            assertThat(ConflictRecord.idFor(KEY, 1)).matches("[0-9a-f]{16}");
            assertThat(ConflictRecord.idFor("", 0)).matches("[0-9a-f]{16}");
        }

        @Test
        void differsByKeyAndByHlc() {
            String base = ConflictRecord.idFor(KEY, 100);
            assertThat(ConflictRecord.idFor(KEY + "x", 100)).isNotEqualTo(base);
            assertThat(ConflictRecord.idFor(KEY, 101)).isNotEqualTo(base);
            assertThat(ConflictRecord.idFor("/a\n1", 2)).isNotEqualTo(ConflictRecord.idFor("/a", 12));
        }

        @Test
        void noCollisionsAcrossManyKeysAndTimes() {
            Random rnd = new Random(SEED);
            Set<String> ids = new HashSet<>();
            Set<String> inputs = new HashSet<>();
            for (int i = 0; i < 20_000; i++) {
                String key = "/registry/iam.kubesphere.io/users/u" + rnd.nextInt(2000);
                long hlc = rnd.nextInt(50);
                if (inputs.add(key + "@" + hlc)) {
                    ids.add(ConflictRecord.idFor(key, hlc));
                }
            }
            assertThat(ids).as("seed=" + SEED).hasSameSizeAs(inputs);
        }
    }

    @Nested
    class Validation {

        @ParameterizedTest
        @EnumSource(value = ConflictState.class, names = {"RESOLVED", "CONVERGED"})
        void endedRecordWithoutResolutionIsRejected(ConflictState state) {
            assertThatThrownBy(() -> record(state, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(state.wireName())
                    .hasMessageContaining("resolution");
        }

        @Test
        void openRecordNeedsNoResolution() {
            ConflictRecord r = record(ConflictState.OPEN, null);
            assertThat(r.isOpen()).isTrue();
            assertThat(r.resolution()).isNull();
        }

        @Test
        void endedRecordWithResolutionIsAccepted() {
            Resolution how = new Resolution("host", "priority", DETECTED.plusSeconds(1));
            ConflictRecord r = record(ConflictState.RESOLVED, how);
            assertThat(r.isOpen()).isFalse();
            assertThat(r.resolution()).isEqualTo(how);
        }

        @Test
        void requiredFieldsAreChecked() {
            List<String> l = List.of();
            Instant t = DETECTED;
            ConflictType ty = ConflictType.FLIP_FLOP;
            ConflictState o = ConflictState.OPEN;
            assertThatThrownBy(() -> new ConflictRecord(null, "k", ty, o, l, List.of(), l, t, t, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("id");
            assertThatThrownBy(() -> new ConflictRecord("i", null, ty, o, l, List.of(), l, t, t, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("key");
            assertThatThrownBy(() -> new ConflictRecord("i", "k", null, o, l, List.of(), l, t, t, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("type");
            assertThatThrownBy(() -> new ConflictRecord("i", "k", ty, null, l, List.of(), l, t, t, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("state");
            assertThatThrownBy(() -> new ConflictRecord("i", "k", ty, o, l, List.of(), l, null, t, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("detectedAt");
            assertThatThrownBy(() -> new ConflictRecord("i", "k", ty, o, l, List.of(), l, t, null, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("updatedAt");
        }

        @Test
        void listsAreCopiedAndUnmodifiable() {
            List<String> clusters = new ArrayList<>(List.of("host", "host2"));
            List<ConflictSide> sides = new ArrayList<>(List.of(HOST, HOST2));
            List<String> paths = new ArrayList<>(List.of("/spec/email"));
            ConflictRecord r = new ConflictRecord("i", KEY, ConflictType.CONCURRENT_UPDATE, ConflictState.OPEN,
                    clusters, sides, paths, DETECTED, DETECTED, null);
            clusters.clear();
            sides.clear();
            paths.add("/x");
            assertThat(r.clusters()).containsExactly("host", "host2");
            assertThat(r.sides()).containsExactly(HOST, HOST2);
            assertThat(r.differingPaths()).containsExactly("/spec/email");
            assertThatThrownBy(() -> r.clusters().add("x")).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> r.sides().clear()).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> r.differingPaths().clear()).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Nested
    class Transitions {

        @Test
        void withSidesReplacesSidesPathsAndUpdateTimeOnly() {
            ConflictRecord r = record(ConflictState.OPEN, null);
            Instant later = DETECTED.plusSeconds(30);
            ConflictSide newer = new ConflictSide("host", "{\"a\":2}".getBytes(), false, vv("host", 3), 20, wt(9));
            ConflictRecord updated = r.withSides(List.of(newer, HOST2), List.of("/a"), later);
            assertThat(updated.sides()).containsExactly(newer, HOST2);
            assertThat(updated.differingPaths()).containsExactly("/a");
            assertThat(updated.updatedAt()).isEqualTo(later);
            assertThat(updated.id()).isEqualTo(r.id());
            assertThat(updated.key()).isEqualTo(r.key());
            assertThat(updated.type()).isEqualTo(r.type());
            assertThat(updated.state()).isEqualTo(ConflictState.OPEN);
            assertThat(updated.clusters()).isEqualTo(r.clusters());
            assertThat(updated.detectedAt()).isEqualTo(DETECTED);
            assertThat(r.sides()).containsExactly(HOST, HOST2);
        }

        @Test
        void resolvedSetsStateResolutionAndUpdateTime() {
            ConflictRecord r = record(ConflictState.OPEN, null);
            Resolution how = new Resolution("host2", "operator", DETECTED.plusSeconds(60));
            ConflictRecord done = r.resolved(ConflictState.RESOLVED, how);
            assertThat(done.state()).isEqualTo(ConflictState.RESOLVED);
            assertThat(done.isOpen()).isFalse();
            assertThat(done.resolution()).isEqualTo(how);
            assertThat(done.updatedAt()).isEqualTo(how.at());
            assertThat(done.detectedAt()).isEqualTo(DETECTED);
            assertThat(done.id()).isEqualTo(r.id());
            assertThat(done.sides()).isEqualTo(r.sides());
            assertThat(r.isOpen()).isTrue();
        }

        @Test
        void convergedHasNoWinner() {
            ConflictRecord done = record(ConflictState.OPEN, null)
                    .resolved(ConflictState.CONVERGED, new Resolution(null, "converged", DETECTED));
            assertThat(done.state()).isEqualTo(ConflictState.CONVERGED);
            assertThat(done.resolution().winner()).isNull();
        }

        @Test
        void recordsWithEqualSidesAreEqual() {
            assertThat(record(ConflictState.OPEN, null)).isEqualTo(record(ConflictState.OPEN, null));
            assertThat(record(ConflictState.OPEN, null).hashCode()).isEqualTo(record(ConflictState.OPEN, null).hashCode());
        }
    }
}
