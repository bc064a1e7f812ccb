package io.fedsync.mirror;

import io.fedsync.conflict.ConflictLog;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictSide;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.HybridClock;
import io.fedsync.conflict.ObjectNormaliser;
import io.fedsync.conflict.Resolution;
import io.fedsync.conflict.Version;
import io.fedsync.raft.api.MirrorStateStore;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns reconcile outcomes into conflict records: one open record per held key, updated while it
 * stays open, ended when it is resolved or converges. Every change is stored before it is
 * visible, so a successor sees the same log.
 */
final class ConflictRecorder {

    private static final Logger LOG = LoggerFactory.getLogger(ConflictRecorder.class);

    private final ConflictLog log;
    private final MirrorStateStore store;
    private final ObjectNormaliser normaliser;
    private final HybridClock hlc;
    private final Clock clock;
    final AtomicLong detected = new AtomicLong();
    /** {@link #detected} by type, for {@code /metrics}. */
    final java.util.Map<ConflictType, AtomicLong> detectedByType = new java.util.EnumMap<>(ConflictType.class);

    ConflictRecorder(ConflictLog log, MirrorStateStore store, ObjectNormaliser normaliser, HybridClock hlc,
                     Clock clock) {
        this.log = log;
        this.store = store;
        this.normaliser = normaliser;
        this.hlc = hlc;
        this.clock = clock;
        for (ConflictType t : ConflictType.values()) {
            detectedByType.put(t, new AtomicLong());
        }
    }

    private void detected(ConflictType type) {
        detected.incrementAndGet();
        detectedByType.get(type).incrementAndGet();
    }

    ConflictLog log() {
        return log;
    }

    void held(KeyEntry entry, ConflictType type, List<Version> contenders) {
        List<ConflictSide> sides = contenders.stream().map(ConflictSide::of).toList();
        Optional<ConflictRecord> open = log.openFor(entry.key.wire());
        Instant now = clock.instant();
        if (open.isPresent()) {
            if (!open.get().sides().equals(sides)) {
                save(open.get().withSides(sides, paths(contenders), now));
                LOG.info("[{}] open conflict {} updated: {}", entry.key, open.get().id(), contenders);
            }
            return;
        }
        ConflictRecord r = new ConflictRecord(ConflictRecord.idFor(entry.key.wire(), hlc.now()), entry.key.wire(), type,
                ConflictState.OPEN, clusters(contenders), sides, paths(contenders), now, now, null);
        detected(type);
        save(r);
        LOG.warn("[{}] {} conflict {} between {}: held until an operator resolves it", entry.key, type.wireName(),
                r.id(), r.clusters());
    }

    /** The open flip-flop conflict on the key, if any: while there is one, nothing propagates. */
    Optional<ConflictRecord> openFlipFlop(KeyEntry entry) {
        return log.openFor(entry.key.wire()).filter(r -> r.type() == ConflictType.FLIP_FLOP);
    }

    /**
     * The key's content keeps coming back: it is held as an open {@code flip-flop} conflict (an
     * open conflict of another type on it ends, superseded), its sides kept up to date.
     */
    void flipFlop(KeyEntry entry, List<Version> sidesNow) {
        List<ConflictSide> sides = sidesNow.stream().map(ConflictSide::of).toList();
        Optional<ConflictRecord> open = log.openFor(entry.key.wire());
        Instant now = clock.instant();
        if (open.isPresent() && open.get().type() == ConflictType.FLIP_FLOP) {
            if (!open.get().sides().equals(sides)) {
                save(open.get().withSides(sides, paths(sidesNow), now));
            }
            return;
        }
        ConflictRecord r = new ConflictRecord(ConflictRecord.idFor(entry.key.wire(), hlc.now()), entry.key.wire(),
                ConflictType.FLIP_FLOP, ConflictState.OPEN, clusters(sidesNow), sides, paths(sidesNow), now, now, null);
        if (open.isPresent()) {
            save(open.get().resolved(ConflictState.RESOLVED, new Resolution(null, "flip-flop", now,
                    "superseded by flip-flop conflict " + r.id() + ": the key's content keeps coming back")));
        }
        detected(ConflictType.FLIP_FLOP);
        save(r);
        LOG.warn("[{}] flip-flop conflict {} on {}: the key's content keeps coming back to earlier versions;"
                + " nothing is propagated until an operator resolves it", entry.key, r.id(), r.clusters());
    }

