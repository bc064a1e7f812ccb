package io.fedsync.federation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes the federated objects of the host clusters to the members: a list-and-watch cache
 * ({@link KindCache}) on every host for each kind of the profile feeds a {@link WorkQueue} of
 * (member, kind, namespace, name); workers
 * decide each with {@link PushPlanner} and carry the decision out with a conditional write (a 409
 * means decide again, never overwrite blindly). A periodic resync queues everything again, which
 * is what finds drift on members, deletes owed to a member that was down, and members whose
 * jwtSecret changed.
 *
 * <p>A member that does not answer is retried with a growing delay and never blocks the others or
 * start-up. Nothing is decided for a kind until every host's cache of it has listed it: a
 * half-filled cache would look like deletes. Only one process may run a Federator for a set of
 * members (in fedsyncd: the Raft leader, from its leader callback).
 */
public final class Federator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Federator.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration NOT_SETTLED_RETRY = Duration.ofSeconds(1);
    /**
     * An object the hosts disagree on is decided again after {@link #NOT_SETTLED_RETRY}, doubled each
     * time in a row, at most this: a host that is down for an hour leaves every object changed on the
     * others unsettled for that hour, and deciding each again every second, per member, would be work
     * for nothing. The retry is only a backstop: the hosts' caches queue the object at once when a
     * host's copy changes (the mirror's copy arriving, the host back), and that decision comes at once.
     */
    static final Duration MAX_NOT_SETTLED_RETRY = Duration.ofSeconds(30);
    /**
     * How often a member that does not answer is asked again (one light call, its kubesphere-config,
     * which also compares its jwtSecret) while the keys it is owed wait for it, and how often the
     * hosts' jwtSecrets are read again while a host does not answer (until they are read, nothing is
     * pushed to any member).
     */
    private static final Duration PROBE_EVERY = Duration.ofSeconds(1);
    private static final Duration FIRST_FAILURE_RETRY = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /**
     * A copy the member refuses (a webhook's denial, validation, RBAC) is tried again with backoff up
     * to this, and at once when the hosts change the object; a resync does not cut the backoff short.
     * Such refusals last until someone changes the object or the member's policy: trying each every
     * resync (30 s) would send two requests a minute per refused object and member, forever.
     */
    static final Duration MAX_REFUSED_BACKOFF = Duration.ofMinutes(5);
    /** Every this many resyncs of a member, the content hash of every copy listed is worked out again. */
    private static final int FULL_HASH_EVERY = 10;

    /** A member as the federator pushes to it. */
    public record MemberCluster(String name, KubeCluster cluster, Map<String, String> labels) {
        public MemberCluster {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(cluster, "cluster");
            labels = Map.copyOf(labels);
        }
    }

    /** What the mirror knows about a key: an open conflict on it holds the object everywhere. */
    @FunctionalInterface
    public interface MirrorView {
        /** The id of an open mirror conflict on this etcd key, or empty. */
        Optional<String> openConflict(String etcdKey);

        MirrorView NONE = key -> Optional.empty();
    }

    /**
     * Where the federation's time goes, for metrics: how long keys wait for a worker, and how long
     * the members take to answer writes. Called on the workers' threads; must not block.
     */
    public interface Timings {
        /** A key of {@code member} waited this long in the queue before a worker took it. */
        void waited(String member, Duration waited);

        /**
         * A write to {@code member} took this long: {@code op} create, update or delete; {@code ok}
         * false when it failed (no answer, or an error answer).
         */
        void wrote(String member, String op, boolean ok, Duration took);

        Timings NONE = new Timings() {
            @Override
            public void waited(String member, Duration waited) {
            }

            @Override
            public void wrote(String member, String op, boolean ok, Duration took) {
            }
        };
    }

    /** A call to a member's API. */
    private interface MemberCall<T> {
        T call() throws KubeAccessException;
    }

    /**
     * @param resync  how often everything is queued again (drift, owed deletes, jwtSecret changes)
     * @param workers worker threads deciding and writing
     */
    public record Settings(Profile profile, DriftPolicy driftPolicy, Duration resync, int workers) {
        public Settings {
            Objects.requireNonNull(profile, "profile");
            Objects.requireNonNull(driftPolicy, "driftPolicy");
            if (resync.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("federation resync must be at least 1s");
            }
            if (workers < 1) {
                throw new IllegalArgumentException("federation needs at least one worker");
            }
        }
    }

    /**
     * What the federator knows about one member (for status and metrics; never a secret).
     *
     * @param refused objects the member refuses (an admission webhook's denial, a validation error,
     *                RBAC), as {@code plural/[namespace/]name}, with its answer; at most
     *                {@value #REFUSED_SHOWN} of them, in name order
     * @param refusedCount how many objects the member refuses
     */
    public record MemberState(String name, boolean reachable, Boolean jwtMatches, String jwtProblem, long creates,
                              long updates, long deletes, long drifts, long holds, String lastError,
                              Instant lastWriteAt, Instant lastSync, int pending, String server, List<String> warnings,
                              Map<String, String> labels, Map<String, String> refused, int refusedCount) {
        public MemberState {
            warnings = List.copyOf(warnings);
            labels = Map.copyOf(labels);
            refused = java.util.Collections.unmodifiableMap(new TreeMap<>(refused));
        }
    }

    /** How many refused objects a {@link MemberState} names. */
    static final int REFUSED_SHOWN = 50;

    private final Settings settings;
    private final Clock clock;
    private final Map<String, KubeCluster> hosts;
    /** Read by workers, the resync and the handlers; changed by {@link #setMembers} (joins and unjoins). */
    private final Map<String, MemberCluster> members = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final MirrorView mirror;
    private final Map<String, FederatedKind> kinds = new LinkedHashMap<>();
    private final JwtSecret.FingerprintKey fingerprintKey = JwtSecret.FingerprintKey.random();
    /**
     * Keys grouped by member: one member holds at most {@link #perMemberWorkers} workers at once (a
     * member whose calls hang cannot take them all), and members take turns.
     */
    private final WorkQueue<PushKey> queue;
    private final Timings timings;
    /** host → plural → what the host holds of the kind (hosts in name order). */
    private final Map<String, Map<String, KindCache>> caches = new TreeMap<>();
    /** By member name, what is known and counted of it. */
    private final Map<String, MemberRecord> records = new ConcurrentHashMap<>();
    /** Keys whose last call failed (not as unreachable: those are parked), until one succeeds. */
    private final Backoff<PushKey> failures = new Backoff<>(FIRST_FAILURE_RETRY, MAX_BACKOFF);
    /** Keys decided in a row as held because the hosts have not settled. */
    private final Backoff<PushKey> unsettled = new Backoff<>(NOT_SETTLED_RETRY, MAX_NOT_SETTLED_RETRY);
    /**
     * Keys put off in a row because nothing could be decided yet (a host's cache not listed, the
     * member's jwtSecret not compared). Unlike {@link #unsettled}, a resync cuts their backoff
     * short: it is what compares the secrets.
     */
    private final Backoff<PushKey> notReady = new Backoff<>(NOT_SETTLED_RETRY, MAX_NOT_SETTLED_RETRY);
    /**
     * Keys held because the mirror holds an open conflict on the object, with its etcd key. Not
     * decided again on a timer, nor at each resync (the member keeps what it has while the conflict
     * is open: there is nothing to check); once a second {@link #probe} asks the mirror whether the
     * conflict is still open and queues the key once it is resolved. A host's event does not do it
     * alone: a resolution may make the hosts agree without writing to either (both held the same
     * already), and the mirror's view of conflicts may lag the event that resolving wrote.
     */
    private final Map<PushKey, String> conflictHeld = new ConcurrentHashMap<>();
    /** Drift left in place (driftPolicy report) already reported, by key and the copy's content hash. */
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "federation-resync");
        t.setDaemon(true);
        return t;
    });
    /** Resyncs members side by side, so one that does not answer delays no other. */
    /**
     * Runs the probes of members and hosts that do not answer: at most one per member and one for
     * the hosts at a time (each may wait out its call's timeout), off the timer and the resync's pool,
     * so a member that hangs delays neither the resyncs of the others nor the next probe of another.
     */
    private final java.util.concurrent.ExecutorService probePool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "federation-probe");
        t.setDaemon(true);
        return t;
    });
    /** A probe of the hosts' jwtSecrets is running. */
    private final java.util.concurrent.atomic.AtomicBoolean hostsProbing = new java.util.concurrent.atomic.AtomicBoolean();
    /** The hosts' jwtSecret fingerprint as last read (empty: a host did not answer, or they differ). */
    private volatile Optional<JwtSecret.Fingerprint> lastHostPrint = Optional.empty();
    private final java.util.concurrent.ExecutorService resyncPool = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "federation-resync-member");
        t.setDaemon(true);
        return t;
    });
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean started;
    private volatile boolean closed;

    public Federator(Settings settings, Map<String, KubeCluster> hosts, Collection<MemberCluster> members, MirrorView mirror) {
        this(settings, hosts, members, mirror, Timings.NONE);
    }

    /** @param timings told where the time goes (queue waits, members' answers), e.g. for metrics */
    public Federator(Settings settings, Map<String, KubeCluster> hosts, Collection<MemberCluster> members, MirrorView mirror,
                     Timings timings) {
        this(settings, hosts, members, mirror, Clock.systemUTC(), timings);
    }

    Federator(Settings settings, Map<String, KubeCluster> hosts, Collection<MemberCluster> members, MirrorView mirror,
              Clock clock) {
        this(settings, hosts, members, mirror, clock, Timings.NONE);
    }

    private Federator(Settings settings, Map<String, KubeCluster> hosts, Collection<MemberCluster> members,
                      MirrorView mirror, Clock clock, Timings timings) {
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("federation needs at least one host cluster with a kubeconfig");
        }
        this.settings = settings;
        this.clock = clock;
        this.timings = Objects.requireNonNull(timings, "timings");
        this.queue = new WorkQueue<>(PushKey::member, perMemberWorkers(settings.workers()))
                .onTake((key, waited) -> timings.waited(key.member(), waited));
        this.hosts = new TreeMap<>(hosts);
        members.forEach(m -> this.members.put(m.name(), m));
        this.mirror = mirror;
        settings.profile().kinds().forEach(k -> kinds.put(k.plural(), k));
        this.members.keySet().forEach(m -> records.put(m, new MemberRecord()));
    }

    /**
     * How many of {@code workers} one member's writes may hold at once: half of them (at least one),
     * so a member whose calls each wait out their timeout leaves the other half to the other members.
     * (Once a call to it fails it is marked unreachable, and then one worker at a time tries it.)
     */
    static int perMemberWorkers(int workers) {
        return Math.max(1, (workers + 1) / 2);
    }

    /** Starts the hosts' caches, the jwtSecret checks, the workers and the resync; returns at once. */
    public synchronized Federator start() {
        for (Map.Entry<String, KubeCluster> h : hosts.entrySet()) {
            Map<String, KindCache> byKind = new LinkedHashMap<>();
            for (FederatedKind kind : kinds.values()) {
                byKind.put(kind.plural(), new KindCache(h.getValue(), kind.source(),
                        (namespace, name) -> enqueue(kind, namespace, name)));
            }
            caches.put(h.getKey(), byKind);
        }
        caches.values().forEach(byKind -> byKind.values().forEach(KindCache::start));
        for (int i = 0; i < settings.workers(); i++) {
            Thread t = new Thread(this::work, "federation-worker-" + i);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
        started = true;
        long every = settings.resync().toMillis();
        timer.scheduleWithFixedDelay(this::resync, 0, every, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::probe, PROBE_EVERY.toMillis(), PROBE_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
        LOG.info("federation: profile {}, hosts {}, members {}, driftPolicy {}, resync {}", settings.profile()
                .configName(), hosts.keySet(), members.keySet(), settings.driftPolicy().configName(), settings.resync());
        return this;
    }

    /** Every member's state. */
    public List<MemberState> members() {
        List<MemberState> out = new ArrayList<>();
        for (MemberCluster m : members.values()) {
            MemberRecord s = records.get(m.name());
            if (s == null) {
                continue;
            }
            Set<PushKey> waiting = new java.util.HashSet<>(s.parked);
            conflictHeld.keySet().stream().filter(k -> k.member().equals(m.name())).forEach(waiting::add);
            int pending = queue.count(k -> k.member().equals(m.name()) && !waiting.contains(k)) + waiting.size();
            List<String> warnings = new ArrayList<>(m.cluster().warnings());
            s.storesDifferently.forEach(plural -> warnings.add("stores " + plural + " otherwise than fedsync sends them"
                    + " (a mutating admission webhook or defaulting): each copy is kept as the member stored it"));
            Map<String, String> refused = s.refused.entrySet().stream().limit(REFUSED_SHOWN)
                    .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
            out.add(new MemberState(m.name(), s.reachable, s.jwtMatches, s.jwtProblem, s.creates.get(), s.updates.get(),
                    s.deletes.get(), s.drifts.get(), s.holds.get(), s.lastError, s.lastWriteAt, s.lastSync, pending,
                    m.cluster().server(), warnings, labelsOf(m), refused, s.refused.size()));
        }
        return out;
    }

    /**
     * Makes {@code wanted} the members pushed to (a join or an unjoin committed): a new member, or
     * one whose kubeconfig, context or labels changed, gets everything queued for it; a member no
     * longer wanted gets nothing more (what was pushed to it stays there). Placement of workspaces
     * by label selector may change with the set, so every member is queued again when it changes.
     */
    public synchronized void setMembers(Collection<MemberCluster> wanted) {
        Map<String, MemberCluster> next = new TreeMap<>();
        wanted.forEach(m -> next.put(m.name(), m));
        boolean changed = false;
        for (String gone : new ArrayList<>(members.keySet())) {
            if (!next.containsKey(gone)) {
                members.remove(gone);
                records.remove(gone);
                conflictHeld.keySet().removeIf(k -> k.member().equals(gone));
                LOG.info("[{}] unjoined: nothing more is pushed to it", gone);
                changed = true;
            }
        }
        for (MemberCluster m : next.values()) {
            MemberCluster before = members.get(m.name());
            if (before != null && before.equals(m)) {
                continue;
            }
            records.put(m.name(), new MemberRecord());
            members.put(m.name(), m);
            failures.resetIf(k -> k.member().equals(m.name()));
            reported.removeIf(seen -> seen.startsWith(m.name() + " "));
            LOG.info("[{}] {}: pushing to {}", m.name(), before == null ? "joined" : "registration changed",
                    m.cluster().server());
            changed = true;
        }
        if (changed && started && !closed) {
            timer.execute(this::resync);
        }
    }

    /** True once every host's cache of every kind has listed its objects. */
    public boolean synced() {
        return caches.values().stream().flatMap(m -> m.values().stream()).allMatch(KindCache::synced);
    }

    /** Keys waiting now. */
    public int queued() {
        return queue.size() + queue.delayedCount();
    }

    private void enqueue(FederatedKind kind, String ns, String name) {
        for (String m : members.keySet()) {
            queue.add(new PushKey(m, kind.plural(), ns, name));
        }
        if (kind.placement() == FederatedKind.PlacementRule.SPEC_PLACEMENT) {
            // A workspace moving between members moves its roles and bindings with it.
            for (FederatedKind k : kinds.values()) {
                if (k.placement() == FederatedKind.PlacementRule.WORKSPACE_MEMBERS) {
                    for (String n : namesOnHosts(k, name)) {
                        members.keySet().forEach(m -> queue.add(new PushKey(m, k.plural(), "", n)));
                    }
                }
            }
        }
    }

    /** Names of the kind's objects on the hosts, of one workspace when {@code workspace} is not null. */
    private Set<String> namesOnHosts(FederatedKind kind, String workspace) {
        Set<String> out = new java.util.TreeSet<>();
        for (Map<String, KindCache> byKind : caches.values()) {
            for (KindCache.Entry o : byKind.get(kind.plural()).objects()) {
                if (workspace == null || workspace.equals(o.workspace())) {
                    out.add(o.name());
                }
            }
        }
        return out;
    }

    /** Queues every object the hosts hold and every copy fedsync made on each member; checks secrets. */
    private void resync() {
        if (closed) {
            return;
        }
        try {
            resyncWith(hostFingerprint());
        } catch (RuntimeException e) {
            LOG.warn("federation: resync failed: {}", e.toString());
        }
    }

    /** The resync, with the hosts' jwtSecret fingerprint read already. */
    private void resyncWith(Optional<JwtSecret.Fingerprint> hostPrint) {
        if (closed) {
            return;
        }
        readClusterLabels();
        for (MemberCluster m : members.values()) {
            MemberRecord s = records.get(m.name());
            if (s != null) {
                resyncMember(m, s, hostPrint);
            }
        }
    }

    /** Starts a resync of one member on the resync's pool, unless its last one is still running. */
    private void resyncMember(MemberCluster m, MemberRecord s, Optional<JwtSecret.Fingerprint> hostPrint) {
        if (!s.resyncing.compareAndSet(false, true)) {
            return; // its last resync still waits on it
        }
        try {
            resyncPool.execute(() -> {
                try {
                    resync(m, s, hostPrint);
                } catch (Exception e) {
                    // OkHttp throws InterruptedException undeclared when close() interrupts a call.
                    if (!closed) {
                        LOG.warn("[{}] resync failed: {}", m.name(), e.toString());
                    }
                } finally {
                    s.resyncing.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            s.resyncing.set(false); // closing
        }
    }

    private void resync(MemberCluster m, MemberRecord s, Optional<JwtSecret.Fingerprint> hostPrint) {
        try {
            checkJwt(m, s, hostPrint);
            boolean listed = true;
            for (FederatedKind kind : kinds.values()) {
                Set<String> names = namesOnHosts(kind, null);
                Set<String> copies = s.copies.computeIfAbsent(kind.plural(), k -> ConcurrentHashMap.newKeySet());
                try {
                    Set<String> listedCopies = new java.util.HashSet<>();
                    Map<String, MemberCopy.Observed> observed = new java.util.HashMap<>();
                    // A copy at the resourceVersion the last listing saw it at is unchanged: its
                    // content hash is not worked out again (but every tenth listing works out all).
                    Map<String, MemberCopy.Observed> before = s.resyncs.get() % FULL_HASH_EVERY == 0 ? Map.of()
                            : s.listed.getOrDefault(kind.plural(), Map.of());
                    String prefix = kind.plural() + "/";
                    long mark = s.learned.get();
                    for (JsonNode copy : m.cluster().list(kind.target(), MemberCopy.KUBEFED_MANAGED + "=false")) {
                        if (PushPlanner.writtenByFedsync(copy)) {
                            String name = copy.path("metadata").path("name").asText();
                            listedCopies.add(name);
                            observed.put(name, observe(m, s, kind, prefix + "/" + name, copy, before.get(name)));
                        }
                    }
                    s.listed.put(kind.plural(), Map.copyOf(observed));
                    // The listing is this resync's read of the member: what it holds now (fedsync's
                    // copies) replaces what was known, and an object it does not list is read again
                    // when decided (it may be one fedsync did not write) -- but for what the workers
                    // learned while the listing was under way, which may be newer than it. Each key
                    // is replaced atomically against a worker's change of it (which marks it first);
                    // the maps' iterators tolerate those changes.
                    for (String k : s.seen.keySet()) {
                        if (k.startsWith(prefix)) {
                            s.seen.computeIfPresent(k, (x, known) -> s.learnedSince(x, mark) ? known : null);
                        }
                    }
                    for (String k : s.written.keySet()) {
                        if (k.startsWith(prefix) && !listedCopies.contains(k.substring(prefix.length() + 1))) {
                            s.written.computeIfPresent(k, (x, w) -> s.learnedSince(x, mark) ? w : null);
                        }
                    }
                    observed.forEach((name, o) -> s.seen.compute(prefix + "/" + name,
                            (x, known) -> s.learnedSince(x, mark) ? known : Optional.of(o)));
                    copies.removeIf(n -> !listedCopies.contains(n) && !s.learnedSince(prefix + "/" + n, mark));
                    copies.addAll(listedCopies);
                    s.learnedAt.entrySet().removeIf(e -> e.getKey().startsWith(prefix) && e.getValue() <= mark);
                    reachable(m.name(), s);
                } catch (KubeAccessException e) {
                    // Not listed now: the copies it was last seen holding (and those written since) are
                    // what it may be owed a delete for. They are queued with the rest; the workers retry
                    // them with a delay, so a member that returns gets its deletes at once, and
                    // `pending` counts them meanwhile.
                    noteFailure(m.name(), e);
                    listed = false;
                }
                names.addAll(copies);
                // Behind the keys queued because they changed: a resync in the middle of a burst of
                // creates does not make them wait for its thousands of (mostly in-sync) keys.
                for (String n : names) {
                    PushKey k = new PushKey(m.name(), kind.plural(), "", n);
                    if (conflictHeld.containsKey(k)) {
                        continue; // queued once the mirror's conflict on it is resolved (see probe)
                    }
                    if (s.refused.containsKey(objectRef(k)) || unsettled.backingOff(k)) {
                        // Its backoff stands: MAX_REFUSED_BACKOFF, or MAX_NOT_SETTLED_RETRY while the
                        // hosts disagree (the member keeps what it has then, so there is nothing to check).
                        queue.addUnlessDelayed(k);
                    } else {
                        queue.addBehind(k);
                    }
                }
            }
            if (listed) {
                s.lastSync = clock.instant();
            }
            s.resyncs.incrementAndGet();
            summarise(m.name(), s);
        } catch (RuntimeException e) {
            LOG.warn("[{}] resync failed: {}", m.name(), e.toString());
        }
    }

    /** The hosts' jwtSecret fingerprint when they all answer and agree. */
    private Optional<JwtSecret.Fingerprint> hostFingerprint() {
        JwtSecret.Fingerprint agreed = null;
        boolean usable = true;
        for (KubeCluster h : hosts.values()) {
            HostState state;
            JwtSecret.Fingerprint p = null;
            try {
                Optional<String> yaml = h.kubesphereYaml();
                if (yaml.isEmpty()) {
                    state = new HostState(true, "unreadable", "no " + JwtSecret.CONFIG_MAP_NAMESPACE + "/"
                            + JwtSecret.CONFIG_MAP_NAME + ": cannot compare jwtSecrets");
                } else {
                    p = JwtSecret.fingerprint(yaml.get(), settings.profile(), fingerprintKey);
                    state = new HostState(true, "source", null);
                }
            } catch (JwtSecret.Unreadable e) {
                state = new HostState(true, "unreadable", e.getMessage());
            } catch (KubeAccessException e) {
                state = new HostState(!e.unavailable(), null, e.getMessage());
            }
            if (p != null && agreed != null && !agreed.matches(p)) {
                state = new HostState(true, "differs", "the hosts hold different jwtSecrets: nothing is pushed until"
                        + " they agree");
            }
            HostState before = hostStates.put(h.name(), state);
            if (!state.equals(before) && state.detail() != null) {
                LOG.warn("[{}] {}", h.name(), state.detail());
            } else if (before != null && before.detail() != null && state.detail() == null) {
                LOG.info("[{}] its jwtSecret can be read again", h.name());
            }
            if (p == null || !"source".equals(state.jwtSecret())) {
                usable = false;
            } else if (agreed == null) {
                agreed = p;
            }
        }
        Optional<JwtSecret.Fingerprint> print = usable ? Optional.ofNullable(agreed) : Optional.empty();
        lastHostPrint = print;
        return print;
    }

    /**
     * A host as the last resync read it: whether its API answered, and its jwtSecret ({@code source}:
     * read, {@code unreadable}, {@code differs} from another host's; null when it did not answer).
     */
    public record HostState(boolean reachable, String jwtSecret, String detail) {
    }

    private final Map<String, HostState> hostStates = new ConcurrentHashMap<>();

    /** Each host as the last resync read it (empty before the first). */
    public Map<String, HostState> hosts() {
        return Map.copyOf(hostStates);
    }

    /**
     * Reads the member's kubesphere-config (a call it answers, or not: also how a probe finds out
     * whether it is back) and compares its jwtSecret with the hosts', when theirs was read. The
     * result is set before the member is marked answering, so the keys that queues see it.
     */
    private void checkJwt(MemberCluster m, MemberRecord s, Optional<JwtSecret.Fingerprint> hostPrint) {
        Boolean before = s.jwtMatches;
        Optional<String> yaml;
        try {
            yaml = m.cluster().kubesphereYaml();
        } catch (KubeAccessException e) {
            if (!e.unavailable()) {
                // It answered (a 403 on the config map, say): it is up, though the secrets were not compared.
                reachable(m.name(), s);
            }
            noteFailure(m.name(), e);
            return;
        }
        if (hostPrint.isEmpty()) {
            s.jwtMatches = null;
            s.jwtProblem = "the hosts' jwtSecret could not be read or they differ";
            reachable(m.name(), s);
            return;
        }
        if (yaml.isEmpty()) {
            s.jwtMatches = false;
            s.jwtProblem = "no kubesphere-system/kubesphere-config on the member";
        } else {
            try {
                boolean same = JwtSecret.fingerprint(yaml.get(), settings.profile(), fingerprintKey)
                        .matches(hostPrint.get());
                s.jwtMatches = same;
                s.jwtProblem = same ? null : "the member's jwtSecret differs from the hosts'";
            } catch (JwtSecret.Unreadable e) {
                s.jwtMatches = false;
                s.jwtProblem = e.getMessage();
            }
        }
        reachable(m.name(), s);
        if (!Objects.equals(before, s.jwtMatches)) {
            if (Boolean.TRUE.equals(s.jwtMatches)) {
                LOG.info("[{}] jwtSecret matches the hosts': pushing to it", m.name());
            } else {
                LOG.warn("[{}] {}: nothing is pushed to it", m.name(), s.jwtProblem);
            }
        }
    }

    private void work() {
        while (!closed) {
            Optional<PushKey> next;
            try {
                next = queue.take(Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (next.isEmpty()) {
                continue;
            }
            PushKey key = next.get();
            try {
                process(key);
            } catch (RuntimeException e) {
                LOG.warn("[{}] failed: {}", key, e.toString());
                retryLater(key);
            } finally {
                queue.done(key);
            }
        }
    }

    private void process(PushKey key) {
        FederatedKind kind = kinds.get(key.plural());
        MemberCluster member = members.get(key.member());
        MemberRecord s = records.get(key.member());
        if (kind == null || member == null) {
            failures.reset(key);
            unsettled.reset(key);
            notReady.reset(key);
            conflictHeld.remove(key);
            return;
        }
        if (!s.reachable) {
            // Parked, not retried on a timer (a member down for an hour would have every key it is
            // owed taken every second): once a second a probe asks the member (see probe), and
            // every parked key is queued when it answers.
            park(key, s);
            return;
        }
        decide(key, kind, member, s);
    }

    private void decide(PushKey key, FederatedKind kind, MemberCluster member, MemberRecord s) {
        LOG.trace("[{}] deciding", key);
        if (!caches.values().stream().allMatch(byKind -> byKind.get(kind.plural()).synced())) {
            // A host's cache has not listed the kind yet (a host down since start-up): its listing
            // queues what it finds at once, and each resync the rest.
            queue.addAfter(key, notReady.next(key));
            return;
        }
        if (s.jwtMatches == null) {
            // Not compared yet (or the hosts' secret is unreadable): decide nothing. The resync that
            // compares the secrets queues everything after it.
            queue.addAfter(key, notReady.next(key));
            return;
        }
        notReady.reset(key);
        HostsState hostsState = hostsState(kind, key.namespace(), key.name());
        String etcdKey = kind.registryPrefix() + (key.namespace().isEmpty() ? "" : key.namespace() + "/") + key.name();
        String conflict = mirror.openConflict(etcdKey).orElse(null);
        boolean placed = hostsState.any != null && Placement.of(kind, hostsState.any, memberList(),
                this::workspaceMembers).members().contains(member.name());
        String seenKey = kind.plural() + "/" + key.namespace() + "/" + key.name();
        Optional<MemberCopy.Observed> onMember = s.seen.get(seenKey);
        if (onMember == null && s.lastSync != null && !s.mustRead.contains(seenKey)) {
            // Not among fedsync's copies when the member was last listed, nor written since: a new
            // object, absent there. (If it is there after all, the create answers 409 and it is read.)
            onMember = Optional.empty();
        }
        if (onMember == null) {
            try {
                onMember = member.cluster().get(kind.target(), key.namespace(), key.name())
                        .map(copy -> observe(member, s, kind, seenKey, copy, null));
            } catch (KubeAccessException e) {
                noteFailure(member.name(), e);
                retryOrPark(key, s);
                return;
            }
            s.learning(seenKey);
            s.seen.put(seenKey, onMember);
            s.mustRead.remove(seenKey);
            reachable(member.name(), s);
        }
        Optional<MemberCopy.Observed> held = onMember;
        PushDecision d = PushPlanner.decideObserved(() -> hostsState.view, conflict, placed,
                Boolean.TRUE.equals(s.jwtMatches), held, settings.driftPolicy());
        if (!(d instanceof PushDecision.Hold h && !h.conflict())) {
            unsettled.reset(key);
        }
        if (d instanceof PushDecision.Hold h && h.conflict()) {
            conflictHeld.put(key, etcdKey);
        } else if (!conflictHeld.isEmpty()) {
            conflictHeld.remove(key);
        }
        if (d instanceof PushDecision.Report) {
            // Drift left in place is reported once per content of the member's copy, not at every resync.
            if (!reported.add(key + " " + held.map(MemberCopy.Observed::contentHash).orElse(""))) {
                return;
            }
        } else if (!(d instanceof PushDecision.Hold) && !reported.isEmpty()) {
            // Written, or in sync: a later edit on the member is new drift. (A hold decides nothing:
            // e.g. a host's cache listing again for a moment must not make the same drift new again.)
            reported.removeIf(seen -> seen.startsWith(key + " "));
        }
        try {
            carryOut(key, kind, member, s, d, seenKey, hostsState, held);
            failures.reset(key);
            if (d instanceof PushDecision.Create || d instanceof PushDecision.Update || d instanceof PushDecision.Delete) {
                // The member answered. (A decision that needed no call says nothing of that: taking it
                // as an answer would queue every parked key against a member that is still down.)
                reachable(member.name(), s);
            }
            if (!s.refused.isEmpty() && s.refused.remove(objectRef(key)) != null) {
                LOG.info("[{}] no longer refused by the member", key);
            }
        } catch (KubeAccessException e) {
            // What the member holds is not what fedsync thought: read it before deciding again.
            s.learning(seenKey);
            s.mustRead.add(seenKey);
            s.seen.remove(seenKey);
            if (e.conflict() || e.notFound()) {
                // The member's object changed since it was read: decide again with what it holds now.
                LOG.debug("[{}] {} changed on the member meanwhile; deciding again", key, kind.target().plural());
                queue.add(key);
            } else if (e.refused()) {
                // Not the member's state but this object (a webhook's denial, validation, RBAC): said once
                // per answer, shown in the member's status, tried again with a longer backoff and when the
                // hosts change it (their event queues it now), not at every resync.
                if (!e.getMessage().equals(s.refused.put(objectRef(key), e.getMessage()))) {
                    LOG.warn("[{}] refused by the member: {}; tried again with backoff (up to {} min) and when the"
                            + " hosts change it", key, e.getMessage(), MAX_REFUSED_BACKOFF.toMinutes());
                }
                retryLater(key, MAX_REFUSED_BACKOFF);
            } else {
                noteFailure(member.name(), e);
                retryOrPark(key, s);
            }
        }
    }

    /** {@code plural/[namespace/]name}: how the member's status names an object. */
    private static String objectRef(PushKey key) {
        return key.plural() + "/" + (key.namespace().isEmpty() ? "" : key.namespace() + "/") + key.name();
    }

    private static MemberCopy.Observed observedAfterWrite(ObjectNode written, String resourceVersion) {
        String hash = written.path("metadata").path("annotations").path(MemberCopy.CONTENT_HASH).asText();
        return new MemberCopy.Observed(resourceVersion, hash, hash, true);
    }

    /** Records fedsync's own write of a copy: what it now knows the member holds. */
    private static void wrote(MemberRecord s, String seenKey, ObjectNode copy, String resourceVersion) {
        MemberCopy.Observed o = observedAfterWrite(copy, resourceVersion);
        s.learning(seenKey);
        s.seen.put(seenKey, Optional.of(o));
        s.written.put(seenKey, o);
    }

    /**
     * What deciding needs of a copy read from the member: as fedsync wrote it when the copy is still
     * at the resourceVersion of fedsync's own last write (whatever the member changed while storing
     * it is the member's way of storing it, not an edit); else what {@code listedBefore} (the last
     * listing's observation) says when it saw this resourceVersion; else, for a copy this leader has
     * not written, as fedsync wrote it when the member's managedFields name fedsync alone; else worked
     * out from the copy.
     */
    private MemberCopy.Observed observe(MemberCluster m, MemberRecord s, FederatedKind kind, String seenKey, JsonNode copy,
                                        MemberCopy.Observed listedBefore) {
        String rv = copy.path("metadata").path("resourceVersion").asText("");
        boolean seenBefore = listedBefore != null && !rv.isEmpty() && listedBefore.resourceVersion().equals(rv);
        MemberCopy.Observed w = s.written.get(seenKey);
        if (w != null && w.resourceVersion().equals(rv)) {
            if (!seenBefore && !s.storesDifferently.contains(kind.plural())
                    && !w.contentHash().equals(MemberCopy.contentHash(copy))) {
                storesDifferently(m, s, kind);
            }
            return w;
        }
        if (seenBefore) {
            return listedBefore;
        }
        MemberCopy.Observed o = MemberCopy.Observed.of(copy);
        if (w == null && o.writtenByFedsync() && !o.recordedHash().isEmpty() && !o.recordedHash().equals(o.contentHash())
                && MemberCopy.writtenOnlyBy(copy, KubeCluster.FIELD_MANAGER)) {
            // A copy this leader has not written (it is new, or fedsyncd restarted): its content is not
            // what fedsync sent, yet no one but fedsync has written it through the API: the member stores
            // it so. Not drift. (A leader that wrote it knows its resourceVersion, and any other is an edit.)
            storesDifferently(m, s, kind);
            return new MemberCopy.Observed(rv, o.recordedHash(), o.recordedHash(), true);
        }
        return o;
    }

    private static void storesDifferently(MemberCluster m, MemberRecord s, FederatedKind kind) {
        if (s.storesDifferently.add(kind.plural())) {
            LOG.info("[{}] stores {} otherwise than fedsync sends them (a mutating admission webhook or defaulting on"
                    + " the member): each copy is kept as the member stored it, and written again only when the hosts"
                    + " change it or someone edits it", m.name(), kind.plural());
        }
    }

    /**
     * One object as the hosts hold it: the hosts' cache entries it was worked out from (a new entry
     * on any host means a new state), one of them parsed for placement (null: no host holds it;
     * not parsed for a kind placed on every member) and the hosts' view
     * (settled or not, and the member copy). Worked out once per change on the hosts and shared by
     * every member's decision, like the copy's JSON, written once for every member's create.
     */
    private static final class HostsState {
        private final List<KindCache.Entry> entries;
        private final JsonNode any;
        private final PushPlanner.HostsView view;
        private volatile byte[] copyJson;

        HostsState(List<KindCache.Entry> entries, JsonNode any, PushPlanner.HostsView view) {
            this.entries = entries;
            this.any = any;
            this.view = view;
        }

        /** Worked out from these very entries (the same objects, not equal ones). */
        boolean from(List<KindCache.Entry> now) {
            for (int i = 0; i < now.size(); i++) {
                if (now.get(i) != entries.get(i)) {
                    return false;
                }
            }
            return true;
        }

        /** The agreed copy as JSON, when {@code copy} is it (else null: the caller writes it). */
        byte[] jsonOf(ObjectNode copy) {
            if (!(view instanceof PushPlanner.Agreed a) || a.desired() != copy) {
                return null;
            }
            byte[] json = copyJson;
            if (json == null) {
                json = MemberCopy.bytes(copy);
                copyJson = json;
            }
            return json;
        }
    }

    /** Recent {@link HostsState}s by plural/namespace/name; bounded, least recently used out first. */
    private final Map<String, HostsState> hostsStates = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, HostsState> eldest) {
                    return size() > 4096;
                }
            });

    private HostsState hostsState(FederatedKind kind, String namespace, String name) {
        String cacheKey = kind.plural() + "/" + namespace + "/" + name;
        List<KindCache.Entry> entries = new ArrayList<>();
        for (Map<String, KindCache> byKind : caches.values()) {
            entries.add(byKind.get(kind.plural()).get(namespace, name));
        }
        HostsState cached = hostsStates.get(cacheKey);
        if (cached != null && cached.from(entries)) {
            return cached;
        }
        Map<String, Optional<byte[]>> onHosts = new TreeMap<>();
        JsonNode any = null;
        int i = 0;
        for (String host : caches.keySet()) {
            KindCache.Entry o = entries.get(i++);
            onHosts.put(host, Optional.ofNullable(o == null ? null : o.json()));
            if (o != null && any == null) {
                // Placement reads the object only for kinds not placed on every member.
                any = kind.placement() == FederatedKind.PlacementRule.ALL_MEMBERS
                        ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : readTree(o.json());
            }
        }
        HostsState state = new HostsState(entries, any, PushPlanner.settle(kind, onHosts, null));
        hostsStates.put(cacheKey, state);
        return state;
    }

    /** @param held what was observed of the member's object when deciding */
    private void carryOut(PushKey key, FederatedKind kind, MemberCluster member, MemberRecord s, PushDecision d, String seenKey,
                          HostsState hostsState, Optional<MemberCopy.Observed> held) throws KubeAccessException {
        if (d instanceof PushDecision.Create c) {
            // The member now holds what was written, as it stores it: nothing of the answer but its
            // resourceVersion is read (a copy still at that version is taken as written, see observe).
            byte[] json = hostsState.jsonOf(c.copy());
            String rv = timed(member, "create", () -> json == null ? member.cluster().createVersion(kind.target(), c.copy())
                    : member.cluster().createVersion(kind.target(), c.copy(), json));
            wrote(s, seenKey, c.copy(), rv);
            s.copies.computeIfAbsent(kind.plural(), k -> ConcurrentHashMap.newKeySet()).add(key.name());
            s.creates.incrementAndGet();
            s.lastWriteAt = clock.instant();
            LOG.debug("[{}] {}", key, c.reason());
        } else if (d instanceof PushDecision.Update u && !u.drift()) {
            wrote(s, seenKey, u.copy(), timed(member, "update",
                    () -> member.cluster().replaceVersion(kind.target(), u.copy(), u.resourceVersion())));
            s.updates.incrementAndGet();
            s.lastWriteAt = clock.instant();
            LOG.debug("[{}] {}", key, u.reason());
        } else if (d instanceof PushDecision.Update u) {
            // Rare, so the answer is read whole: a copy the member stores just as it was found was
            // not edited, the member stores it so (what a new leader, which does not know fedsync's
            // last write of it, meets once per copy on a member that changes objects as it stores them).
            MemberCopy.Observed stored = MemberCopy.Observed.of(timed(member, "update",
                    () -> member.cluster().replace(kind.target(), u.copy(), u.resourceVersion())));
            wrote(s, seenKey, u.copy(), stored.resourceVersion());
            s.updates.incrementAndGet();
            s.lastWriteAt = clock.instant();
            if (held.isPresent() && held.get().contentHash().equals(stored.contentHash())) {
                storesDifferently(member, s, kind);
                LOG.debug("[{}] written again; the member stores it as it held it: not drift", key);
            } else {
                s.drifts.incrementAndGet();
                LOG.warn("[{}] {}", key, u.reason());
            }
        } else if (d instanceof PushDecision.Delete del) {
            timed(member, "delete", () -> {
                member.cluster().delete(kind.target(), key.namespace(), key.name(), del.resourceVersion());
                return null;
            });
            s.learning(seenKey);
            s.seen.put(seenKey, Optional.empty());
            s.written.remove(seenKey);
            Set<String> known = s.copies.get(kind.plural());
            if (known != null) {
                known.remove(key.name());
            }
            s.deletes.incrementAndGet();
            s.lastWriteAt = clock.instant();
            LOG.info("[{}] deleted: {}", key, del.reason());
        } else if (d instanceof PushDecision.Report r) {
            s.drifts.incrementAndGet();
            LOG.warn("[{}] {}", key, r.reason());
        } else if (d instanceof PushDecision.Hold h) {
            s.holds.incrementAndGet();
            LOG.debug("[{}] held: {}", key, h.reason());
            if (!h.conflict()) {
                queue.addAfter(key, unsettled.next(key));
            } // else conflictHeld: queued once the mirror says the conflict is resolved (see probe)
        } else {
            LOG.debug("[{}] {}", key, d.reason());
        }
    }

    /** Runs a write to {@code member}, telling {@link Timings} how long it took and whether it worked. */
    private <T> T timed(MemberCluster member, String op, MemberCall<T> call) throws KubeAccessException {
        long start = System.nanoTime();
        boolean ok = false;
        try {
            T result = call.call();
            ok = true;
            return result;
        } finally {
            timings.wrote(member.name(), op, ok, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private List<Member> memberList() {
        List<Member> out = new ArrayList<>();
        members.values().forEach(m -> out.add(new Member(m.name(), labelsOf(m))));
        return out;
    }

    /**
     * KubeSphere's record of each member cluster on the hosts, {@code clusters.cluster.kubesphere.io}:
     * its labels (set in the console) are what a workspace's {@code clusterSelector} selects on.
     * Never federated; only read.
     */
    static final FederatedKind.Target CLUSTERS = new FederatedKind.Target("cluster.kubesphere.io", "v1alpha1",
            "clusters", "Cluster");
    /** By member name, the labels of the hosts' Cluster object of that name (read each resync). */
    private volatile Map<String, Map<String, String>> clusterLabels = Map.of();

    /** A member's labels: its KubeSphere Cluster object's on the hosts, with those given at join over them. */
    private Map<String, String> labelsOf(MemberCluster m) {
        Map<String, String> labels = new TreeMap<>(clusterLabels.getOrDefault(m.name(), Map.of()));
        labels.putAll(m.labels());
        return labels;
    }

    /**
     * Reads the Cluster objects' labels from the first host that answers (404: KubeSphere's
     * multicluster is not installed there, no labels). When they change, every object placed by
     * workspace is decided again for every member.
     */
    private void readClusterLabels() {
        for (KubeCluster h : hosts.values()) {
            Map<String, Map<String, String>> found = new TreeMap<>();
            try {
                for (JsonNode c : h.list(CLUSTERS, null)) {
                    Map<String, String> labels = new TreeMap<>();
                    c.path("metadata").path("labels").properties().forEach(e -> {
                        if (e.getValue().isTextual()) {
                            labels.put(e.getKey(), e.getValue().asText());
                        }
                    });
                    found.put(c.path("metadata").path("name").asText(), labels);
                }
            } catch (KubeAccessException e) {
                if (!e.notFound()) {
                    LOG.debug("[{}] cannot read its Cluster objects: {}", h.name(), e.getMessage());
                    continue;
                }
            }
            Map<String, Map<String, String>> before = clusterLabels;
            if (!found.equals(before)) {
                clusterLabels = found;
                LOG.info("federation: cluster labels from {}'s Cluster objects: {}", h.name(), found);
                for (FederatedKind k : kinds.values()) {
                    if (k.placement() != FederatedKind.PlacementRule.ALL_MEMBERS) {
                        for (String n : namesOnHosts(k, null)) {
                            members.keySet().forEach(m -> queue.add(new PushKey(m, k.plural(), "", n)));
                        }
                    }
                }
            }
            return;
        }
    }

    /** The members a workspace is placed on, from the hosts' workspace templates. */
    private Set<String> workspaceMembers(String workspace) {
        for (FederatedKind k : kinds.values()) {
            if (k.placement() != FederatedKind.PlacementRule.SPEC_PLACEMENT) {
                continue;
            }
            for (Map<String, KindCache> byKind : caches.values()) {
                KindCache.Entry t = byKind.get(k.plural()).get("", workspace);
                if (t != null) {
                    return Placement.of(k, readTree(t.json()),
                            memberList(), w -> Set.of()).members();
                }
            }
        }
        return Set.of();
    }

    /**
     * One line per member and resync saying what was written since the last one (each create and
     * update is logged at DEBUG: a bulk import makes thousands; deletes and drift each get a line).
     */
    private void summarise(String member, MemberRecord s) {
        long c = s.creates.get();
        long u = s.updates.get();
        long d = s.deletes.get();
        long[] last = s.summarised;
        if (c != last[0] || u != last[1] || d != last[2]) {
            LOG.info("[{}] since the last report: {} created, {} updated, {} deleted; pending {}", member,
                    c - last[0], u - last[1], d - last[2], queue.count(k -> k.member().equals(member)));
            s.summarised = new long[] {c, u, d};
        }
    }

    private void reachable(String member, MemberRecord s) {
        if (!s.reachable) {
            s.reachable = true;
            s.lastError = null;
            LOG.info("[{}] answers again", member);
            unpark(s);
        }
    }

    /**
     * Once a second: each member that does not answer is asked whether it is back, with a call of its
     * own, not a parked key's (a key whose decision needs no call would learn nothing, and the member's
     * return would wait for the resync); when it answers, its parked keys are queued, and a member
     * whose jwtSecret was never compared (down since start-up or since it joined) is resynced at once.
     * While a host does not answer, the hosts' jwtSecrets cannot be compared and nothing is pushed:
     * they are read again, and once they agree every member is resynced (not at the next resync,
     * up to {@code federation.resync} later), and the returned host's caches try it at once (not
     * after the rest of their backoff, up to 30 s). And keys held for a mirror conflict that is resolved
     * now are queued ({@link #conflictHeld}).
     */
    private void probe() {
        if (closed) {
            return;
        }
        try {
            probeNow();
        } catch (RuntimeException e) {
            // Caught: an exception out of a task scheduled at a fixed delay cancels every later run.
            LOG.warn("federation: probe failed: {}", e.toString());
        }
    }

    private void probeNow() {
        releaseResolved();
        if (lastHostPrint.isEmpty() && hostStates.values().stream().anyMatch(h -> !h.reachable())
                && hostsProbing.compareAndSet(false, true)) {
            probeOff(hostsProbing, () -> {
                Set<String> down = new java.util.TreeSet<>();
                hostStates.forEach((host, state) -> {
                    if (!state.reachable()) {
                        down.add(host);
                    }
                });
                Optional<JwtSecret.Fingerprint> print = hostFingerprint();
                if (print.isPresent() && !closed) {
                    LOG.info("federation: every host answers and their jwtSecrets agree: comparing the members' now");
                    // The caches of a host that was down may be waiting out a backoff of up to 30 s.
                    down.forEach(host -> caches.getOrDefault(host, Map.of()).values().forEach(KindCache::retryNow));
                    timer.execute(() -> resyncWith(print));
                }
            });
        }
        for (MemberCluster m : members.values()) {
            MemberRecord s = records.get(m.name());
            if (s == null) {
                continue;
            }
            if (s.reachable) {
                if (!s.parked.isEmpty()) {
                    unpark(s); // parked just as it answered
                }
            } else if (s.probing.compareAndSet(false, true)) {
                probeOff(s.probing, () -> {
                    Boolean compared = s.jwtMatches;
                    checkJwt(m, s, lastHostPrint);
                    if (s.reachable && compared == null && s.jwtMatches != null && records.get(m.name()) == s) {
                        resyncMember(m, s, lastHostPrint);
                    }
                });
            }
        }
    }

    /** Queues each key held for a mirror conflict that is no longer open (see {@link #conflictHeld}). */
    private void releaseResolved() {
        for (Map.Entry<PushKey, String> held : conflictHeld.entrySet()) {
            try {
                if (mirror.openConflict(held.getValue()).isEmpty() && conflictHeld.remove(held.getKey(), held.getValue())) {
                    LOG.debug("[{}] the mirror's conflict on it is resolved: deciding again", held.getKey());
                    queue.add(held.getKey());
                }
            } catch (RuntimeException e) {
                LOG.warn("federation: could not ask the mirror about its conflict on {}: {}", held.getValue(), e.toString());
                return;
            }
        }
    }

    /** Runs a probe on {@link #probePool}; {@code running} is cleared when it ends. */
    private void probeOff(java.util.concurrent.atomic.AtomicBoolean running, Runnable probe) {
        try {
            probePool.execute(() -> {
                try {
                    probe.run();
                } catch (RuntimeException e) {
                    if (!closed) {
                        LOG.warn("federation: probe failed: {}", e.toString());
                    }
                } finally {
                    running.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            running.set(false); // closing
        }
    }

    /** A failed call: parked while the member does not answer (see {@link #probe}), else retried with backoff. */
    private void retryOrPark(PushKey key, MemberRecord s) {
        if (s.reachable) {
            retryLater(key);
        } else {
            park(key, s);
        }
    }

    private void park(PushKey key, MemberRecord s) {
        s.parked.add(key);
        if (s.reachable && s.parked.remove(key)) {
            queue.add(key); // it answered meanwhile, after reachable() queued what was parked
        }
    }

    /** Queues every key parked while the member did not answer. */
    private void unpark(MemberRecord s) {
        for (java.util.Iterator<PushKey> i = s.parked.iterator(); i.hasNext(); ) {
            PushKey k = i.next();
            i.remove();
            queue.add(k);
        }
    }

    private void noteFailure(String member, KubeAccessException e) {
        MemberRecord s = records.get(member);
        if (s == null) {
            return;
        }
        if (e.unavailable() && s.reachable) {
            LOG.warn("[{}] unreachable: {}; retrying, the other members go on", member, e.getMessage());
        }
        s.reachable = !e.unavailable() && s.reachable;
        s.lastError = e.getMessage();
    }

    private void retryLater(PushKey key) {
        retryLater(key, MAX_BACKOFF);
    }

    /** Queues {@code key} again after 0.5 s, doubled at each failure in a row, at most {@code cap}. */
    private void retryLater(PushKey key, Duration cap) {
        queue.addAfter(key, failures.next(key, cap));
    }

    private static JsonNode readTree(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (java.io.IOException e) {
            return JSON.createObjectNode();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        queue.shutDown();
        timer.shutdownNow();
        resyncPool.shutdownNow();
        probePool.shutdownNow();
        caches.values().forEach(byKind -> byKind.values().forEach(KindCache::close));
        for (Thread t : workers) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
