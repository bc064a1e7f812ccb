package io.fedsync.daemon.http;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.federation.Federator;
import io.fedsync.mirror.MirrorService;
import io.fedsync.mirror.MirrorStatus;
import io.fedsync.raft.RaftStatus;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@code GET /metrics}: fedsync's state in Prometheus' text format, through Micrometer.
 *
 * <p>Nothing here is on the mirror's hot path: every {@code fedsync_} value is read at scrape time
 * from one snapshot of what the status API already reports ({@link MirrorService#status()}, the
 * conflict log, the Raft status) plus counters that are monotonic on this replica across its
 * leaderships. A scrape takes the snapshot, registers meters for pairs and clusters it has not seen
 * yet, then renders; scrapes run one at a time. No label carries a key or a conflict id. The
 * federation's two timers ({@link #federationTimings}) are the exception: recorded as writes happen.
 */
public final class Metrics implements AutoCloseable {

    /** The content type of Prometheus' text exposition format 0.0.4. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** Mirror counters (keys of {@link MirrorStatus#counters()}) by the outcome label they are exported under. */
    static final Map<String, String> WRITE_OUTCOMES = Map.of(
            "written", "dataWrites",
            "metadata_only", "metaStamps",
            "echo_dropped", "echoesDropped",
            "compare_failed", "compareRetries",
            "refused", "refusedByEtcd",
            "unknown", "unknownOutcomes",
            "fenced", "fenceRejections");

    private final MirrorService mirror;
    private final Supplier<RaftStatus> raft;
    private final Supplier<Map<String, Long>> counters;
    private final LongSupplier leaderChanges;
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private final Set<String> pairsSeen = new HashSet<>();
    private final Set<String> clustersSeen = new HashSet<>();
    private volatile Snapshot now = Snapshot.EMPTY;
    /** The federation's members as the running Federator sees them; empty where it does not run. */
    private Supplier<List<io.fedsync.federation.Federator.MemberState>> federation = List::of;
    private volatile Map<String, io.fedsync.federation.Federator.MemberState> members = Map.of();
    private final Set<String> membersSeen = new HashSet<>();

    /**
     * @param node          this replica's id, the {@code node} label of every metric; null for none
     * @param raft          the Raft status; null from the supplier when there is none
     * @param counters      the mirror's counters, monotonic on this replica (across its leaderships)
     * @param leaderChanges leaders this replica was told of since it started
     */
    public Metrics(String node, MirrorService mirror, Supplier<RaftStatus> raft, Supplier<Map<String, Long>> counters,
                   LongSupplier leaderChanges) {
        this.mirror = mirror;
        this.raft = raft;
        this.counters = counters;
        this.leaderChanges = leaderChanges;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        if (node != null) {
            registry.config().commonTags("node", node);
        }
        new JvmMemoryMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        registerFixed();
    }

    /** Metrics of a fedsyncd without peers: the mirror's own counters, no leader changes. */
    public static Metrics of(String node, MirrorService mirror, Supplier<RaftStatus> raft) {
        return new Metrics(node, mirror, raft, () -> mirror.status().counters(), () -> 0);
    }

    /** Adds the federation's per-member metrics (read at scrape time from {@code members}). */
    public synchronized Metrics withFederation(Supplier<List<io.fedsync.federation.Federator.MemberState>> members) {
        this.federation = members;
        Gauge.builder("fedsync.federation.members", this, m -> m.members.size())
                .description("Member clusters this replica pushes to now (0 on a replica that does not lead)")
                .register(registry);
        return this;
    }

    /**
     * Buckets of the federation's timers (seconds): from a fast member on a LAN to a write that waits
     * out its 15-s timeout. Fixed, so each member adds a dozen series per timer, not a hundred.
     */
    private static final java.time.Duration[] FEDERATION_BUCKETS = java.util.stream.Stream.of(5, 10, 25, 50, 100,
            250, 500, 1_000, 2_500, 5_000, 10_000, 15_000).map(java.time.Duration::ofMillis)
            .toArray(java.time.Duration[]::new);

    /**
     * What the federation tells of its time, recorded as timers by member: how long a key waits in the
     * queue for a worker ({@code fedsync_federation_queue_wait_seconds}: long waits mean too few
     * {@code federation.workers} for the members' answer times) and how long members take to answer
     * writes ({@code fedsync_federation_member_write_seconds} by op and outcome). Recorded as they
     * happen (a timer's record is lock-free), on the workers' threads.
     */
    public Federator.Timings federationTimings() {
        java.util.Map<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();
        return new Federator.Timings() {
            @Override
            public void waited(String member, java.time.Duration waited) {
                timers.computeIfAbsent("wait " + member, k -> Timer.builder("fedsync.federation.queue.wait")
                        .tag("member", member)
                        .description("How long an object to push to the member waited in the queue for a worker"
                                + " (from when it was queued or its retry became due)")
                        .serviceLevelObjectives(FEDERATION_BUCKETS).register(registry)).record(waited);
            }

            @Override
            public void wrote(String member, String op, boolean ok, java.time.Duration took) {
                String outcome = ok ? "ok" : "failed";
                timers.computeIfAbsent("write " + member + " " + op + " " + outcome, k -> Timer.builder(
                                "fedsync.federation.member.write").tags("member", member, "op", op, "outcome", outcome)
                        .description("How long the member's Kubernetes API took to answer a write (failed: no"
                                + " answer within the timeout, or an error answer)")
                        .serviceLevelObjectives(FEDERATION_BUCKETS).register(registry)).record(took);
            }
        };
    }

    /** Takes a snapshot of the state and renders every meter; blocking (run it off the event loop). */
    public synchronized String scrape() {
        Snapshot s = Snapshot.take(mirror, raft, counters, leaderChanges);
        now = s;
        registerNew(s.status());
        Map<String, io.fedsync.federation.Federator.MemberState> m = new java.util.TreeMap<>();
        try {
            federation.get().forEach(x -> m.put(x.name(), x));
        } catch (RuntimeException e) {
            // The federation is starting or stopping: no member values this time.
        }
        members = m;
        m.keySet().forEach(this::registerMember);
        return registry.scrape();
    }

    /** A member's meters; NaN while this replica does not push to it (not leading, unjoined). */
    private void registerMember(String name) {
        if (!membersSeen.add(name)) {
            return;
        }
        Tags tags = Tags.of("member", name);
        Gauge.builder("fedsync.federation.member.reachable", this, m -> value(m.members.get(name),
                        x -> x.reachable() ? 1 : 0))
                .tags(tags).description("1 when the member's Kubernetes API answers, else 0")
                .register(registry);
        Gauge.builder("fedsync.federation.member.jwt.secret.matches", this, m -> value(m.members.get(name),
                        x -> x.jwtMatches() == null ? Double.NaN : x.jwtMatches() ? 1 : 0))
                .tags(tags).description("1 when the member's jwtSecret is the hosts' (compared by keyed fingerprint),"
                        + " 0 when it differs or cannot be read (nothing is pushed to it), NaN before the first check")
                .register(registry);
        Gauge.builder("fedsync.federation.member.pending", this, m -> value(m.members.get(name), x -> x.pending()))
                .tags(tags).description("Objects queued or waiting to be retried for the member")
                .register(registry);
        Gauge.builder("fedsync.federation.member.refused", this, m -> value(m.members.get(name),
                        x -> x.refusedCount()))
                .tags(tags).description("Objects the member refuses now (an admission webhook's denial, a validation"
                        + " error, RBAC): retried, and named in GET /api/v1/clusters")
                .register(registry);
        Gauge.builder("fedsync.federation.member.last.sync", this, m -> value(m.members.get(name),
                        x -> x.lastSync() == null ? Double.NaN : x.lastSync().toEpochMilli() / 1000.0))
                .tags(tags).baseUnit("timestamp_seconds")
                .description("When a resync last read every federated kind on the member")
                .register(registry);
        Map<String, java.util.function.ToDoubleFunction<io.fedsync.federation.Federator.MemberState>> ops = Map.of(
                "create", x -> x.creates(), "update", x -> x.updates(), "delete", x -> x.deletes());
        ops.forEach((op, f) -> FunctionCounter.builder("fedsync.federation.member.writes", this,
                        m -> value(m.members.get(name), f))
                .tags(tags.and("op", op))
                .description("Writes to the member by this replica's federation since it last started leading")
                .register(registry));
        FunctionCounter.builder("fedsync.federation.member.drifts", this, m -> value(m.members.get(name),
                        x -> x.drifts()))
                .tags(tags).description("Copies found edited on the member (overwritten or reported by driftPolicy)")
                .register(registry);
    }

    private static double value(io.fedsync.federation.Federator.MemberState s,
                                java.util.function.ToDoubleFunction<io.fedsync.federation.Federator.MemberState> f) {
        return s == null ? Double.NaN : f.applyAsDouble(s);
    }

    private void registerFixed() {
        for (Map.Entry<String, String> e : WRITE_OUTCOMES.entrySet()) {
            String key = e.getValue();
            FunctionCounter.builder("fedsync.mirror.writes", this, m -> m.now.counter(key))
                    .tag("outcome", e.getKey())
                    .description("Writes of this replica's mirror to etcd by outcome, over every cluster (the engine"
                            + " does not count them per pair): written = data put or deleted, metadata_only ="
                            + " fedsync's metadata stamped without a data change, echo_dropped = watch events of"
                            + " fedsync's own writes not copied back, compare_failed = the key changed under the"
                            + " write (re-read, retried), refused = etcd refused it (too large), unknown = no answer"
                            + " (re-read), fenced = another writer holds a newer fence")
                    .register(registry);
        }
        FunctionCounter.builder("fedsync.mirror.txns", this, m -> m.now.counter("txns"))
                .description("etcd Txns this replica's mirror sent, over every cluster")
                .register(registry);
        Gauge.builder("fedsync.mirror.active", this, m -> m.now.status() != null && m.now.status().writer() != null
                        ? 1 : 0)
                .description("1 while this replica runs the mirror (writes to etcd), else 0")
                .register(registry);
        Gauge.builder("fedsync.mirror.healthy", this, m -> m.now.healthy() ? 1 : 0)
                .description("1 while the mirror is healthy or this replica stands by, 0 when fenced, stalled or"
                        + " stopping (the reason is in /api/v1/status)")
                .register(registry);
        Gauge.builder("fedsync.mirror.keys.queued", this, m -> m.now.status() == null ? 0
                        : m.now.status().counters().getOrDefault("keysQueued", 0L))
                .description("Keys waiting to be reconciled by this replica's mirror")
                .register(registry);
        Gauge.builder("fedsync.mirror.problems", this, m -> m.now.status() == null ? 0
                        : m.now.status().problems().size())
                .description("Keys the mirror refuses to copy (too large, not JSON); listed in /api/v1/status")
                .register(registry);
        for (ConflictType t : ConflictType.values()) {
            Gauge.builder("fedsync.conflicts.open", this, m -> m.now.open(t))
                    .tag("type", t.wireName())
                    .description("Conflicts open now (held until resolved), from the replicated conflict log")
                    .register(registry);
            FunctionCounter.builder("fedsync.conflicts.detected", this,
                            m -> m.now.counter("conflictsDetected." + t.wireName()))
                    .tag("type", t.wireName())
                    .description("Conflicts this replica's mirror detected while it led (sum over the replicas for"
                            + " the group), whatever became of them")
                    .register(registry);
        }
        FunctionCounter.builder("fedsync.verify.runs", this, m -> m.now.counter("verifyRuns"))
                .description("Verification passes (anti-entropy) this replica's mirror ran, complete or not")
                .register(registry);
        FunctionCounter.builder("fedsync.verify.incomplete.runs", this, m -> m.now.counter("verifyIncomplete"))
                .description("Verification passes that did not complete (a cluster not live, fenced, stopped)")
                .register(registry);
        FunctionCounter.builder("fedsync.verify.divergent.keys", this, m -> m.now.counter("verifyDivergent"))
                .description("Keys verification passes found different with no open conflict or change in flight"
                        + " to explain it")
                .register(registry);
        FunctionCounter.builder("fedsync.verify.repaired.keys", this, m -> m.now.counter("verifyRepaired"))
                .description("Divergent keys verification passes brought back in step")
                .register(registry);
        Gauge.builder("fedsync.verify.last.run.timestamp", this, m -> m.now.lastVerifySeconds())
                .baseUnit("seconds")
                .description("When the last verification pass of this replica's mirror started (Unix time);"
                        + " 0 before the first one")
                .register(registry);
        Gauge.builder("fedsync.raft.term", this, m -> m.now.raft() == null ? 0 : Math.max(0, m.now.raft().term()))
                .description("The current Raft term as this replica knows it")
                .register(registry);
        Gauge.builder("fedsync.raft.leader", this, m -> m.now.raft() != null
                        && "leader".equals(m.now.raft().role()) ? 1 : 0)
                .description("1 on the replica that leads the Raft group (and runs the mirror), 0 elsewhere")
                .register(registry);
        Gauge.builder("fedsync.raft.has.leader", this, m -> m.now.raft() != null && m.now.raft().leader() != null
                        ? 1 : 0)
                .description("1 when this replica knows a leader of its group, 0 when there is none")
                .register(registry);
        Gauge.builder("fedsync.raft.peers", this, m -> m.now.raft() == null ? 0 : m.now.raft().peers().size())
                .description("Voting members of the Raft group's configuration as this replica sees it")
                .register(registry);
        FunctionCounter.builder("fedsync.raft.leader.changes", this, m -> m.now.leaderChanges())
                .description("Leaders (a new leader or a new term) this replica was told of since it started;"
                        + " failovers show as increases on every replica")
                .register(registry);
        FunctionCounter.builder("fedsync.fenced.writes", this, m -> m.now.counter("fenceRejections"))
                .description("Writes of this replica's mirrors that failed on the fence: a newer writer holds it")
                .register(registry);
        FunctionCounter.builder("fedsync.flipflops", this, m -> m.now.counter("conflictsDetected.flip-flop"))
                .description("Keys this replica's mirrors froze because their content kept coming back to an"
                        + " earlier version (flip-flop conflicts)")
                .register(registry);
    }

    /** Meters for pairs and clusters not seen before (the set is the config's, fixed while fedsyncd runs). */
    private void registerNew(MirrorStatus s) {
        if (s == null) {
            return;
        }
        for (MirrorStatus.PairStatus p : s.pairs()) {
            String from = p.from();
            String to = p.to();
            if (!pairsSeen.add(from + "\u0000" + to)) {
                continue;
            }
            Tags tags = Tags.of("from", from, "to", to);
            Gauge.builder("fedsync.mirror.lag.revisions", this, m -> m.now.pair(from, to, false))
                    .tags(tags)
                    .description("Revisions of `from` seen but not yet applied to `to` (while `to` is down: at least"
                            + " the keys it is owed); 0 on a replica that does not mirror")
                    .register(registry);
            Gauge.builder("fedsync.mirror.lag", this, m -> m.now.pair(from, to, true))
                    .tags(tags)
                    .baseUnit("seconds")
                    .description("Age of the oldest change of `from` not yet applied to `to`; 0 on a replica that"
                            + " does not mirror")
                    .register(registry);
            Gauge.builder("fedsync.mirror.cursor.revision", this, m -> m.now.cursor(from, to))
                    .tags(tags)
                    .description("Every change of `from` up to this revision has reached every cluster")
                    .register(registry);
        }
        for (MirrorStatus.ClusterStatus c : s.clusters()) {
            String name = c.name();
            if (!clustersSeen.add(name)) {
                continue;
            }
            Gauge.builder("fedsync.cluster.up", this, m -> m.now.up(name))
                    .tag("cluster", name)
                    .description("1 when this replica reaches the cluster's etcd (the mirror: live, loading or"
                            + " fenced; a replica standing by: its last probe answered), else 0")
                    .register(registry);
            Gauge.builder("fedsync.cluster.revision", this, m -> m.now.revision(name))
                    .tag("cluster", name)
                    .description("The latest revision of the cluster's etcd this replica has seen (0: none yet)")
                    .register(registry);
            Gauge.builder("fedsync.cluster.owed.keys", this, m -> m.now.owed(name))
                    .tag("cluster", name)
                    .description("Keys changed elsewhere that the cluster has not received yet")
                    .register(registry);
        }
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }

    /** Whether a cluster counts as up: see {@code fedsync_cluster_up}'s help. */
    static boolean up(MirrorStatus.ClusterStatus c) {
        return switch (c.state()) {
            case "live", "loading", "fenced" -> true;
            case "standby" -> c.error() == null && c.downSince() == null && c.revision() > 0;
            default -> false;
        };
    }

    /** What one scrape reads; every meter of the scrape reads the same one. */
    private record Snapshot(MirrorStatus status, boolean healthy, Map<ConflictType, Long> openByType, RaftStatus raft,
                            Map<String, Long> counters, long leaderChanges) {

        static final Snapshot EMPTY = new Snapshot(null, true, Map.of(), null, Map.of(), 0);

        static Snapshot take(MirrorService mirror, Supplier<RaftStatus> raft, Supplier<Map<String, Long>> counters,
                             LongSupplier leaderChanges) {
            MirrorStatus status = mirror.status();
            Map<ConflictType, Long> open = new EnumMap<>(ConflictType.class);
            List<ConflictRecord> conflicts = mirror.conflicts();
            for (ConflictRecord r : conflicts) {
                if (r.state() == ConflictState.OPEN) {
                    open.merge(r.type(), 1L, Long::sum);
                }
            }
            return new Snapshot(status, mirror.healthy(), open, raft.get(), counters.get(),
                    leaderChanges.getAsLong());
        }

        double counter(String key) {
            return counters.getOrDefault(key, 0L);
        }

        double open(ConflictType t) {
            return openByType.getOrDefault(t, 0L);
        }

        double lastVerifySeconds() {
            return status == null || status.verify() == null || status.verify().lastRun() == null ? 0
                    : status.verify().lastRun().toEpochMilli() / 1000.0;
        }

        private MirrorStatus.PairStatus findPair(String from, String to) {
            if (status == null) {
                return null;
            }
            for (MirrorStatus.PairStatus p : status.pairs()) {
                if (p.from().equals(from) && p.to().equals(to)) {
                    return p;
                }
            }
            return null;
        }

        double pair(String from, String to, boolean seconds) {
            MirrorStatus.PairStatus p = findPair(from, to);
            if (p == null) {
                return 0;
            }
            return seconds ? p.lagMillis() / 1000.0 : p.lagRevisions();
        }

        double cursor(String from, String to) {
            MirrorStatus.PairStatus p = findPair(from, to);
            return p == null ? 0 : p.cursorRevision();
        }

        private MirrorStatus.ClusterStatus cluster(String name) {
            if (status == null) {
                return null;
            }
            for (MirrorStatus.ClusterStatus c : status.clusters()) {
                if (c.name().equals(name)) {
                    return c;
                }
            }
            return null;
        }

        double up(String name) {
            MirrorStatus.ClusterStatus c = cluster(name);
            return c != null && Metrics.up(c) ? 1 : 0;
        }

        double revision(String name) {
            MirrorStatus.ClusterStatus c = cluster(name);
            return c == null ? 0 : c.revision();
        }

        double owed(String name) {
            MirrorStatus.ClusterStatus c = cluster(name);
            return c == null ? 0 : c.owedKeys();
        }
    }
}
