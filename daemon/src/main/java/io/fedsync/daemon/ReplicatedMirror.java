package io.fedsync.daemon;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.mirror.ClusterEndpoint;
import io.fedsync.mirror.MirrorService;
import io.fedsync.mirror.MirrorSettings;
import io.fedsync.mirror.MirrorStatus;
import io.fedsync.mirror.StandbyProbe;
import io.fedsync.mirror.VerifyResult;
import io.fedsync.daemon.http.PeerChanges;
import io.fedsync.raft.Leadership;
import io.fedsync.raft.MembershipException;
import io.fedsync.raft.RaftNode;
import io.fedsync.raft.RaftStatus;
import io.fedsync.raft.api.CursorKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fedsyncd as one replica of a Raft group: the mirror runs only while this replica leads, from
 * Raft's leader callbacks ({@link Leadership}), and stops as soon as it does not; every replica
 * answers status and conflicts from the replicated state.
 *
 * <p>Who writes what: only the engine of the leading replica writes to etcd, under a fencing
 * term taken through the Raft log (so above every earlier leader's); a replica that was deposed
 * while paused or cut off may still send Txns, and they fail on the fence. Leadership callbacks
 * arrive one at a time, alternating; they start and stop the engine under {@link #lock}.
 */
final class ReplicatedMirror implements MirrorService, Leadership, PeerChanges {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedMirror.class);
    /**
     * How often a replica that does not lead reads each cluster: its status says which answer, and
     * a takeover finds the etcd clients loaded and compiled (about 0.5 s of a failover otherwise).
     */
    static final java.time.Duration STANDBY_PROBE_INTERVAL = java.time.Duration.ofSeconds(1);

    private final String nodeId;
    private final MirrorSettings settings;
    private final MirrorFactory factory;
    private final Clock clock;
    private final Object lock = new Object();
    private final Deque<MirrorStatus.Notice> notices = new ArrayDeque<>();
    private final Instant startedAt;
    private volatile RaftNode node;
    private volatile MirrorService engine;
    /** Reads the clusters while this replica does not lead; null while it leads or before start. */
    private volatile StandbyProbe standby;
    private volatile boolean closed;
    private long leaderships;
    /** Writes of this replica's earlier mirrors that failed on the fence (a newer leader's token). */
    private long fenceRejections;
    /**
     * The counters of this replica's earlier mirrors, summed, and the one being closed (its
     * counters are added once it stopped): with the running engine's, monotonic on this replica.
     * Guarded by {@link #counterLock}, never held across a start or a close.
     */
    private final Map<String, Long> retiredCounters = new java.util.HashMap<>();
    private MirrorService closing;
    private final Object counterLock = new Object();
    /** Counters of {@link MirrorStatus#counters()} that are levels, not counts. */
    private static final java.util.Set<String> LEVELS = java.util.Set.of("conflictsOpen", "keysQueued", "keysKnown");
    /** The federation, which pushes to members while this replica mirrors; null when not configured. */
    private volatile io.fedsync.daemon.federation.FederationPlane federation;
    /** A leading() that came before attach(), or -1. */
    private long pendingLeadingTerm = -1;
    /** Retries a start that failed while this replica still leads. */
    private final java.util.concurrent.ScheduledExecutorService retry =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "leader-start-retry");
                t.setDaemon(true);
                return t;
            });

    ReplicatedMirror(String nodeId, MirrorSettings settings, MirrorFactory factory, Clock clock) {
        this.nodeId = nodeId;
        this.settings = settings;
        this.factory = factory;
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    /** The federation to run while this replica mirrors (before {@link #attach}); null for none. */
    void federate(io.fedsync.daemon.federation.FederationPlane plane) {
        this.federation = plane;
    }

    /** The Raft node, once started; a leadership call that came before is carried out now. */
    void attach(RaftNode raftNode) {
        long pending;
        synchronized (lock) {
            this.node = raftNode;
            pending = pendingLeadingTerm;
            pendingLeadingTerm = -1;
        }
        if (pending >= 0 && raftNode.isLeader()) {
            leading(pending);
        }
    }

    /** The members joined to the group, as this replica's Raft state holds them; null before its Raft node runs. */
    io.fedsync.raft.api.MemberRegistry memberRegistry() {
        RaftNode n = node;
        return n == null ? null : n.memberRegistry();
    }

    RaftStatus raftStatus() {
        RaftNode n = node;
        return n == null ? new RaftStatus(nodeId, "starting", null, 0, -1, List.of()) : n.status();
    }

    // --- Membership ----------------------------------------------------------------------------

    @Override
    public RaftStatus add(String id, String address) {
        return raftNode().addPeer(id, address);
    }

    @Override
    public RaftStatus remove(String id) {
        return raftNode().removePeer(id);
    }

    private RaftNode raftNode() {
        RaftNode n = node;
        if (n == null) {
            throw new MembershipException(MembershipException.Kind.NOT_LEADER, "replica " + nodeId
                    + " is still starting its Raft replica; try again in a moment, or ask another replica");
        }
        return n;
    }

    // --- Leadership (Raft's callbacks, one at a time) ------------------------------------------

    @Override
    public void leading(long raftTerm) {
        synchronized (lock) {
            if (closed || engine != null) {
                return;
            }
            RaftNode n = node;
            if (n == null) {
                pendingLeadingTerm = raftTerm;
                return;
            }
            MirrorService e = factory.create(settings, n.store());
            try {
                e.start();
            } catch (RuntimeException ex) {
                LOG.error("[raft {}] leading (term {}) but the mirror did not start: {}", nodeId, raftTerm,
                        ex.getMessage(), ex);
                notice("leading in Raft term " + raftTerm + ", but the mirror did not start: " + ex.getMessage()
                        + "; trying again in 2 s");
                closeQuietly(e);
                retry.schedule(() -> {
                    RaftNode again = node;
                    if (again != null && again.isLeader() && engine == null && !closed) {
                        leading(raftTerm);
                    }
                }, 2, java.util.concurrent.TimeUnit.SECONDS);
                return;
            }
            synchronized (counterLock) {
                engine = e;
            }
            leaderships++;
            stopStandby();
            if (federation != null) {
                federation.lead(); // queues the start on the federation's own thread
            }
            notice("leading in Raft term " + raftTerm + ": mirroring as " + e.status().writer() + " (fencing term "
                    + e.status().term() + ")");
        }
    }

    @Override
    public void notLeading(String why) {
        synchronized (lock) {
            pendingLeadingTerm = -1;
            if (federation != null) {
                federation.stopLeading(); // first: nothing is pushed from here once the mirror stops
            }
            MirrorService e = engine;
            synchronized (counterLock) {
                engine = null;
                closing = e;
            }
            if (e != null) {
                String fenced = e.unhealthyReason();
                fenceRejections += e.status().counters().getOrDefault("fenceRejections", 0L);
                closeQuietly(e);
                retire(e);
                notice("stopped mirroring: " + why + (fenced != null ? " (" + fenced + ")" : ""));
            }
            if (!closed) {
                startStandby();
            }
        }
    }

    /** Adds a stopped engine's counters to {@link #retiredCounters}. */
    private void retire(MirrorService e) {
        Map<String, Long> last;
        try {
            last = e.status().counters();
        } catch (RuntimeException ex) {
            LOG.warn("[raft {}] the stopped mirror's counters could not be read: {}", nodeId, ex.getMessage());
            last = Map.of();
        }
        synchronized (counterLock) {
            add(retiredCounters, last);
            closing = null;
        }
    }

    private static void add(Map<String, Long> into, Map<String, Long> counters) {
        counters.forEach((k, v) -> {
            if (!LEVELS.contains(k)) {
                into.merge(k, v, Long::sum);
            }
        });
    }

    /**
     * The mirror's counters since this replica started, over every leadership (for {@code /metrics}):
     * never lower than in an earlier call. Levels ({@code conflictsOpen}, {@code keysQueued}, …) are left out.
     */
    Map<String, Long> countersSinceStart() {
        MirrorService e;
        MirrorService c;
        Map<String, Long> sum;
        synchronized (counterLock) {
            e = engine;
            c = closing;
            sum = new java.util.HashMap<>(retiredCounters);
        }
        if (c != null) {
            add(sum, c.status().counters());
        }
        if (e != null) {
            add(sum, e.status().counters());
        }
        return sum;
    }

    /** Leaders Raft told this replica of since it started (0 before its Raft node runs). */
    long leaderChanges() {
        RaftNode n = node;
        return n == null ? 0 : n.leaderChanges();
    }

    /** Under {@link #lock}. */
    private void startStandby() {
        if (standby == null) {
            try {
                standby = new StandbyProbe(settings, STANDBY_PROBE_INTERVAL, clock);
            } catch (RuntimeException ex) {
                LOG.warn("[raft {}] cannot read the clusters while standing by: {}", nodeId, ex.getMessage());
            }
        }
    }

    /** Under {@link #lock}; its clients close in the background, off the leadership thread. */
    private void stopStandby() {
        StandbyProbe s = standby;
        standby = null;
        if (s != null) {
            try {
                retry.execute(s::close);
            } catch (java.util.concurrent.RejectedExecutionException ex) {
                s.close();
            }
        }
    }

    private void notice(String message) {
        synchronized (notices) {
            notices.addLast(new MirrorStatus.Notice(clock.instant(), null, message));
            while (notices.size() > 20) {
                notices.removeFirst();
            }
        }
        LOG.info("[raft {}] {}", nodeId, message);
    }

    private List<MirrorStatus.Notice> notices() {
        synchronized (notices) {
            return List.copyOf(notices);
        }
    }

    // --- MirrorService ------------------------------------------------------------------------

    @Override
    public void start() {
        // The engine starts when this replica leads; until then the clusters are read, never written.
        synchronized (lock) {
            if (!closed && engine == null) {
                startStandby();
            }
        }
    }

    /** Whether this replica runs the mirror now. */
    boolean mirroring() {
        return engine != null;
    }

    @Override
    public MirrorStatus status() {
        MirrorService e = engine;
        if (e != null) {
            MirrorStatus s = e.status();
            List<MirrorStatus.Notice> all = new ArrayList<>(notices());
            all.addAll(s.notices());
            return new MirrorStatus(s.term(), s.writer(), s.startedAt(), s.policy(), s.prefixes(), s.unhealthy(),
                    s.clusters(), s.pairs(), s.problems(), s.verify(), all, s.counters());
        }
        return standbyStatus();
    }

    /** What a replica that does not lead knows: the replicated cursors and fencing term, and what its standby probe reads. */
    private MirrorStatus standbyStatus() {
        RaftNode n = node;
        Map<CursorKey, Long> cursors = n == null ? Map.of() : n.cursors();
        StandbyProbe probe = standby;
        List<MirrorStatus.ClusterStatus> clusters = new ArrayList<>();
        if (probe != null) {
            clusters.addAll(probe.clusters());
        } else {
            for (ClusterEndpoint c : settings.clusters()) {
                clusters.add(new MirrorStatus.ClusterStatus(c.name(), "standby", 0, c.endpoints(), null, 0, null));
            }
        }
        List<MirrorStatus.PairStatus> pairs = new ArrayList<>();
        for (ClusterEndpoint from : settings.clusters()) {
            long cursor = Long.MAX_VALUE;
            for (String p : settings.prefixes()) {
                cursor = Math.min(cursor, cursors.getOrDefault(new CursorKey(from.name(), p), 0L));
            }
            for (ClusterEndpoint to : settings.clusters()) {
                if (to != from) {
                    pairs.add(new MirrorStatus.PairStatus(from.name(), to.name(), cursor, 0, 0));
                }
            }
        }
        return new MirrorStatus(n == null ? 0 : n.fenceTerm(), null, startedAt, settings.policy().name(),
                settings.prefixes(), null, clusters, pairs, List.of(), null, notices(),
                Map.of("leaderships", leaderships, "fenceRejections", fenceRejections));
    }

    @Override
    public List<ConflictRecord> conflicts() {
        MirrorService e = engine;
        if (e != null) {
            return e.conflicts();
        }
        RaftNode n = node;
        return n == null ? List.of() : n.conflicts();
    }

    @Override
    public Optional<ConflictRecord> conflict(String id) {
        return conflicts().stream().filter(c -> c.id().equals(id)).findFirst();
    }

    @Override
    public ConflictRecord resolve(String id, io.fedsync.mirror.ResolveAction action, String by) {
        MirrorService e = engine;
        if (e == null) {
            throw new NotLeaderException(notLeaderMessage());
        }
        return e.resolve(id, action, by);
    }

    @Override
    public Optional<io.fedsync.mirror.KeyExplanation> explain(String key) {
        MirrorService e = engine;
        if (e == null) {
            throw new NotLeaderException(notLeaderMessage());
        }
        return e.explain(key);
    }

    @Override
    public CompletableFuture<VerifyResult> verify() {
        MirrorService e = engine;
        if (e == null) {
            throw new NotLeaderException(notLeaderMessage());
        }
        return e.verify();
    }

    /**
     * Where the mirror's API answers when another replica mirrors: what the last leader to take a
     * fencing term recorded in the replicated state. Empty when this replica mirrors, or nobody said.
     */
    java.util.Optional<String> mirrorApi() {
        RaftNode n = node;
        if (engine != null || n == null) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.ofNullable(n.mirrorApi());
    }

    private String notLeaderMessage() {
        RaftStatus s = raftStatus();
        if (s.leader() == null) {
            return "replica " + nodeId + " does not lead and the group has no leader now (a majority of its replicas"
                    + " must be up)";
        }
        String address = s.peers().stream().filter(p -> p.id().equals(s.leader())).map(RaftStatus.PeerStatus::address)
                .findFirst().orElse("?");
        RaftNode n = node;
        String api = n == null ? null : n.mirrorApi();
        return "replica " + nodeId + " does not lead; the leader is " + s.leader() + " (raft " + address + ")"
                + (api == null ? "" : "; the mirror last recorded its API at " + api);
    }

    @Override
    public boolean healthy() {
        return unhealthyReason() == null;
    }

    @Override
    public String unhealthyReason() {
        if (closed) {
            return "fedsyncd is stopping";
        }
        MirrorService e = engine;
        return e == null ? null : e.unhealthyReason();
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        notLeading("fedsyncd is stopping");
        synchronized (lock) {
            StandbyProbe s = standby;
            standby = null;
            if (s != null) {
                s.close();
            }
        }
        retry.shutdownNow();
        RaftNode n = node;
        if (n != null) {
            n.close();
        }
    }

    private static void closeQuietly(MirrorService e) {
        try {
            e.close();
        } catch (RuntimeException ex) {
            LOG.warn("closing the mirror failed: {}", ex.getMessage(), ex);
        }
    }

    /** A call only the leader answers was sent to a replica that does not lead. */
    static final class NotLeaderException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        NotLeaderException(String message) {
            super(message);
        }
    }
}
