package io.fedsync.daemon;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictSide;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.Resolution;
import io.fedsync.conflict.VersionVector;
import io.fedsync.conflict.WriteTime;
import io.fedsync.mirror.MirrorService;
import io.fedsync.mirror.MirrorStatus;
import io.fedsync.mirror.VerifyResult;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** A mirror without etcd: tests set what it reports and see what the daemon asked of it. */
public final class FakeMirrorService implements MirrorService {

    public static final Instant T0 = Instant.parse("2025-01-02T03:04:05Z");

    public volatile boolean healthy = true;
    public volatile boolean started;
    public volatile boolean closed;
    public volatile RuntimeException failOnStart;
    /** Runs at the start of {@link #start()} (before {@link #failOnStart} is thrown). */
    public volatile Runnable onStart;
    /** Runs at the start of {@link #healthy()}. */
    public volatile Runnable onHealthy;
    public volatile MirrorStatus status = status("live", "live");
    public final List<ConflictRecord> conflicts = new CopyOnWriteArrayList<>();
    public final List<String> calledFrom = new CopyOnWriteArrayList<>();

    public static MirrorStatus status(String hostState, String host2State) {
        return new MirrorStatus(7, "a-1f2e3d4c", T0, "hold", List.of("/registry/iam.kubesphere.io/"), null,
                List.of(new MirrorStatus.ClusterStatus("host", hostState, 120, List.of("http://127.0.0.1:2379"), null,
                                0, null),
                        new MirrorStatus.ClusterStatus("host2", host2State, 95, List.of("http://127.0.0.1:22379"),
                                "live".equals(host2State) ? null : "connection refused",
                                "live".equals(host2State) ? 0 : 3, "live".equals(host2State) ? null : T0)),
                List.of(new MirrorStatus.PairStatus("host", "host2", 118, 2, 40),
                        new MirrorStatus.PairStatus("host2", "host", 95, 0, 0)),
                List.of(new MirrorStatus.Problem("host", "/registry/iam.kubesphere.io/users/big", "value too large",
                        T0)),
                new VerifyResult(T0, List.of("host", "host2"), 40, 1, 1, 0, 0, 0, 12, null),
                List.of(new MirrorStatus.Notice(T0, "host2", "cursor 99 was ahead of etcd")),
                Map.of("writes", 12L, "echoesDropped", 3L));
    }

    public static ConflictRecord open(String id, String key, ConflictType type, String... clusters) {
        List<ConflictSide> sides = new ArrayList<>();
        for (String c : clusters) {
            sides.add(new ConflictSide(c, ("{\"spec\":\"" + c + "\"}").getBytes(StandardCharsets.UTF_8), false,
                    VersionVector.of(Map.of(c, 1L)), 10, WriteTime.received(1000)));
        }
        return new ConflictRecord(id, key, type, ConflictState.OPEN, List.of(clusters), sides, List.of("/spec"),
                T0, T0, null);
    }

    public static ConflictRecord resolved(String id, String key, String winner, String... clusters) {
        return open(id, key, ConflictType.CONCURRENT_UPDATE, clusters)
                .resolved(ConflictState.RESOLVED, new Resolution(winner, "priority", T0.plusSeconds(5)));
    }

    private void record() {
        calledFrom.add(Thread.currentThread().getName());
    }

    @Override
    public void start() {
        record();
        if (onStart != null) {
            onStart.run();
        }
        if (failOnStart != null) {
            throw failOnStart;
        }
        started = true;
    }

    @Override
    public MirrorStatus status() {
        record();
        return status;
    }

    @Override
    public List<ConflictRecord> conflicts() {
        record();
        return List.copyOf(conflicts);
    }

    @Override
    public Optional<ConflictRecord> conflict(String id) {
        record();
        return conflicts.stream().filter(c -> c.id().equals(id)).findFirst();
    }

    /** Every resolution asked of this mirror: id, how, by. */
    public final List<String> resolutions = new CopyOnWriteArrayList<>();

    /**
     * Resolves like the engine decides (unknown, not open, a winner not a side), without etcd:
     * the record is replaced by its resolved form. A replica that does not mirror refuses.
     */
    @Override
    public synchronized ConflictRecord resolve(String id, io.fedsync.mirror.ResolveAction action, String by) {
        record();
        if (notMirroring != null) {
            throw new IllegalStateException(notMirroring);
        }
        resolutions.add(id + " " + action.how() + " " + by);
        ConflictRecord r = conflicts.stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow(() ->
                new io.fedsync.mirror.ResolveException(io.fedsync.mirror.ResolveException.Kind.UNKNOWN,
                        "no conflict with id '" + id + "'"));
        if (!r.isOpen()) {
            throw new io.fedsync.mirror.ResolveException(io.fedsync.mirror.ResolveException.Kind.NOT_OPEN,
                    "conflict " + id + " is already " + r.state().wireName());
        }
        String winner = null;
        if (action instanceof io.fedsync.mirror.ResolveAction.Winner w) {
            if (!r.clusters().contains(w.cluster())) {
                throw new io.fedsync.mirror.ResolveException(io.fedsync.mirror.ResolveException.Kind.INVALID,
                        "cluster '" + w.cluster() + "' is not a side of conflict " + id);
            }
            winner = w.cluster();
        }
        ConflictRecord done = r.resolved(ConflictState.RESOLVED, new Resolution(winner, by, T0.plusSeconds(60),
                by + ": " + action.how(), action.how()));
        conflicts.replaceAll(c -> c.id().equals(id) ? done : c);
        return done;
    }

    /** What {@link #explain} answers, per key. */
    public final Map<String, io.fedsync.mirror.KeyExplanation> explanations = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public Optional<io.fedsync.mirror.KeyExplanation> explain(String key) {
        record();
        if (notMirroring != null) {
            throw new IllegalStateException(notMirroring);
        }
        return Optional.ofNullable(explanations.get(key));
    }

    public volatile VerifyResult verifyResult = new VerifyResult(T0, List.of("host", "host2"), 40, 0, 0, 0, 0, 0, 12,
            null);

    /** When set, {@link #verify()} refuses with it, as a replica that does not mirror does. */
    public volatile String notMirroring;

    /** How many verification passes were asked for. */
    public final java.util.concurrent.atomic.AtomicInteger verifies = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public java.util.concurrent.CompletableFuture<VerifyResult> verify() {
        record();
        verifies.incrementAndGet();
        if (notMirroring != null) {
            throw new IllegalStateException(notMirroring);
        }
        return java.util.concurrent.CompletableFuture.completedFuture(verifyResult);
    }

    /** What {@link #unhealthyReason()} says; null lets the daemon derive a reason from the status. */
    public volatile String unhealthyReason;

    @Override
    public String unhealthyReason() {
        return unhealthyReason;
    }

    @Override
    public boolean healthy() {
        record();
        if (onHealthy != null) {
            onHealthy.run();
        }
        return healthy;
    }

    @Override
    public void close() {
        closed = true;
    }
}