    void resolved(KeyEntry entry, ConflictType type, List<Version> contenders, String winner, String by,
                  String reason) {
        resolved(entry, type, contenders, winner, by, reason, null);
    }

    void resolved(KeyEntry entry, ConflictType type, List<Version> contenders, String winner, String by,
                  String reason, String operatorHow) {
        Instant now = clock.instant();
        Resolution how = new Resolution(winner, by, now, reason, operatorHow);
        Optional<ConflictRecord> open = log.openFor(entry.key.wire());
        ConflictRecord r;
        if (open.isPresent()) {
            r = open.get().resolved(ConflictState.RESOLVED, how);
        } else {
            detected(type);
            r = new ConflictRecord(ConflictRecord.idFor(entry.key.wire(), hlc.now()), entry.key.wire(), type,
                    ConflictState.OPEN,
                    clusters(contenders), contenders.stream().map(ConflictSide::of).toList(), paths(contenders),
                    now, now, null).resolved(ConflictState.RESOLVED, how);
        }
        entry.operator = null;
        save(r);
        LOG.info("[{}] {} conflict {} resolved by {}: {} ({})", entry.key, type.wireName(), r.id(), by,
                winner != null ? winner + " wins" : operatorHow, reason);
    }

    void converged(KeyEntry entry, List<Version> sides) {
        Instant now = clock.instant();
        Resolution how = new Resolution(null, "converged", now, "the sides differ only in fields the apiserver sets");
        Optional<ConflictRecord> open = log.openFor(entry.key.wire());
        ConflictRecord r = open.map(o -> o.resolved(ConflictState.CONVERGED, how)).orElseGet(() ->
                new ConflictRecord(ConflictRecord.idFor(entry.key.wire(), hlc.now()), entry.key.wire(),
                        ConflictType.CONCURRENT_UPDATE, ConflictState.OPEN, clusters(sides),
                        sides.stream().map(ConflictSide::of).toList(), paths(sides), now, now, null)
                        .resolved(ConflictState.CONVERGED, how));
        entry.operator = null;
        save(r);
        LOG.info("[{}] same object on {} (differs only in server-set fields): converged without a data write",
                entry.key, r.clusters());
    }

    /** A dominating version was propagated; an open conflict on the key (if any) is over. */
    void propagated(KeyEntry entry, String winner) {
        log.openFor(entry.key.wire()).ifPresent(open -> {
            // An operator's resolution may end here too: its write reached some clusters, a retry
            // found that version dominating and propagated it to the rest.
            KeyEntry.OperatorChoice operator = entry.operator;
            Resolution how;
            if (operator == null) {
                how = new Resolution(winner, "propagated", clock.instant(),
                        "a later change on " + winner + " includes every side");
            } else if (operator.winner() >= 0) {
                how = new Resolution(winner, operator.by(), clock.instant(), operator.by() + ": picked " + winner,
                        operator.how());
            } else {
                how = new Resolution(null, operator.by(), clock.instant(), operator.by() + ": "
                        + (operator.value() == null ? "deleted on every cluster" : "wrote the operator's object (hash "
                        + MetaRecord.hashOf(operator.value()) + ") to every cluster"), operator.how());
            }
            save(open.resolved(ConflictState.RESOLVED, how));
            entry.operator = null;
        });
    }

    void inSync(KeyEntry entry) {
        log.openFor(entry.key.wire()).ifPresent(open -> {
            save(open.resolved(ConflictState.CONVERGED, new Resolution(null, "converged", clock.instant(),
                    "every side holds the same version now")));
            entry.operator = null;
        });
    }

    private void save(ConflictRecord r) {
        store.saveConflict(r);
        log.put(r);
    }

    private List<String> paths(List<Version> versions) {
        Version a = versions.get(0);
        for (Version b : versions.subList(1, versions.size())) {
            if (!a.tombstone() && !b.tombstone()) {
                return normaliser.differingPaths(a.value(), b.value());
            }
        }
        return List.of();
    }

    private static List<String> clusters(List<Version> versions) {
        return versions.stream().map(Version::cluster).sorted().toList();
    }
}
