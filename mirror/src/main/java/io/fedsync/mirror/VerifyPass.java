package io.fedsync.mirror;

import io.etcd.jetcd.kv.TxnResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One verification pass (anti-entropy; see mirror/DESIGN.md): the keys its sweep sent to be
 * reconciled and what came of them, the tombstones it may collect, and its result. Runs on the
 * loader thread; workers report outcomes through {@link #outcome}.
 */
final class VerifyPass {

    private final MirrorEngine engine;
    final Instant started;
    List<String> clusters = List.of();
    long keysChecked;
    long explained;
    private final Map<Key, KeyReconciler.Action> outcomes = new ConcurrentHashMap<>();
    private final List<KeyEntry> tombstones = new ArrayList<>();
    private final List<long[]> tombstoneMetaRevs = new ArrayList<>();
    private long collected;

    VerifyPass(MirrorEngine engine, Instant started) {
        this.engine = engine;
        this.started = started;
    }

    /** The key differs with nothing to explain it: its reconcile's outcome is waited for. */
    void watch(Key key) {
        outcomes.putIfAbsent(key, KeyReconciler.Action.NOTHING);
        engine.verifyWatch().put(key, this);
    }

    void outcome(Key key, KeyReconciler.Action action) {
        outcomes.put(key, action);
    }

    void awaitOutcomes(Duration atMost) {
        Map<Key, VerifyPass> watched = engine.verifyWatch();
        long deadline = System.nanoTime() + atMost.toNanos();
        while (engine.running() && System.nanoTime() < deadline && watched.values().stream().anyMatch(r -> r == this)) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        watched.values().removeIf(r -> r == this);
    }

    /** A tombstone every configured cluster holds, older than the retention: collected after the sweep. */
    void considerTombstone(KeyEntry e, Observation[] seen, List<Sweep.Member> members) {
        int n = engine.links().size();
        if (members.size() != n) {
            return;
        }
        MetaRecord first = seen[0].meta();
        if (first == null || !first.tombstone()) {
            return;
        }
        long ageMillis = engine.clock().millis() - first.writeTime().millis();
        if (first.writeTime().known() && ageMillis < engine.settings().tombstoneRetention().toMillis()) {
            return;
        }
        long[] metaRevs = new long[n];
        for (int c = 0; c < n; c++) {
            if (seen[c].dataPresent() || seen[c].meta() == null || !seen[c].meta().sameVersion(first)) {
                return;
            }
            metaRevs[c] = seen[c].metaModRev();
        }
        tombstones.add(e);
        tombstoneMetaRevs.add(metaRevs);
    }

    void collectTombstones() {
        KeyQueue queue = engine.table().queue();
        for (int i = 0; i < tombstones.size() && engine.running() && !engine.fenced(); i++) {
            KeyEntry e = tombstones.get(i);
            if (!queue.tryAcquire(e.key)) {
                continue;
            }
            try {
                if (collect(e, tombstoneMetaRevs.get(i))) {
                    collected++;
                }
            } finally {
                queue.done(e.key);
            }
        }
        if (collected > 0) {
            engine.count("tombstonesCollected", collected);
        }
    }

    /** Deletes the tombstone's metadata everywhere, each delete conditional on it being as listed. */
    private boolean collect(KeyEntry e, long[] metaRevs) {
        List<ClusterLink> links = engine.links();
        List<CompletableFuture<TxnResponse>> deletes = new ArrayList<>();
        for (ClusterLink l : links) {
            deletes.add(l.deleteMeta(e.key, metaRevs[l.index], engine.token()));
        }
        boolean all = true;
        for (ClusterLink l : links) {
            try {
                TxnResponse r = deletes.get(l.index).get(engine.writeWaitMillis(), TimeUnit.MILLISECONDS);
                if (r.isSucceeded()) {
                    e.slots[l.index].collected(r.getHeader().getRevision());
                } else {
                    all = false;
                }
            } catch (Exception ex) {
                e.slots[l.index].markStale();
                all = false;
            }
        }
        if (all && e.empty() && engine.allLive()) {
            engine.table().remove(e);
        }
        return all;
    }

    VerifyResult result(long tookMillis, String error) {
        long divergent = 0;
        long repaired = 0;
        long conflicts = 0;
        for (KeyReconciler.Action a : outcomes.values()) {
            switch (a) {
                case PROPAGATED, CONVERGED -> {
                    divergent++;
                    repaired++;
                }
                case RESOLVED, HELD -> {
                    divergent++;
                    conflicts++;
                }
                case REFUSED, NOTHING -> divergent++;
                case IN_SYNC -> {
                }
            }
        }
        return new VerifyResult(started, clusters, keysChecked, divergent, repaired, conflicts, explained,
                collected, tookMillis, error);
    }

    /** At most one pass waits to run; a request while one waits joins it. */
    static final class Requests {
        private CompletableFuture<VerifyResult> waiting;

        synchronized CompletableFuture<VerifyResult> request(ExecutorService thread, Supplier<VerifyResult> run) {
            if (waiting != null && !waiting.isDone()) {
                return waiting;
            }
            CompletableFuture<VerifyResult> f = new CompletableFuture<>();
            waiting = f;
            try {
                thread.submit(() -> {
                    synchronized (this) {
                        if (waiting == f) {
                            waiting = null;
                        }
                    }
                    try {
                        f.complete(run.get());
                    } catch (RuntimeException | Error e) {
                        f.completeExceptionally(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                f.completeExceptionally(new IllegalStateException("the mirror is stopping"));
            }
            return f;
        }
    }
}
