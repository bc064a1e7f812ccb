package io.fedsync.mirror;

import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.fedsync.conflict.ConflictClassifier;
import io.fedsync.conflict.ConflictLog;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.HybridClock;
import io.fedsync.conflict.ObjectNormaliser;
import io.fedsync.raft.api.CursorKey;
import io.fedsync.raft.api.MirrorStateStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bidirectional (N-way) etcd mirror. See mirror/DESIGN.md for how it works and why.
 *
 * <p>Who writes what: only this engine writes fedsync's metadata and fence keys; in the mirrored
 * prefixes it writes only through conditional Txns (data mod_revision as last read, fence equal
 * to its token). Per key, exactly one owner at a time (see {@link KeyQueue}).
 *
 * <p>Threads: watch callbacks only record events and queue keys; workers reconcile keys; one
 * loader thread brings clusters up and runs sweeps (loads and verification passes) one at a
 * time; a timer probes clusters, saves cursors and runs the watchdog.
 */
public final class MirrorEngine implements MirrorService, MirrorContext {

    private static final Logger LOG = LoggerFactory.getLogger(MirrorEngine.class);
    private static final int WORKERS = 256;
    private static final long PROBE_MILLIS = 1000;
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    enum ClusterState { CONNECTING, LOADING, LIVE, DOWN, FENCED }

    private final MirrorSettings settings;
    private final MirrorStateStore store;
    private final Clock clock;
    private final KeySpace keySpace;
    private final HybridClock hlc = HybridClock.system();
    private final ConflictRecorder recorder;
    private final Problems problems;
    private final KeyReconciler reconciler;
    private final io.fedsync.conflict.FlipFlopGuard flipFlops;
    /** Keys the flip-flop guard remembers at most (least recently changed forgotten first). */
    private static final int FLIP_FLOP_KEYS = 10_000;
    private final ValueGuard valueGuard;
    private final KeyTable table;
    private final OwedKeys owed;
    private final Watchdog watchdog;
    private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
    private final ArrayDeque<MirrorStatus.Notice> notices = new ArrayDeque<>();
    private final String owner;
    private final int n;
    /** Guards start and close. */
    private final Object lifecycleLock = new Object();
    /** Guards cluster state transitions (down, fenced). */
    private final Object stateLock = new Object();

    private volatile List<ClusterLink> links = List.of();
    private final ClusterState[] states;
    private final String[] errors;
    private final long[] probeRevision;
    private final Instant[] downSince;
    private final Map<Integer, List<Watching>> watchers = new ConcurrentHashMap<>();

    private record Watching(Watch.Watcher watcher, WatchFeed listener) {
    }
    private Cursors cursors;
    private Map<CursorKey, Long> lastSavedCursors = Map.of();
    private Loader loader;

    private ExecutorService workers;
    private ScheduledExecutorService scheduler;
    private volatile FenceToken token;
    private volatile boolean running;
    private volatile boolean fenced;
    private volatile String fencedReason;
    private Instant startedAt;

    public MirrorEngine(MirrorSettings settings, MirrorStateStore store) {
        this(settings, store, Clock.systemUTC());
    }

    public MirrorEngine(MirrorSettings settings, MirrorStateStore store, Clock clock) {
        this.settings = settings;
        this.store = store;
        this.clock = clock;
        this.n = settings.clusters().size();
        this.keySpace = new KeySpace(settings.metaPrefix(), settings.prefixes());
        ObjectNormaliser normaliser = new ObjectNormaliser(settings.ignoredFields());
        this.recorder = new ConflictRecorder(new ConflictLog(ConflictLog.DEFAULT_MAX_ENDED), store, normaliser, hlc, clock);
        this.problems = new Problems(clock);
        this.valueGuard = new ValueGuard(settings.maxValueBytes(), settings.requireJsonUnder());
        this.reconciler = new KeyReconciler(this, new ConflictClassifier(normaliser), normaliser, settings.policy(),
                valueGuard);
        this.flipFlops = new io.fedsync.conflict.FlipFlopGuard(settings.flipFlop().returns(),
                settings.flipFlop().window().toMillis(), FLIP_FLOP_KEYS);
        this.table = new KeyTable(n, settings.prefixes().size());
        this.owed = new OwedKeys(n);
        this.watchdog = new Watchdog(WORKERS, Math.max(60_000, 12 * settings.requestTimeout().toMillis()),
                PROBE_MILLIS);
        this.owner = settings.nodeId() + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        this.states = new ClusterState[n];
        this.errors = new String[n];
        this.probeRevision = new long[n];
        this.downSince = new Instant[n];
    }

    @Override
    public void start() {
        synchronized (lifecycleLock) {
            startLocked();
        }
    }

