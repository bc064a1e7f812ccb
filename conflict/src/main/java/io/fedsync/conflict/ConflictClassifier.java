package io.fedsync.conflict;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides, from every cluster's version of one key, whether the key is in sync, has one version
 * that includes all others, converged (concurrent but semantically equal), or is a conflict.
 * Deterministic: the same versions always give the same decision, whichever replica decides.
 */
public final class ConflictClassifier {

    private final ObjectNormaliser normaliser;

    public ConflictClassifier(ObjectNormaliser normaliser) {
        this.normaliser = normaliser;
    }

    public ReconcileDecision decide(List<Version> versions) {
        if (versions.isEmpty()) {
            return new ReconcileDecision.InSync();
        }
        List<Version> sorted = new ArrayList<>(versions);
        sorted.sort(Comparator.comparing(Version::cluster));
        List<Version> maximal = maximal(sorted);
        Set<VersionVector> maximalVectors = new LinkedHashSet<>();
        maximal.forEach(v -> maximalVectors.add(v.vector()));
        VersionVector merged = sorted.stream().map(Version::vector).reduce(VersionVector.EMPTY, VersionVector::merge);

        if (maximalVectors.size() == 1) {
            Version winner = maximal.get(0);
            boolean sameContent = maximal.stream().allMatch(winner::sameContent);
            if (!sameContent) {
                // Equal vectors with different bytes cannot come from fedsync's own writes; treat
                // it like any concurrent change rather than pick one silently.
                return concurrent(maximal, merged);
            }
            boolean allHoldIt = sorted.stream()
                    .allMatch(v -> v.vector().equals(winner.vector()) && winner.sameContent(v) && !v.local());
            if (allHoldIt) {
                return new ReconcileDecision.InSync();
            }
            Version stamped = maximal.stream().filter(v -> !v.local()).findFirst().orElse(winner);
            return new ReconcileDecision.Propagate(stamped, winner.vector());
        }
        return concurrent(maximal, merged);
    }

    private ReconcileDecision concurrent(List<Version> maximal, VersionVector merged) {
        Version first = maximal.get(0);
        boolean equivalent = maximal.stream().allMatch(v -> equivalent(first, v));
        if (equivalent) {
            return new ReconcileDecision.Converge(merged, maximal, first);
        }
        boolean anyDeleted = maximal.stream().anyMatch(Version::tombstone);
        boolean anyLive = maximal.stream().anyMatch(v -> !v.tombstone());
        ConflictType type = anyDeleted && anyLive ? ConflictType.UPDATE_VS_DELETE : ConflictType.CONCURRENT_UPDATE;
        return new ReconcileDecision.Conflict(type, maximal, merged);
    }

    private boolean equivalent(Version a, Version b) {
        if (a.tombstone() || b.tombstone()) {
            return a.tombstone() && b.tombstone();
        }
        return normaliser.semanticallyEqual(a.value(), b.value());
    }

    /** Versions no other version strictly dominates, in cluster order. */
    private static List<Version> maximal(List<Version> versions) {
        List<Version> out = new ArrayList<>();
        for (Version v : versions) {
            boolean dominated = versions.stream()
                    .anyMatch(o -> o != v && v.vector().compareTo(o.vector()) == Causality.BEFORE);
            if (!dominated) {
                out.add(v);
            }
        }
        return out;
    }
}
