package io.fedsync.mirror;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.fedsync.conflict.ConflictClassifier;
import io.fedsync.conflict.ConflictLog;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.HybridClock;
import io.fedsync.conflict.ObjectNormaliser;
import io.fedsync.mirror.state.CursorKey;
import io.fedsync.mirror.state.MirrorStateStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bidirectional (N-way) etcd mirror. See mirror/DESIGN.md for how it works and why.
 *
 * <p>Who writes what: only this engine writes fedsync's metadata and fence keys; in the mirrored
 * prefixes it writes only through conditional Txns (data mod_revision as last read, fence equal
 * to its term). Per key, exactly one worker at a time (see {@link KeyQueue}).
 */
public final class MirrorEngine implements MirrorService {

    private static final Logger LOG = LoggerFactory.getLogger(MirrorEngine.class);
    private static final int WORKERS = 256;

    enum ClusterState { CONNECTING, LOADING, LIVE, DOWN, FENCED }

    private final MirrorSettings settings;
    private final MirrorStateStore store;
    private final Clock clock;
    private final KeySpace keySpace;
    private final HybridClock hlc = HybridClock.system();
    private final ConflictRecorder recorder;
    private final Problems problems;
    private final KeyReconciler reconciler;
    private final KeyQueue queue = new KeyQueue();
    private final ConcurrentHashMap<String, KeyEntry> entries = new ConcurrentHashMap<>();
    private final Object entryCreation = new Object();
    private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
    private final Map<CursorKey, RevisionTracker> trackers = new ConcurrentHashMap<>();

    private List<ClusterLink> links = List.of();
    private ClusterState[] states;
    private String[] errors;
    private long[] probeRevision;
    private long[] downSinceMillis;
    /** [down cluster][other cluster]: the other's highest seen revision when the first went down. */
    private long[][] seenWhenDown;
    private long[][] loadedRevision;
    private AtomicBoolean[] transitioning;
    private final Map<Integer, List<Watch.Watcher>> watchers = new ConcurrentHashMap<>();
    private Map<CursorKey, Long> storedCursors = Map.of();
    private Map<CursorKey, Long> lastSavedCursors = Map.of();