    private void startLocked() {
        if (running) {
            return;
        }
        startedAt = clock.instant();
        long t0 = System.nanoTime();
        recorder.log().replaceAll(store.loadConflicts());
        cursors = new Cursors(settings.clusterNames(), settings.prefixes(), store.loadCursors());
        lastSavedCursors = cursors.snapshot();
        List<ClusterLink> created = new ArrayList<>();
        long t1;
        try {
            for (int i = 0; i < n; i++) {
                states[i] = ClusterState.CONNECTING;
                downSince[i] = startedAt;
                created.add(new ClusterLink(i, settings.clusters().get(i), keySpace, settings, () -> token));
            }
            links = List.copyOf(created);
            t1 = System.nanoTime();
            token = takeOver();
        } catch (RuntimeException e) {
            // Nothing started yet but the etcd clients: close them, or a failed start leaks them.
            created.forEach(ClusterLink::close);
            links = List.of();
            throw e;
        }
        running = true;
        long t2 = System.nanoTime();
        LOG.info("mirror starting as {}: clusters {}, prefixes {}, policy {} (state and clients {} ms, fence {} ms)",
                token, settings.clusterNames(), settings.prefixes(), settings.policy().name(), (t1 - t0) / 1_000_000,
                (t2 - t1) / 1_000_000);
        scheduler = Executors.newScheduledThreadPool(2, daemonThreads("mirror-timer"));
        workers = Executors.newFixedThreadPool(WORKERS, daemonThreads("mirror-worker"));
        for (int i = 0; i < WORKERS; i++) {
            int w = i;
            workers.submit(() -> workLoop(w));
        }
        loader = new Loader();
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(i);
            reloading[i] = true;
        }
        // Watch every cluster that answers before returning, so the first decisions see them all;
        // the comparison of their contents (the sweep) goes on in the background.
        java.util.concurrent.CompletableFuture<Void> up = new java.util.concurrent.CompletableFuture<>();
        loader.bringUp(all, up);
        try {
            up.get(settings.requestTimeout().toMillis() * 4, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.debug("bringing the clusters up did not finish in time", e);
        }
        scheduler.scheduleWithFixedDelay(guarded("probe", this::probeAll), PROBE_MILLIS, PROBE_MILLIS,
                TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(guarded("cursor saver", this::saveCursors), 250, 250, TimeUnit.MILLISECONDS);
        long verifyMillis = settings.verifyInterval().toMillis();
        if (verifyMillis > 0) {
            scheduler.scheduleWithFixedDelay(guarded("verification timer", () -> loader.verify()), verifyMillis,
                    verifyMillis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The token this writer takes: a term above every fence found in any etcd that answers (so a
     * node that lost its disk still takes over) and above every term this node had before.
     */
    private FenceToken takeOver() {
        long started = System.nanoTime();
        long highest = 0;
        List<Future<ClusterLink.Probe>> probes = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(n, daemonThreads("fence-read"));
        try {
            for (ClusterLink l : links) {
                probes.add(pool.submit(l::probe));
            }
            for (int i = 0; i < n; i++) {
                try {
                    ClusterLink.Probe p = probes.get(i).get(settings.requestTimeout().toMillis() * 2,
                            TimeUnit.MILLISECONDS);
                    if (p.fence() != null) {
                        highest = Math.max(highest, p.fence().term());
                    }
                } catch (Exception e) {
                    LOG.info("[{}] no answer while reading its fence ({}); it joins when it answers", links.get(i).name,
                            describe(e));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        long read = System.nanoTime();
        FenceToken t = new FenceToken(store.nextTerm(highest + 1), owner);
        LOG.info("fences read in {} ms (highest term {}); fencing term {} handed out in {} ms", (read - started) / 1_000_000,
                highest, t.term(), (System.nanoTime() - read) / 1_000_000);
        return t;
    }

    /** Brings clusters up and runs sweeps, one at a time, on one thread. */
    private final class Loader {
        private final ExecutorService thread = Executors.newSingleThreadExecutor(daemonThreads("mirror-loader"));
        private final ExecutorService bringUpPool = Executors.newCachedThreadPool(daemonThreads("cluster-bring-up"));
        private final VerifyPass.Requests verifies = new VerifyPass.Requests();
        private volatile VerifyResult lastVerify;

        private final AtomicLong busy = new AtomicLong();

        void bringUp(List<Integer> clusters) {
            bringUp(clusters, new java.util.concurrent.CompletableFuture<>());
        }

        /** Brings clusters up, completes {@code up}, then compares them with the others. */
        void bringUp(List<Integer> clusters, java.util.concurrent.CompletableFuture<Void> up) {
            busy.incrementAndGet();
            try {
                thread.submit(guarded("loader", () -> load(clusters, up)));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                busy.decrementAndGet();
                up.complete(null);
            }
        }

        /** Runs a verification pass after whatever the loader is doing; joins one already waiting. */
        java.util.concurrent.CompletableFuture<VerifyResult> verify() {
            return verifies.request(thread, this::runVerify);
        }

        private void load(List<Integer> clusters, java.util.concurrent.CompletableFuture<Void> up) {
            try {
                // In parallel: one cluster that does not answer must not hold up the others.
                List<Future<?>> ups = new ArrayList<>();
                for (int c : clusters) {
                    if (running && !fenced) {
                        ups.add(bringUpPool.submit(() -> bringUpOne(links.get(c))));
                    }
                }
                for (Future<?> f : ups) {
                    try {
                        f.get(settings.requestTimeout().toMillis() * 6, TimeUnit.MILLISECONDS);
                    } catch (Exception e) {
                        LOG.debug("a bring-up did not finish", e);
                    }
                }
                for (int c : clusters) {
                    reloading[c] = false;
                }
                up.complete(null);
                if (anyLoading()) {
                    String error = sweep(null);
                    if (error != null) {
                        LOG.warn("comparing the clusters did not finish ({}); trying again", error);
                    }
                }
            } finally {
                up.complete(null);
                busy.decrementAndGet();
            }
        }

        /** Whether the loader has work queued or running. */
        boolean busy() {
            return busy.get() > 0;
        }

        private VerifyResult runVerify() {
            VerifyPass run = new VerifyPass(MirrorEngine.this, clock.instant());
            Instant started = run.started;
            long t0 = System.nanoTime();
            String error = sweep(run);
            if (error == null) {
                run.awaitOutcomes(Duration.ofSeconds(60));
                run.collectTombstones();
            }
            VerifyResult r = run.result((System.nanoTime() - t0) / 1_000_000, error);
            lastVerify = r;
            count("verifyRuns");
            count(error == null ? "verifyCompleted" : "verifyIncomplete");
            count("verifyDivergent", r.divergent());
            count("verifyRepaired", r.repaired());
            LOG.info("verification {}: {} keys compared on {}, {} divergent, {} repaired, {} conflicts, {} explained by"
                    + " open conflicts, {} tombstones collected, {} ms{}", started, r.keysChecked(), r.clusters(),
                    r.divergent(), r.repaired(), r.conflicts(), r.explained(), r.tombstonesCollected(), r.tookMillis(),
                    error == null ? "" : " (incomplete: " + error + ")");
            if (r.divergent() > 0) {
                notice(null, "verification found " + r.divergent() + " divergent keys, repaired " + r.repaired());
            }
            return r;
        }

        /**
         * Compares every live cluster (those just brought up included) key by key. Returns null,
         * or why it could not finish. A cluster failing during the sweep goes down, and the sweep
         * is run again over the others: they were not yet compared with each other either.
         */
        private String sweep(VerifyPass verify) {
            for (int attempt = 0; attempt < 3 && running && !fenced; attempt++) {
                List<Sweep.Member> members = new ArrayList<>();
                for (ClusterLink l : links) {
                    if (!isLive(l.index)) {
                        continue;
                    }
                    try {
                        // Any revision at or after the one its watch started from will do: what
                        // changes after the listing arrives through the watch.
                        members.add(new Sweep.Member(l, l.probe().revision()));
                    } catch (Exception e) {
                        markDown(l.index, describe(e));
                    }
                }
                if (verify != null) {
                    verify.clusters = members.stream().map(m -> m.link().name).toList();
                }
                if (members.isEmpty()) {
                    return "no cluster is live";
                }
                List<Integer> loading = members.stream().map(m -> m.link().index)
                        .filter(c -> states[c] == ClusterState.LOADING).toList();
                SweepSink sink = new SweepSink(MirrorEngine.this, members, verify);
                Sweep sweep = new Sweep(members, n, sink);
                long t0 = System.nanoTime();
                for (Sweep.Member m : members) {
                    for (int p = 0; p < settings.prefixes().size(); p++) {
                        cursors.tracker(m.link().index, p).seen(m.revision(), clock.millis());
                    }
                }
                try {
                    for (int p = 0; p < settings.prefixes().size(); p++) {
                        if (!sweep.run(p)) {
                            return "the mirror stopped";
                        }
                        for (Sweep.Member m : members) {
                            table.swept(m.link().index, p, m.revision());
                        }
                    }
                } catch (Sweep.MemberFailed e) {
                    markDown(e.link.index, describe(e.getCause()));
                    LOG.warn("[{}] failed during a sweep ({}); comparing the others again", e.link.name,
                            describe(e.getCause()));
                    continue;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted";
                } finally {
                    for (Sweep.Member m : members) {
                        for (int p = 0; p < settings.prefixes().size(); p++) {
                            cursors.tracker(m.link().index, p).done(m.revision());
                        }
                    }
                }
                if (verify != null) {
                    verify.keysChecked = sweep.stats().keys;
                }
                Sweep.log(verify != null ? "verification sweep" : "load of " + names(loading), sweep.stats(),
                        (System.nanoTime() - t0) / 1_000_000);
                count("sweeps");
                for (int c : loading) {
                    if (states[c] == ClusterState.LOADING) {
                        states[c] = ClusterState.LIVE;
                        downSince[c] = null;
                        LOG.info("[{}] live", links.get(c).name);
                        // What settled without it since it went down (the sweep found the same, and more).
                        owed.of(c).forEach(table::offer);
                    }
                }
                if (allLive()) {
                    cursors.unfreeze();
                }
                return null;
            }
            return running && !fenced ? "clusters kept failing during the sweep" : "the mirror stopped";
        }

        void close() {
            thread.shutdownNow();
            bringUpPool.shutdownNow();
        }
    }

    /**
     * Watches one cluster from its current revision; the sweep that follows compares what it
     * holds up to that revision with the others. Returns false if it is down or fenced.
     */
    private boolean bringUpOne(ClusterLink link) {
        int c = link.index;
        try {
            long t0 = System.nanoTime();
            ClusterLink.Probe probe = link.probe();
            if (probe.fence() != null && probe.fence().isAbove(token)) {
                fencedBy(c, probe.fence());
                return false;
            }
            long t1 = System.nanoTime();
            FenceToken now = link.raiseFence(token);
            long t2 = System.nanoTime();
            if (!token.equals(now)) {
                fencedBy(c, now);
                return false;
            }
            long rev = probe.revision();
            for (int p = 0; p < settings.prefixes().size(); p++) {
                long stored = cursors.stored(c, p);
                if (stored > rev) {
                    notice(link.name, "cursor " + stored + " of " + settings.prefixes().get(p) + " was ahead of etcd's"
                            + " revision " + rev + ": etcd was restored or replaced; every key is compared, the cursor"
                            + " restarts at " + rev);
                } else if (stored > 0 && link.compactedPast(p, stored)) {
                    // Worth knowing (history since the cursor is gone), not a problem: the sweep reads current state.
                    count("compactionReconciles");
                    LOG.info("[{} {}] cursor {} is older than etcd's compaction; the changes since are found by comparing"
                            + " current data and metadata", link.name, settings.prefixes().get(p), stored);
                } else if (stored > 0) {
                    LOG.info("[{} {}] resuming from cursor {} (etcd is at {}): every key's data and metadata are compared"
                            + " with the other clusters, so nothing changed since, or still owed, is missed", link.name,
                            settings.prefixes().get(p), stored, rev);
                }
            }
            long t3 = System.nanoTime();
            closeWatchers(c);
            List<Watching> ws = new CopyOnWriteArrayList<>();
            for (int p = 0; p < settings.prefixes().size(); p++) {
                cursors.loaded(c, p, rev);
                WatchFeed listener = new WatchFeed(this, link, p);
                ws.add(new Watching(link.watch(p, rev + 1, listener), listener));
            }
            watchers.put(c, ws);
            probeRevision[c] = Math.max(probeRevision[c], rev);
            errors[c] = null;
            states[c] = ClusterState.LOADING;
            count("clusterLoads");
            LOG.info("[{}] watched from revision {}; comparing it with the other clusters (probe {} ms, fence {} ms,"
                    + " history {} ms, watch {} ms)", link.name, rev + 1, millis(t1 - t0), millis(t2 - t1),
                    millis(t3 - t2), millis(System.nanoTime() - t3));
            return true;
        } catch (Exception e) {
            markDown(c, explain(link, e));
            return false;
        }
    }

    /** Keys a verification pass waits on, and the pass. */
    private final Map<Key, VerifyPass> verifyWatch = new ConcurrentHashMap<>();

    private void workLoop(int w) {
        try {
            while (running) {
                Key key;
                try {
                    key = table.queue().take();
                } catch (InterruptedException e) {
                    return;
                }
                watchdog.busy(w, key);
                try {
                    work(key);
                } finally {
                    watchdog.idle(w);
                    table.queue().done(key);
                }
            }
        } catch (RuntimeException | Error e) {
            if (running) {
                LOG.error("mirror worker {} died", w, e);
                watchdog.died("mirror worker " + w, e);
            }
        }
    }

    private void work(Key key) {
        KeyEntry entry = table.get(key);
        if (entry == null) {
            return;
        }
        long[][] revisions = entry.absorb();
        KeyReconciler.Result result;
        try {
            result = reconciler.reconcile(entry);
        } catch (InterruptedException e) {
            entry.unsettled(revisions);
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            LOG.error("[{}] reconcile failed; will retry", key, e);
            result = new KeyReconciler.Result(KeyReconciler.Outcome.RETRY_LATER, KeyReconciler.Action.NOTHING, 0);
        }
        switch (result.next()) {
            case DONE -> {
                settle(entry, revisions);
                owed.settled(key, result.live());
                entry.retries = 0;
                entry.dropValues();
                VerifyPass v = verifyWatch.remove(key);
                if (v != null) {
                    v.outcome(key, result.action());
                }
                if (allLive() && entry.empty()) {
                    table.remove(entry);
                }
            }
            case RETRY_NOW -> {
                entry.unsettled(revisions);
                if (++entry.retries > 20) {
                    retryLater(entry);
                } else {
                    table.offer(key);
                }
            }
            case RETRY_LATER -> {
                entry.unsettled(revisions);
                entry.retries++;
                retryLater(entry);
            }
        }
    }

    /** Back-off: 0.5 s doubling up to 30 s, with jitter, while the key keeps failing. */
    private void retryLater(KeyEntry entry) {
        if (!running) {
            return;
        }
        long delay = Math.min(MAX_BACKOFF_MILLIS, 500L << Math.min(entry.retries, 6));
        delay = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        try {
            scheduler.schedule(() -> table.offer(entry.key), delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping
        }
    }

    private void settle(KeyEntry entry, long[][] revisions) {
        for (int c = 0; c < n; c++) {
            RevisionTracker t = cursors.tracker(c, entry.prefix);
            for (long r : revisions[c]) {
                t.done(r);
            }
        }
    }

    private void probeAll() {
        long paused = watchdog.tick();
        if (paused > 0) {
            notice(null, "fedsyncd was paused for " + paused / 1000 + " s (SIGSTOP, a long GC pause or a frozen VM);"
                    + " writes in flight are re-read and every key is verified");
            loader.verify();
        }
        if (anyLoading() && !loader.busy()) {
            // A comparison that could not finish: run it again.
            loader.bringUp(List.of());
        }
        for (ClusterLink link : links) {
            int c = link.index;
            if (states[c] == ClusterState.FENCED) {
                continue;
            }
            try {
                ClusterLink.Probe p = link.probe();
                probeRevision[c] = Math.max(probeRevision[c], p.revision());
                if (p.fence() != null && p.fence().isAbove(token)) {
                    fencedBy(c, p.fence());
                } else if (states[c] == ClusterState.DOWN && !reloading[c]) {
                    LOG.info("[{}] answers again; loading it", link.name);
                    reloading[c] = true;
                    loader.bringUp(List.of(c));
                }
            } catch (Exception e) {
                boolean wasDown = states[c] == ClusterState.DOWN;
                // A cluster already down keeps its reason: no TLS handshake every second to explain it again.
                markDown(c, wasDown && errors[c] != null ? errors[c] : explain(link, e));
                if (wasDown && link.reconnectIfStale()) {
                    count("etcdReconnects");
                }
            }
        }
    }

    /** Why a cluster does not answer; for TLS clusters a real handshake says what is wrong with it. */
    private String explain(ClusterLink link, Throwable failure) {
        return EtcdTls.explain(link.endpoint, failure, settings.requestTimeout());
    }

    /** Set while a bring-up of the cluster is queued on the loader; cleared by markDown/bring-up. */
    private final boolean[] reloading = new boolean[64];

    @Override
    public void suspect(int c, String reason) {
        if ((states[c] == ClusterState.LIVE || states[c] == ClusterState.LOADING) && running) {
            try {
                scheduler.execute(() -> {
                    try {
                        links.get(c).probe();
                    } catch (Exception e) {
                        markDown(c, reason);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
        }
    }

    private void markDown(int c, String reason) {
        synchronized (stateLock) {
            markDownLocked(c, reason);
        }
    }

    private void markDownLocked(int c, String reason) {
        reloading[c] = false;
        if (states[c] == ClusterState.FENCED) {
            return;
        }
        if (states[c] != ClusterState.DOWN) {
            if (downSince[c] == null) {
                downSince[c] = clock.instant();
            }
            cursors.freeze();
            table.forget(c);
            LOG.warn("[{}] down: {}; {}", links.get(c).name, reason, states[c] == ClusterState.CONNECTING
                    ? "it joins when it answers" : "mirroring continues between the others");
        }
        states[c] = ClusterState.DOWN;
        errors[c] = reason;
        closeWatchers(c);
    }

    @Override
    public void fencedBy(int c, FenceToken other) {
        synchronized (stateLock) {
            fencedByLocked(c, other);
        }
    }

    private void fencedByLocked(int c, FenceToken other) {
        if (!fenced) {
            fencedReason = "cluster " + links.get(c).name + " is fenced by another fedsyncd (" + other + "), above this"
                    + " one (" + token + "): it took over and this one stopped writing. If no other fedsyncd runs"
                    + " against these clusters, restart this one to take over again";
            LOG.error(fencedReason);
            notice(links.get(c).name, fencedReason);
        }
        fenced = true;
        states[c] = ClusterState.FENCED;
        for (ClusterLink l : links) {
            closeWatchers(l.index);
        }
    }

    private boolean anyLoading() {
        for (int c = 0; c < n; c++) {
            if (states[c] == ClusterState.LOADING) {
                return true;
            }
        }
        return false;
    }

    boolean allLive() {
        for (int c = 0; c < n; c++) {
            if (states[c] != ClusterState.LIVE) {
                return false;
            }
        }
        return true;
    }

    private void closeWatchers(int c) {
        List<Watching> ws = watchers.remove(c);
        if (ws != null) {
            for (Watching w : ws) {
                w.listener.closing = true;
                w.watcher.close();
            }
        }
    }

    private void saveCursors() {
        Map<CursorKey, Long> now = cursors.snapshot();
        if (!now.equals(lastSavedCursors)) {
            try {
                store.saveCursors(now);
                lastSavedCursors = now;
            } catch (RuntimeException e) {
                LOG.warn("could not save mirror cursors: {}", e.getMessage());
            }
        }
    }

    private void notice(String cluster, String message) {
        synchronized (notices) {
            notices.addLast(new MirrorStatus.Notice(clock.instant(), cluster, message));
            while (notices.size() > 20) {
                notices.removeFirst();
            }
        }
        LOG.warn("{}{}", cluster == null ? "" : "[" + cluster + "] ", message);
    }

    @Override
    public MirrorStatus status() {
        if (cursors == null) {
            return new MirrorStatus(0, owner, startedAt, settings.policy().name(), settings.prefixes(),
                    "mirror is starting", List.of(), List.of(), List.of(), null, List.of(), Map.of());
        }
        List<MirrorStatus.ClusterStatus> cs = new ArrayList<>();
        List<MirrorStatus.PairStatus> pairs = new ArrayList<>();
        long now = clock.millis();
        for (ClusterLink link : links) {
            int c = link.index;
            cs.add(new MirrorStatus.ClusterStatus(link.name, states[c].name().toLowerCase(), probeRevision[c],
                    link.endpoint.endpoints(), states[c] == ClusterState.LIVE ? null : errors[c], owed.count(c),
                    downSince[c]));
        }
        for (ClusterLink from : links) {
            long cursor = Long.MAX_VALUE;
            long lagMillis = 0;
            long lagRevisions = 0;
            for (int p = 0; p < settings.prefixes().size(); p++) {
                RevisionTracker t = cursors.tracker(from.index, p);
                cursor = Math.min(cursor, cursors.cursor(from.index, p));
                lagMillis = Math.max(lagMillis, t.lagMillis(now));
                // Revisions of this prefix seen but not yet applied. Not "etcd head - cursor": the
                // cursor of a quiet prefix rightly stays at its last change while others move on.
                lagRevisions = Math.max(lagRevisions, t.highestSeen() - t.cursor());
            }
            for (ClusterLink to : links) {
                if (to == from) {
                    continue;
                }
                boolean toLive = states[to.index] == ClusterState.LIVE;
                long pairLag = toLive || downSince[to.index] == null ? lagMillis
                        : Math.max(lagMillis, now - downSince[to.index].toEpochMilli());
                long pairRevisions = toLive ? lagRevisions : Math.max(lagRevisions, owed.count(to.index));
                pairs.add(new MirrorStatus.PairStatus(from.name, to.name, cursor, pairRevisions, pairLag));
            }
        }
        Map<String, Long> cnt = new TreeMap<>();
        counters.forEach((k, v) -> cnt.put(k, v.get()));
        cnt.put("conflictsDetected", recorder.detected.get());
        recorder.detectedByType.forEach((type, n) -> cnt.put("conflictsDetected." + type.wireName(), n.get()));
        cnt.put("conflictsOpen", (long) recorder.log().openCount());
        cnt.put("txns", links.stream().mapToLong(l -> l.pipeline.txnCount()).sum());
        cnt.put("keysQueued", (long) table.queue().size());
        cnt.put("keysKnown", (long) table.size());
        List<MirrorStatus.Notice> ns;
        synchronized (notices) {
            ns = List.copyOf(notices);
        }
        FenceToken t = token;
        return new MirrorStatus(t == null ? 0 : t.term(), t == null ? owner : t.owner(), startedAt,
                settings.policy().name(), settings.prefixes(), unhealthyReason(), cs, pairs, problems.list(),
                loader == null ? null : loader.lastVerify, ns, cnt);
    }

    @Override
    public List<ConflictRecord> conflicts() {
        return recorder.log().all();
    }

    @Override
    public Optional<ConflictRecord> conflict(String id) {
        return recorder.log().get(id);
    }

    @Override
    public ConflictRecord resolve(String id, ResolveAction action, String by) {
        ConflictRecord r = recorder.log().get(id).orElseThrow(() ->
                new ResolveException(ResolveException.Kind.UNKNOWN, "no conflict with id '" + id + "'"));
        if (!r.isOpen()) {
            throw new ResolveException(ResolveException.Kind.NOT_OPEN, "conflict " + id + " is already "
                    + r.state().wireName() + (r.resolution() == null ? "" : " (by " + r.resolution().by() + ")"));
        }
        int winner = -1;
        byte[] value = null;
        Key key = Key.fromWire(r.key());
        if (action instanceof ResolveAction.Winner w) {
            if (!r.clusters().contains(w.cluster())) {
                throw new ResolveException(ResolveException.Kind.INVALID, "cluster '" + w.cluster()
                        + "' is not a side of conflict " + id + " (its sides are " + r.clusters() + ")");
            }
            winner = settings.clusterNames().indexOf(w.cluster());
        } else if (action instanceof ResolveAction.Value v) {
            value = v.value();
            java.util.Optional<String> wrong = io.fedsync.conflict.OperatorValue.problem(r.sides(), value);
            if (wrong.isEmpty()) {
                wrong = valueGuard.refuse(key, value);
            }
            if (wrong.isPresent()) {
                throw new ResolveException(ResolveException.Kind.INVALID, wrong.get());
            }
        }
        List<String> down = r.clusters().stream().filter(c -> !isLive(settings.clusterNames().indexOf(c))).toList();
        if (!running || !down.isEmpty()) {
            throw new ResolveException(ResolveException.Kind.UNAVAILABLE, !running ? "the mirror is not running"
                    : "cluster " + String.join(", ", down) + " of conflict " + id + " is not live ("
                    + down.stream().map(c -> c + ": " + stateOf(c)).collect(java.util.stream.Collectors.joining("; "))
                    + "); nothing was written; try again when it is");
        }
        KeyEntry entry = table.get(key);
        if (entry == null) {
            throw new ResolveException(ResolveException.Kind.UNAVAILABLE, "the mirror has not loaded key " + r.key()
                    + " yet; try again shortly");
        }
        if (resolving.putIfAbsent(id, Thread.currentThread()) != null) {
            throw new ResolveException(ResolveException.Kind.NOT_OPEN, "another resolution of conflict " + id
                    + " is under way");
        }
        try {
            // Checked again now that this call owns the conflict: one that just ended is not resolved twice.
            ConflictRecord current = recorder.log().get(id).orElseThrow();
            if (!current.isOpen()) {
                throw new ResolveException(ResolveException.Kind.NOT_OPEN, "conflict " + id + " is already "
                        + current.state().wireName());
            }
            KeyEntry.OperatorChoice choice = new KeyEntry.OperatorChoice(id, winner, value, by, action.how());
            entry.operator = choice;
            table.offer(entry.key);
            long deadline = System.nanoTime() + RESOLVE_WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                ConflictRecord now = recorder.log().get(id).orElseThrow();
                if (!now.isOpen()) {
                    return now;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (entry.operator == choice) {
                entry.operator = null;
            }
            ConflictRecord now = recorder.log().get(id).orElseThrow();
            if (!now.isOpen()) {
                return now;
            }
            throw new ResolveException(ResolveException.Kind.UNAVAILABLE, "conflict " + id + " was not resolved within "
                    + RESOLVE_WAIT.toSeconds() + " s (a cluster may be slow or down); it is still open");
        } finally {
            resolving.remove(id);
        }
    }

    @Override
    public Optional<KeyExplanation> explain(String wireKey) {
        if (!running) {
            throw new IllegalStateException("the mirror is not running");
        }
        Key key = Key.fromWire(wireKey);
        int prefix = keySpace.prefixIndexOf(key);
        if (prefix < 0) {
            return Optional.empty();
        }
        List<KeyExplanation.ClusterView> views = new java.util.ArrayList<>();
        for (ClusterLink link : links) {
            String state;
            synchronized (stateLock) {
                state = states[link.index].name().toLowerCase(java.util.Locale.ROOT);
            }
            if (!isLive(link.index)) {
                views.add(new KeyExplanation.ClusterView(link.name, state, "not read: the cluster is not live", 0,
                        false, 0, "", null, 0, false));
                continue;
            }
            try {
                Observation o = link.read(key).observation();
                Slot s = new Slot();
                s.absorb(o);
                views.add(new KeyExplanation.ClusterView(link.name, state, null, o.observedAt(), o.dataPresent(),
                        o.dataModRev(), MetaRecord.hashOf(o.value()), o.meta(), o.metaModRev(), s.described()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading " + wireKey, e);
            } catch (Exception e) {
                views.add(new KeyExplanation.ClusterView(link.name, state, "not read: " + EtcdErrors.describe(e), 0,
                        false, 0, "", null, 0, false));
            }
        }
        List<ConflictRecord> on = recorder.log().all().stream().filter(r -> r.key().equals(key.wire())).toList();
        return Optional.of(new KeyExplanation(key.wire(), settings.prefixes().get(prefix), views, on));
    }

    private static final Duration RESOLVE_WAIT = Duration.ofSeconds(20);
    /** Conflicts being resolved now, so that two resolutions of one conflict never both go ahead. */
    private final Map<String, Thread> resolving = new ConcurrentHashMap<>();

    private String stateOf(String cluster) {
        int i = settings.clusterNames().indexOf(cluster);
        synchronized (stateLock) {
            return states[i].name().toLowerCase(java.util.Locale.ROOT) + (errors[i] == null ? "" : ", " + errors[i]);
        }
    }

    @Override
    public java.util.concurrent.CompletableFuture<VerifyResult> verify() {
        if (!running) {
            throw new IllegalStateException("the mirror is not running");
        }
        return loader.verify();
    }

    @Override
    public boolean healthy() {
        return unhealthyReason() == null;
    }

    /** Why the mirror is not healthy, or null. */
    @Override
    public String unhealthyReason() {
        if (!running) {
            return "mirror is not running";
        }
        if (fenced) {
            return fencedReason;
        }
        return watchdog.problem(links);
    }

    @Override
    public void close() {
        synchronized (lifecycleLock) {
            if (!running) {
                return;
            }
            running = false;
        }
        for (ClusterLink link : links) {
            closeWatchers(link.index);
        }
        if (loader != null) {
            loader.close();
        }
        shutdown(workers);
        shutdown(scheduler);
        saveCursors();
        links.forEach(ClusterLink::close);
        LOG.info("mirror stopped");
    }

    private static void shutdown(ExecutorService e) {
        if (e == null) {
            return;
        }
        e.shutdownNow();
        try {
            e.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    /** A timer task that never dies silently: a scheduled task that throws is never run again. */
    private Runnable guarded(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.error("{} failed; it runs again", what, e);
            } catch (Error e) {
                LOG.error("{} died", what, e);
                watchdog.died(what, e);
                throw e;
            }
        };
    }

    static boolean isCompacted(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CompactedException) {
                return true;
            }
            String m = String.valueOf(c.getMessage());
            if (m.contains("OUT_OF_RANGE") || m.contains("required revision has been compacted")) {
                return true;
            }
        }
        return false;
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    private static String describe(Throwable t) {
        return EtcdErrors.describe(t);
    }

    private String names(List<Integer> clusters) {
        return clusters.stream().map(c -> links.get(c).name).toList().toString();
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
        AtomicLong count = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // --- for the mirror's parts (WatchFeed, SweepSink, VerifyPass) ------------------------------

    boolean running() {
        return running;
    }

    KeyTable table() {
        return table;
    }

    Cursors cursors() {
        return cursors;
    }

    OwedKeys owed() {
        return owed;
    }

    @Override
    public io.fedsync.conflict.FlipFlopGuard flipFlops() {
        return flipFlops;
    }

    @Override
    public Clock clock() {
        return clock;
    }

    MirrorSettings settings() {
        return settings;
    }

    Map<Key, VerifyPass> verifyWatch() {
        return verifyWatch;
    }

    /** A cluster's watch failed or ended: it is down until it answers again. */
    void clusterFailed(int c, String reason) {
        markDown(c, reason);
    }

    // --- MirrorContext, for KeyReconciler -----------------------------------------------------

    @Override
    public List<ClusterLink> links() {
        return links;
    }

    @Override
    public boolean isLive(int c) {
        return states[c] == ClusterState.LIVE || states[c] == ClusterState.LOADING;
    }

    @Override
    public boolean fenced() {
        return fenced;
    }

    @Override
    public FenceToken token() {
        return token;
    }

    @Override
    public Problems problems() {
        return problems;
    }

    @Override
    public ConflictRecorder recorder() {
        return recorder;
    }

    @Override
    public KeySpace keySpace() {
        return keySpace;
    }

    @Override
    public void count(String name) {
        count(name, 1);
    }

    void count(String name, long by) {
        counters.computeIfAbsent(name, k -> new AtomicLong()).addAndGet(by);
    }

    @Override
    public long writeWaitMillis() {
        return settings.requestTimeout().toMillis() * 3;
    }
}
