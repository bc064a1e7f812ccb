package io.fedsync.conflict;

import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A conflict on one key, as reported to operators: every side's version, how it was classified
 * and, once it ended, how. Immutable; the log replaces a record when it changes.
 *
 * @param differingPaths JSON pointers where the sides' normalised objects differ (for diffs)
 */
public record ConflictRecord(String id, String key, ConflictType type, ConflictState state, List<String> clusters,
                             List<ConflictSide> sides, List<String> differingPaths, Instant detectedAt,
                             Instant updatedAt, Resolution resolution) {

    public ConflictRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(state, "state");
        clusters = List.copyOf(clusters);
        sides = List.copyOf(sides);
        differingPaths = List.copyOf(differingPaths);
        Objects.requireNonNull(detectedAt, "detectedAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (state != ConflictState.OPEN && resolution == null) {
            throw new IllegalArgumentException("a " + state.wireName() + " conflict needs its resolution");
        }
    }

    /** A stable id from the key and the hybrid-clock time of detection: replicas derive the same. */
    public static String idFor(String key, long detectedHlc) {
        return Hashing.sha256().hashString(key + "\n" + detectedHlc, StandardCharsets.UTF_8).toString()
                .substring(0, 16);
    }

    public boolean isOpen() {
        return state == ConflictState.OPEN;
    }

    public ConflictRecord withSides(List<ConflictSide> newSides, List<String> newPaths, Instant at) {
        return new ConflictRecord(id, key, type, state, clusters, newSides, newPaths, detectedAt, at, resolution);
    }

    public ConflictRecord resolved(ConflictState newState, Resolution how) {
        return new ConflictRecord(id, key, type, newState, clusters, sides, differingPaths, detectedAt, how.at(), how);
    }
}