    private ExecutorService workers;
    private ScheduledExecutorService scheduler;
    private ExecutorService lifecycle;
    private volatile long term;
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
        this.keySpace = new KeySpace(settings.metaPrefix(), settings.prefixes());
        ObjectNormaliser normaliser = new ObjectNormaliser(settings.ignoredFields());
        this.recorder = new ConflictRecorder(new ConflictLog(10_000), store, normaliser, hlc, clock);
        this.problems = new Problems(clock);
        this.reconciler = new KeyReconciler(this, new ConflictClassifier(normaliser), settings.policy(),
                new ValueGuard(settings.maxValueBytes(), settings.requireJsonUnder()));
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        startedAt = clock.instant();
        term = store.nextTerm();
        recorder.log().replaceAll(store.loadConflicts());
        storedCursors = new HashMap<>(store.loadCursors());
        lastSavedCursors = Map.copyOf(storedCursors);
        int n = settings.clusters().size();
        states = new ClusterState[n];
        errors = new String[n];
        probeRevision = new long[n];
        downSinceMillis = new long[n];
        seenWhenDown = new long[n][n];
        loadedRevision = new long[n][settings.prefixes().size()];
        transitioning = new AtomicBoolean[n];
        List<ClusterLink> created = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            states[i] = ClusterState.CONNECTING;
            transitioning[i] = new AtomicBoolean();
            created.add(new ClusterLink(i, settings.clusters().get(i), keySpace, settings, term));
            for (String p : settings.prefixes()) {
                CursorKey k = new CursorKey(settings.clusters().get(i).name(), p);
                trackers.put(k, new RevisionTracker(storedCursors.getOrDefault(k, 0L)));
            }
        }
        links = List.copyOf(created);
        running = true;
        LOG.info("mirror starting: term {}, clusters {}, prefixes {}, policy {}", term, settings.clusterNames(),
                settings.prefixes(), settings.policy().name());
        lifecycle = Executors.newFixedThreadPool(n, daemonThreads("cluster-lifecycle"));
        scheduler = Executors.newScheduledThreadPool(2, daemonThreads("mirror-timer"));
        // Bring every cluster up at once so the first decisions see all of them; one that does
        // not answer stays down and joins later without holding up the others.
        List<java.util.concurrent.Future<?>> ups = new ArrayList<>();
        for (ClusterLink link : links) {
            transitioning[link.index].set(true);
            ups.add(lifecycle.submit(() -> bringUp(link)));
        }
        for (java.util.concurrent.Future<?> f : ups) {
            try {
                f.get(settings.requestTimeout().toMillis() * 4, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.debug("start-up of a cluster did not finish in time", e);
            }
        }
        workers = Executors.newFixedThreadPool(WORKERS, daemonThreads("mirror-worker"));
        for (int i = 0; i < WORKERS; i++) {
            workers.submit(this::workLoop);
        }
        scheduler.scheduleWithFixedDelay(this::probeAll, 1000, 1000, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(this::saveCursors, 250, 250, TimeUnit.MILLISECONDS);
    }

    /** Loads one cluster's state and starts watching it; runs on the lifecycle pool. */
    private void bringUp(ClusterLink link) {
        int c = link.index;
        try {
            if (!running) {
                return;
            }
            states[c] = ClusterState.LOADING;
            long fence = link.raiseFence(term);
            if (fence != term) {
                fencedBy(c, fence);
                return;
            }
            List<String> loadedKeys = new ArrayList<>();
            List<Watch.Watcher> ws = new ArrayList<>();
            for (int p = 0; p < settings.prefixes().size(); p++) {
                String prefix = settings.prefixes().get(p);
                ClusterLink.Snapshot snap = snapshot(link, prefix);
                applySnapshot(link, p, prefix, snap, loadedKeys);
                ws.add(link.watch(prefix, snap.revision() + 1, new WatchListener(link, prefix)));
            }
            closeWatchers(c);
            watchers.put(c, new CopyOnWriteArrayList<>(ws));
            errors[c] = null;
            states[c] = ClusterState.LIVE;
            count("clusterLoads");
            LOG.info("[{}] live: {} keys loaded", link.name, loadedKeys.size());
            // Only now: a run that started while this cluster was loading would have left it out.
            for (KeyEntry e : entries.values()) {
                queue.offer(e.key);
            }
        } catch (Exception e) {
            markDown(c, KeyReconciler.describe(e));
        } finally {
            transitioning[c].set(false);
        }
    }

    /**
     * Resumes from the stored cursor: only keys modified after it are read with their values,
     * the rest by name, all at one revision together with the metadata. The metadata decides
     * what changed: a data key newer than its metadata was changed locally, a deleted key whose
     * metadata is not a tombstone was deleted locally. Nothing is replayed, so there is no
     * moment where the mirror has seen one cluster's changes and not yet another's; and a cursor
     * etcd has compacted past needs no special path, since a range at the current revision
     * filtered by mod_revision does not depend on history.
     */
    private ClusterLink.Snapshot snapshot(ClusterLink link, String prefix) throws Exception {
        CursorKey k = new CursorKey(link.name, prefix);
        Long cursor = storedCursors.remove(k);
        if (cursor == null || cursor <= 0) {
            return link.load(prefix, 0);
        }
        if (link.compactedPast(prefix, cursor)) {
            // Worth knowing (history since the cursor is gone), not a problem: nothing below needs it.
            count("compactionReconciles");
            LOG.info("[{} {}] cursor {} is older than etcd's compaction; the changes since are read from the "
                    + "current state and metadata", link.name, prefix, cursor);
        }
        ClusterLink.Snapshot s = link.load(prefix, cursor);
        if (s.complete()) {
            LOG.warn("[{} {}] cursor {} is ahead of etcd (revision {}): etcd was restored or replaced; "
                    + "reconciling every key from its metadata", link.name, prefix, cursor, s.revision());
        } else {
            LOG.info("[{} {}] resuming from cursor {}: {} keys changed since, revision {}", link.name, prefix, cursor,
                    s.data().size(), s.revision());
        }
        return s;
    }

    private void applySnapshot(ClusterLink link, int p, String prefix, ClusterLink.Snapshot snap, List<String> keys) {
        int c = link.index;
        RevisionTracker tracker = trackers.get(new CursorKey(link.name, prefix));
        synchronized (entryCreation) {
            Set<String> all = new HashSet<>(snap.data().keySet());
            snap.meta().forEach((key, meta) -> {
                // A resume needs the keys deleted since (metadata without data); a tombstone that
                // no one touched since the cursor is already agreed on.
                if (snap.complete() || !snap.present().contains(key)
                        && (meta.getModRevision() > snap.changedAfter() || !isTombstone(meta))) {
                    all.add(key);
                }
            });
            if (snap.complete()) {
                for (KeyEntry e : entries.values()) {
                    if (e.prefix.equals(prefix)) {
                        all.add(e.key);
                    }
                }
            } else {
                // Keys with no metadata were never mirrored (refused: too big, not JSON; or not
                // reached before a crash). Unchanged since the cursor, yet still owed a decision or
                // a report: their entries are created unread, so the reconciler reads them.
                for (String key : snap.present()) {
                    if (!snap.meta().containsKey(key) && !all.contains(key)) {
                        entryLocked(key, prefix);
                        keys.add(key);
                    }
                }
            }
            loadedRevision[c][p] = 0;
            for (String key : all) {
                KeyEntry e = entryLocked(key, prefix);
                e.offer(c, link.observation(snap.revision(), snap.data().get(key), snap.meta().get(key)), true);
                tracker.seen(snap.revision(), clock.millis());
                keys.add(key);
            }
            tracker.progress(snap.revision());
            // Set only after the loop: entryLocked must not mark this cluster's own keys absent.
            // A partial snapshot says nothing about keys it does not list: a key first seen later
            // may exist here unchanged, so its slot must be read, not assumed absent.
            loadedRevision[c][p] = snap.complete() ? snap.revision() : 0;
            probeRevision[c] = Math.max(probeRevision[c], snap.revision());
        }
    }

    private static boolean isTombstone(KeyValue meta) {
        try {
            return MetaRecord.decode(meta.getValue().getBytes()).tombstone();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private KeyEntry entryFor(String key, String prefix) {
        KeyEntry e = entries.get(key);
        if (e != null) {
            return e;
        }
        synchronized (entryCreation) {
            return entryLocked(key, prefix);
        }
    }

    private KeyEntry entryLocked(String key, String prefix) {
        KeyEntry e = entries.get(key);
        if (e != null) {
            return e;
        }
        e = new KeyEntry(key, prefix, links.size());
        int p = settings.prefixes().indexOf(prefix);
        // A key first seen now was absent, with no metadata, from every cluster already loaded.
        for (ClusterLink l : links) {
            long at = loadedRevision[l.index][p];
            if (at > 0) {
                e.slots[l.index].absorb(new Observation(at, false, null, 0, true, null, 0));
            }
        }
        entries.put(key, e);
        return e;
    }

    private final class WatchListener implements Watch.Listener {
        private final ClusterLink link;
        private final String prefix;
        private final RevisionTracker tracker;

        WatchListener(ClusterLink link, String prefix) {
            this.link = link;
            this.prefix = prefix;
            this.tracker = trackers.get(new CursorKey(link.name, prefix));
        }

        @Override
        public void onNext(WatchResponse response) {
            if (response.isProgressNotify() || response.getEvents().isEmpty()) {
                tracker.progress(response.getHeader().getRevision());
                return;
            }
            long now = clock.millis();
            for (WatchEvent ev : response.getEvents()) {
                KeyValue kv = ev.getKeyValue();
                String key = kv.getKey().toString(StandardCharsets.UTF_8);
                long rev = kv.getModRevision();
                KeyEntry e = entryFor(key, prefix);
                if (e.slots[link.index].dataObservedAt >= rev) {
                    // The mirror's own write (it recorded the revision when its Txn returned),
                    // or something a later read already covered.
                    count("echoesDropped");
                    continue;
                }
                boolean deleted = ev.getEventType() == WatchEvent.EventType.DELETE;
                tracker.seen(rev, now);
                e.offer(link.index, Observation.event(rev, kv.getValue().getBytes(), deleted), true);
                queue.offer(key);
            }
        }

        @Override
        public void onError(Throwable t) {
            if (!running) {
                return;
            }
            if (t instanceof CompactedException || isCompacted(t)) {
                count("compactionReconciles");
                LOG.warn("[{} {}] watch fell behind etcd's compaction; reconciling from current state and metadata",
                        link.name, prefix);
            }
            markDown(link.index, KeyReconciler.describe(t));
        }

        @Override
        public void onCompleted() {
            // Closed by us, or after onError: nothing more to do here.
        }
    }

    private void workLoop() {
        while (running) {
            String key;
            try {
                key = queue.take(500);
            } catch (InterruptedException e) {
                return;
            }
            if (key == null) {
                continue;
            }
            KeyEntry entry = entries.get(key);
            if (entry == null) {
                queue.done(key);
                continue;
            }
            long[][] revisions = entry.absorb();
            KeyReconciler.Outcome outcome;
            try {
                outcome = reconciler.reconcile(entry);
            } catch (InterruptedException e) {
                entry.unsettled(revisions);
                queue.done(key);
                return;
            } catch (RuntimeException e) {
                LOG.error("[{}] reconcile failed; will retry", key, e);
                outcome = KeyReconciler.Outcome.RETRY_LATER;
            }
            switch (outcome) {
                case DONE -> settle(entry, revisions);
                case RETRY_NOW -> {
                    entry.unsettled(revisions);
                    queue.offer(key);
                }
                case RETRY_LATER -> {
                    entry.unsettled(revisions);
                    if (running) {
                        scheduler.schedule(() -> queue.offer(key), 1, TimeUnit.SECONDS);
                    }
                }
            }
            queue.done(key);
        }
    }

    private void settle(KeyEntry entry, long[][] revisions) {
        for (ClusterLink link : links) {
            RevisionTracker t = trackers.get(new CursorKey(link.name, entry.prefix));
            for (long r : revisions[link.index]) {
                t.done(r);
            }
        }
    }

    private void probeAll() {
        for (ClusterLink link : links) {
            int c = link.index;
            if (states[c] == ClusterState.FENCED || transitioning[c].get()) {
                continue;
            }
            try {
                ClusterLink.Probe p = link.probe();
                probeRevision[c] = Math.max(probeRevision[c], p.revision());
                if (p.fence() > term) {
                    fencedBy(c, p.fence());
                } else if (states[c] == ClusterState.DOWN && transitioning[c].compareAndSet(false, true)) {
                    LOG.info("[{}] answers again; reloading it", link.name);
                    lifecycle.submit(() -> bringUp(link));
                }
            } catch (Exception e) {
                markDown(c, KeyReconciler.describe(e));
            }
        }
    }

    /** A write or read on this cluster failed without an answer: check it and, if down, say so. */
    void suspect(int c, String reason) {
        if (states[c] == ClusterState.LIVE && transitioning[c].compareAndSet(false, true)) {
            lifecycle.submit(() -> {
                try {
                    links.get(c).probe();
                } catch (Exception e) {
                    markDown(c, reason);
                } finally {
                    transitioning[c].set(false);
                }
            });
        }
    }

    private void markDown(int c, String reason) {
        if (states[c] == ClusterState.FENCED) {
            return;
        }
        if (states[c] != ClusterState.DOWN) {
            downSinceMillis[c] = clock.millis();
            for (ClusterLink other : links) {
                seenWhenDown[c][other.index] = maxSeen(other);
            }
            LOG.warn("[{}] down: {}; mirroring continues between the others", links.get(c).name, reason);
        }
        states[c] = ClusterState.DOWN;
        errors[c] = reason;
        closeWatchers(c);
    }

    void fencedBy(int c, long otherTerm) {
        if (!fenced) {
            fencedReason = "cluster " + links.get(c).name + " is fenced at term " + otherTerm + ", above this mirror's "
                    + term + ": another fedsyncd took over; this one stops writing";
            LOG.error(fencedReason);
        }
        fenced = true;
        states[c] = ClusterState.FENCED;
    }

    private long maxSeen(ClusterLink link) {
        long max = 0;
        for (String p : settings.prefixes()) {
            max = Math.max(max, trackers.get(new CursorKey(link.name, p)).highestSeen());
        }
        return max;
    }

    private void closeWatchers(int c) {
        List<Watch.Watcher> ws = watchers.remove(c);
        if (ws != null) {
            ws.forEach(Watch.Watcher::close);
        }
    }

    private void saveCursors() {
        try {
            Map<CursorKey, Long> now = cursors();
            if (!now.equals(lastSavedCursors)) {
                store.saveCursors(now);
                lastSavedCursors = now;
            }
        } catch (RuntimeException e) {
            LOG.warn("could not save mirror cursors: {}", e.getMessage());
        }
    }

    private Map<CursorKey, Long> cursors() {
        Map<CursorKey, Long> out = new LinkedHashMap<>();
        trackers.forEach((k, t) -> out.put(k, t.cursor()));
        return out;
    }

    @Override
    public MirrorStatus status() {
        List<MirrorStatus.ClusterStatus> cs = new ArrayList<>();
        List<MirrorStatus.PairStatus> pairs = new ArrayList<>();
        long now = clock.millis();
        for (ClusterLink link : links) {
            cs.add(new MirrorStatus.ClusterStatus(link.name, states[link.index].name().toLowerCase(),
                    probeRevision[link.index], link.endpoint.endpoints(), errors[link.index]));
        }
        for (ClusterLink from : links) {
            long cursor = Long.MAX_VALUE;
            long lagMillis = 0;
            long lagRevisions = 0;
            for (String p : settings.prefixes()) {
                RevisionTracker t = trackers.get(new CursorKey(from.name, p));
                cursor = Math.min(cursor, t.cursor());
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
                long pairLag = toLive ? lagMillis : Math.max(lagMillis, now - downSinceMillis[to.index]);
                // Changes settle among the live clusters while one is down; for that one, all of
                // them since it went down are still to come.
                long pairRevisions = toLive ? lagRevisions
                        : Math.max(lagRevisions, maxSeen(from) - seenWhenDown[to.index][from.index]);
                pairs.add(new MirrorStatus.PairStatus(from.name, to.name, cursor, pairRevisions, pairLag));
            }
        }
        Map<String, Long> cnt = new TreeMap<>();
        counters.forEach((k, v) -> cnt.put(k, v.get()));
        cnt.put("conflictsDetected", recorder.detected.get());
        cnt.put("conflictsOpen", (long) recorder.log().openCount());
        cnt.put("txns", links.stream().mapToLong(l -> l.pipeline.txnCount()).sum());
        cnt.put("keysQueued", (long) queue.size());
        return new MirrorStatus(term, startedAt, settings.policy().name(), settings.prefixes(), cs, pairs,
                problems.list(), cnt);
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
    public ConflictRecord resolve(String id, String winner) {
        ConflictRecord r = recorder.log().get(id)
                .orElseThrow(() -> new IllegalArgumentException("no conflict with id " + id));
        if (!r.isOpen()) {
            throw new IllegalArgumentException("conflict " + id + " is already " + r.state().wireName());
        }
        if (!r.clusters().contains(winner)) {
            throw new IllegalArgumentException("cluster " + winner + " is not a side of conflict " + id
                    + " (its sides are " + r.clusters() + ")");
        }
        int idx = settings.clusterNames().indexOf(winner);
        KeyEntry entry = entries.get(r.key());
        if (entry == null || states[idx] != ClusterState.LIVE) {
            throw new IllegalStateException("cluster " + winner + " is not live; try again when it is");
        }
        entry.operatorWinner = idx;
        queue.offer(r.key());
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
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
        throw new IllegalStateException("conflict " + id + " was not resolved within 20 s; a cluster may be down");
    }

    @Override
    public boolean healthy() {
        return running && !fenced;
    }

    /** Why the mirror is not healthy, or null. */
    public String unhealthyReason() {
        if (!running) {
            return "mirror is not running";
        }
        return fenced ? fencedReason : null;
    }

    @Override
    public synchronized void close() {
        if (!running) {
            return;
        }
        running = false;
        for (ClusterLink link : links) {
            closeWatchers(link.index);
        }
        shutdown(workers);
        shutdown(scheduler);
        shutdown(lifecycle);
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

    private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // --- for KeyReconciler -------------------------------------------------------------------

    List<ClusterLink> links() {
        return links;
    }

    boolean isLive(int c) {
        return states[c] == ClusterState.LIVE;
    }

    boolean fenced() {
        return fenced;
    }

    long term() {
        return term;
    }

    Problems problems() {
        return problems;
    }

    ConflictRecorder recorder() {
        return recorder;
    }

    HybridClock clock() {
        return hlc;
    }

    KeySpace keySpace() {
        return keySpace;
    }

    void count(String name) {
        counters.computeIfAbsent(name, k -> new AtomicLong()).incrementAndGet();
    }
}
