package io.fedsync.raft;

import io.fedsync.conflict.ConflictLog;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.raft.api.CursorKey;
import io.fedsync.raft.api.MemberRegistration;
import io.fedsync.raft.api.MemberRegistry;
import io.fedsync.raft.api.MirrorStateStore;
import io.fedsync.raft.api.RegistrationException;
import io.fedsync.raft.state.Command;
import io.fedsync.raft.state.Reply;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica of the group: the Ratis server with fedsync's state machine, and a client to the
 * group.
 *
 * <h2>Leadership</h2>
 * {@link Leadership#leading} and {@link Leadership#notLeading} are delivered on one thread of
 * their own ({@code fedsync-raft-leadership-<id>}), never concurrently, strictly alternating,
 * starting with {@code leading}, and never before {@link #start} has returned:
 * <ul>
 * <li>{@code leading(term)} when Ratis says this replica leads and has applied the first entry of
 *     its term ({@code notifyLeaderReady}), once per Raft term at most;</li>
 * <li>{@code notLeading(why)} when Ratis steps down, when another replica becomes leader, when the
 *     Raft server shuts down, when {@link #close()} is called, and — the watchdog — when this
 *     leader has not heard from a majority of the group for longer than the maximum election
 *     timeout, even if Ratis has not stepped down yet. The watchdog then also asks Ratis to step
 *     down, so leadership comes back only through a new election ({@code leading} with a higher
 *     term).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Ratis calls {@link FedsyncStateMachine.Events} from its own threads; those only record the fact
 * and hand over to the leadership thread. The watchdog runs every {@code Tuning#watchdogInterval}
 * on {@code fedsync-raft-watchdog-<id>} and never blocks. Cursor maps are sent by
 * {@code fedsync-raft-cursors-<id>}. Writes go through the blocking Ratis client on
 * {@code fedsync-raft-request-<id>-<n>} threads (at most {@link #MAX_WRITES_IN_FLIGHT}); the caller
 * waits at most {@link RaftSettings#requestTimeout()}, after which the request thread is
 * interrupted (a write given up on may still have committed: every command is idempotent or
 * harmless to repeat — a record is put by id, a cursor map replaces values, a term only grows, a
 * member joined again with the same registration is OK; only a repeated unjoin is refused, as
 * {@code NOT_JOINED}, the member being gone either way). Joins and unjoins
 * ({@link #memberRegistry()}) may be made on any replica, from any thread.
 * {@link #addPeer} and {@link #removePeer} send the change from {@code fedsync-raft-membership-<id>},
 * one at a time per replica; the caller waits at most {@link RaftSettings#membershipTimeout()}.
 *
 * <h2>Membership</h2>
 * The group's configuration is Ratis': it is kept in the log and in {@code raft-meta.conf}, and
 * once a replica has it, it wins over the config file's {@code peers}. The file's list is used
 * only by a replica that has no configuration yet (a new data dir): it asks the replicas the file
 * lists (other than itself) for the group's configuration, at most {@link #PROBE_TIMEOUT} each,
 * <ul>
 * <li>and when one answers with a configuration that includes this replica, starts with that
 *     configuration (a group being formed, or a replica added before it started);</li>
 * <li>when one answers with a configuration that does not include it, starts with none: it
 *     takes no part in elections, reports the role {@value #NOT_MEMBER}, and waits for the leader to
 *     add it ({@link #addPeer}), which sends it the latest snapshot (if any) and the log after it;</li>
 * <li>when none answers, forms the group of the file's {@code peers} (the first start of a new
 *     group). Replicas that are not in another group's configuration never get that group's votes,
 *     so this cannot split an existing group unless the file lists a majority of new replicas.</li>
 * </ul>
 * A configuration is in storage once this replica applied its first configuration entry (every
 * new leader writes one); a replica whose storage has none (a new data dir, or one that was never
 * added) probes again at its next start.
 * <p>
 * Changes may be asked of any member: they are sent to the leader (Ratis' {@code setConfiguration},
 * compare-and-set against the configuration this replica has, so a change made meanwhile elsewhere
 * makes it fail rather than be undone), one replica at a time. Adding waits until the new replica
 * has caught up — from the leader's latest snapshot when the log it needs was purged — then commits
 * the joint and the new configuration. The leader is not removed: {@link #removePeer} refuses it,
 * saying to stop that replica first (another one then leads, and removes it).
 */
public final class RaftNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);

    /** Every replica forms or joins this one group. */
    public static final RaftGroupId GROUP_ID =
            RaftGroupId.valueOf(UUID.nameUUIDFromBytes("fedsync".getBytes(StandardCharsets.UTF_8)));

    /**
     * The largest command the log takes. Ratis reads no log entry larger than its appender buffer
     * (set to {@link #LOG_ENTRY_LIMIT} here, below the 8 MB write buffer); the rest is headroom
     * for the entry's envelope.
     */
    static final int MAX_COMMAND_BYTES = 6 << 20;
    private static final SizeInBytes LOG_ENTRY_LIMIT = SizeInBytes.valueOf("7MB");
    static final int MAX_WRITES_IN_FLIGHT = 8;
    /** How often a member change waits to see its entry applied on this replica (see {@code awaitAppliedHere}). */
    private static final Duration APPLY_POLL = Duration.ofMillis(10);
    private static final Duration CLIENT_RETRY_SLEEP = Duration.ofMillis(100);
    private static final Duration LISTENER_WAIT_ON_CLOSE = Duration.ofSeconds(10);
    private static final Duration START_GATE_TIMEOUT = Duration.ofSeconds(60);
    private static final int DEFAULT_LOG_PURGE_GAP = 1024;
    /** How long a replica without a configuration waits for each listed peer to say what the group is. */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    /** The role of a replica that is not in the group's configuration (not added yet, or removed). */
    public static final String NOT_MEMBER = "not-member";

    /** Knobs the tests turn; everything else comes from {@link RaftSettings}. */
    record Tuning(long snapshotThreshold, boolean snapshotOnStop, int logPurgeGap, Duration watchdogInterval,
                  Duration cursorInterval, int maxEndedConflicts) {
        static final Tuning DEFAULT = new Tuning(RaftSettings.DEFAULT_SNAPSHOT_EVERY, true, DEFAULT_LOG_PURGE_GAP,
                Duration.ofMillis(200), Duration.ofMillis(500), ConflictLog.DEFAULT_MAX_ENDED);

        /** The defaults, with {@link RaftSettings#snapshotEvery()} when set: the log is kept back to the last snapshot. */
        static Tuning of(RaftSettings settings) {
            long every = settings.snapshotEvery();
            if (every <= 0) {
                return DEFAULT;
            }
            return new Tuning(every, DEFAULT.snapshotOnStop, (int) Math.min(DEFAULT_LOG_PURGE_GAP, every),
                    DEFAULT.watchdogInterval, DEFAULT.cursorInterval, DEFAULT.maxEndedConflicts);
        }
    }

    /** One stretch of leadership as the listener was told it: from {@code leading(term)} to {@code notLeading}. */
    private static final class Epoch {
        final long term;
        /** Completed with the reason when it ends; any thread may end it, once. */
        final CompletableFuture<String> ended = new CompletableFuture<>();

        Epoch(long term) {
            this.term = term;
        }

        boolean active() {
            return !ended.isDone();
        }
    }

    private final RaftSettings settings;
    private final Tuning tuning;
    private final Leadership listener;
    private final String tag;
    private final RaftPeerId selfId;
    /** The group as the config file lists it: formed from on a first start, and where the client starts looking. */
    private final RaftGroup group;
    private final FedsyncStateMachine stateMachine;
    private final ClientId clientId = ClientId.randomId();
    private final Store store = new Store();
    private final Registry registry = new Registry();

    private final ExecutorService leadershipThread;
    private final ScheduledExecutorService watchdogThread;
    private final ScheduledExecutorService cursorThread;
    private final ThreadPoolExecutor requestThreads;

    private volatile RaftServer server;
    private volatile RaftServer.Division division;
    private volatile RaftClient client;
    /**
     * Leader-only writes (a fencing term, cursors) are submitted to this replica's own server, not
     * through {@link #client}: right after a failover the client still knows the dead leader (a
     * refused connection and a 100 ms retry sleep, 150–600 ms of the takeover as measured by
     * {@code bin/fedsync-failover}), and a leader-only write has nowhere else to go anyway.
     */
    private final ClientId localClientId = ClientId.randomId();

    /** The current or last epoch; null before the first {@code leading}. Written on the leadership thread only. */
    private volatile Epoch epoch;
    /** Leadership thread only: the listener was told leading and not yet notLeading. */
    private boolean listenerLeading;
    /** Leadership thread only: {@code leading} is called once per Raft term at most, in increasing terms. */
    private long highestLedTerm;

    /** The newest cursor map not yet sent; superseded maps are dropped. */
    private final AtomicReference<Map<CursorKey, Long>> pendingCursors = new AtomicReference<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final GroupMembership membership;
    /** Opened when {@link #start} returns (or fails). */
    private final CountDownLatch startReturned = new CountDownLatch(1);

    private RaftNode(RaftSettings settings, Leadership listener, Tuning tuning) {
        this.settings = settings;
        this.tuning = tuning;
        this.listener = listener;
        this.tag = "[raft " + settings.selfId() + "]";
        this.selfId = RaftPeerId.valueOf(settings.selfId());
        this.group = RaftGroup.valueOf(GROUP_ID, settings.peers().stream()
                .map(p -> RaftPeer.newBuilder().setId(p.id()).setAddress(p.address()).build()).toList());
        this.stateMachine = new FedsyncStateMachine(tag, tuning.maxEndedConflicts(), new RatisEvents());
        this.membership = new GroupMembership(tag, selfId, GROUP_ID, this::currentDivision,
                settings.membershipTimeout());
        String id = settings.selfId();
        this.leadershipThread = Executors.newSingleThreadExecutor(threads("fedsync-raft-leadership-" + id));
        this.watchdogThread = Executors.newSingleThreadScheduledExecutor(threads("fedsync-raft-watchdog-" + id));
        this.cursorThread = Executors.newSingleThreadScheduledExecutor(threads("fedsync-raft-cursors-" + id));
        this.requestThreads = new ThreadPoolExecutor(0, MAX_WRITES_IN_FLIGHT, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), threads("fedsync-raft-request-" + id + "-"));
        // No listener call before start() has returned the node (a group of one may elect itself
        // at once): the leadership thread first waits for this gate.
        leadershipThread.execute(() -> {
            try {
                if (!startReturned.await(START_GATE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    LOG.warn("{} start() did not return within {} s; delivering leadership anyway", tag,
                            START_GATE_TIMEOUT.toSeconds());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** Starts the replica (joining or forming its group) and returns at once; leadership comes by {@code listener}. */
    public static RaftNode start(RaftSettings settings, Leadership listener) throws IOException {
        return start(settings, listener, Tuning.of(settings));
    }

    static RaftNode start(RaftSettings settings, Leadership listener, Tuning tuning) throws IOException {
        validate(settings);
        RaftNode node = new RaftNode(settings, listener, tuning);
        try {
            node.startRatis();
        } catch (IOException | RuntimeException e) {
            node.startReturned.countDown();
            node.close();
            throw e;
        }
        node.startReturned.countDown();
        return node;
    }

    private static void validate(RaftSettings s) {
        if (s.electionTimeoutMin().isNegative() || s.electionTimeoutMin().isZero()
                || s.electionTimeoutMax().compareTo(s.electionTimeoutMin()) <= 0) {
            throw new IllegalArgumentException("election timeouts must be 0 < min < max, not " + s.electionTimeoutMin()
                    + " and " + s.electionTimeoutMax());
        }
        if (s.requestTimeout().isNegative() || s.requestTimeout().isZero()) {
            throw new IllegalArgumentException("requestTimeout must be > 0, not " + s.requestTimeout());
        }
        Set<String> ids = new HashSet<>();
        for (RaftSettings.Peer p : s.peers()) {
            if (!ids.add(p.id())) {
                throw new IllegalArgumentException("peer id " + p.id() + " appears twice");
            }
            port(p);
        }
    }

    static int port(RaftSettings.Peer p) {
        int colon = p.address().lastIndexOf(':');
        try {
            int port = Integer.parseInt(p.address().substring(colon + 1));
            if (colon <= 0 || port <= 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("peer " + p.id() + ": address '" + p.address() + "' is not host:port");
        }
    }

    private void startRatis() throws IOException {
        RaftSettings.Peer self = settings.self();
        Path storageDir = settings.storageDir().toAbsolutePath().normalize();
        Files.createDirectories(storageDir);
        // Ratis keeps the group in <storageDir>/<group uuid>. RECOVER would format a missing dir by
        // itself in Ratis 3.3; choosing explicitly says in the log which one happened.
        Path groupDir = storageDir.resolve(GROUP_ID.getUuid().toString());
        RaftStorage.StartupOption option = Files.isDirectory(groupDir)
                ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT;
        LOG.info("{} {} Raft storage {} (group {}, peers in the config file {})", tag,
                option == RaftStorage.StartupOption.RECOVER ? "recovering" : "formatting new", groupDir,
                GROUP_ID.getUuid(), settings.peers());
        RaftGroup initial = GroupMembership.initialGroup(tag, group, selfId, groupDir, PROBE_TIMEOUT);

        RaftProperties props = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(props, List.of(storageDir.toFile()));
        GrpcConfigKeys.Server.setPort(props, port(self));
        String host = self.address().substring(0, self.address().lastIndexOf(':'));
        if (isLoopback(host)) {
            // A loopback address is reachable from this host only: listen there only.
            GrpcConfigKeys.Server.setHost(props, host);
        }
        RaftServerConfigKeys.Rpc.setTimeoutMin(props, millis(settings.electionTimeoutMin()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(props, millis(settings.electionTimeoutMax()));
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, tuning.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(props, tuning.snapshotOnStop());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(props, 2);
        // Purge the log up to the snapshot even if a replica is down: it catches up from the snapshot.
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
        RaftServerConfigKeys.Log.setPurgeGap(props, tuning.logPurgeGap());
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(props, LOG_ENTRY_LIMIT);
        Duration attempt = settings.requestTimeout().compareTo(Duration.ofSeconds(3)) < 0
                ? settings.requestTimeout() : Duration.ofSeconds(3);
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, millis(attempt));

        RaftServer s = RaftServer.newBuilder()
                .setServerId(selfId)
                .setGroup(initial)
                .setStateMachine(stateMachine)
                .setProperties(props)
                .setParameters(new Parameters())
                .setOption(option)
                .build();
        server = s;
        s.start();
        division = s.getDivision(GROUP_ID);

        // The blocking client retries (leader unknown, leader changed) every 100 ms. The caller's
        // wait of requestTimeout is the one budget: when it ends, the request thread is interrupted,
        // which ends the retries. Their count is only a backstop, twice that budget, so that it
        // never runs out first: a write no majority commits then always reads "not committed within
        // requestTimeout: is a majority of the group up?", never Ratis' own retry-failure message
        // (RaftNodeTest saw that when 15 quick attempts ended a few ms before the 1.5 s wait).
        int attempts = (int) Math.max(1, 2 * settings.requestTimeout().toMillis() / CLIENT_RETRY_SLEEP.toMillis());
        client = RaftClient.newBuilder()
                .setClientId(clientId)
                .setRaftGroup(group)
                .setProperties(props)
                .setParameters(new Parameters())
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(attempts, millis(CLIENT_RETRY_SLEEP)))
                .build();

        long watch = tuning.watchdogInterval().toMillis();
        watchdogThread.scheduleWithFixedDelay(this::watchdog, watch, watch, TimeUnit.MILLISECONDS);
        long flush = tuning.cursorInterval().toMillis();
        cursorThread.scheduleWithFixedDelay(this::flushCursors, flush, flush, TimeUnit.MILLISECONDS);
        LOG.info("{} started on {}; election timeout {}–{} ms, request timeout {} ms", tag, self.address(),
                settings.electionTimeoutMin().toMillis(), settings.electionTimeoutMax().toMillis(),
                settings.requestTimeout().toMillis());
    }

    private static boolean isLoopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!h.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false; // a name: do not resolve it here
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static TimeDuration millis(Duration d) {
        return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        boolean numbered = prefix.endsWith("-");
        return r -> {
            Thread t = new Thread(r, numbered ? prefix + n.incrementAndGet() : prefix);
            t.setDaemon(true);
            return t;
        };
    }

    // ------------------------------------------------------------------ state

    /** The replicated state as the mirror uses it (writes go through the Raft log; cursors are batched). */
    public MirrorStateStore store() {
        return store;
    }

    /**
     * The member clusters joined to the group: joins and unjoins go through the Raft log (any
     * replica may make them, follower or leader) and return once applied; the list is this replica's.
     */
    public MemberRegistry memberRegistry() {
        return registry;
    }

    /** This replica's copy of the member registrations, by name (what it has applied; a follower may lag). */
    public List<MemberRegistration> members() {
        return stateMachine.members();
    }

    /** How many times this replica was told of a (new) leader since it started, for {@code /metrics}. */
    public long leaderChanges() {
        return stateMachine.leaderChanges();
    }

    /** This replica's copy of the conflict log, oldest first. */
    public List<ConflictRecord> conflicts() {
        return stateMachine.conflicts();
    }

    /** This replica's copy of the cursors. */
    public Map<CursorKey, Long> cursors() {
        return stateMachine.cursors();
    }

    /** The last fencing term handed out through the log, as applied on this replica. */
    public long fenceTerm() {
        return stateMachine.fenceTerm();
    }

    /**
     * The HTTP API of the replica that took the last fencing term, as applied on this replica: the
     * mirror's while it leads (compare {@link #status()}'s leader); null when it did not say.
     */
    public String mirrorApi() {
        return stateMachine.mirrorApi();
    }

    /**
     * True while this replica leads as its listener was told: after {@code leading(term)} and
     * before {@code notLeading}, and Ratis still has it as leader of that term.
     */
    public boolean isLeader() {
        Epoch e = epoch;
        DivisionInfo info = info();
        return e != null && e.active() && info != null && info.isLeader() && info.getCurrentTerm() == e.term;
    }

    public RaftStatus status() {
        DivisionInfo info = closed.get() ? null : info();
        if (info == null) {
            List<RaftStatus.PeerStatus> peers = settings.peers().stream()
                    .map(p -> new RaftStatus.PeerStatus(p.id(), p.address(), "unknown", -1)).toList();
            return new RaftStatus(settings.selfId(), "stopped", null, -1, -1, peers);
        }
        String role = info.getCurrentRole().name().toLowerCase(Locale.ROOT);
        RaftPeerId leaderId = info.getLeaderId();
        String leader = leaderId == null ? null : leaderId.toString();
        RoleInfoProto roleInfo = info.getRoleInfoProto();
        Map<String, Long> contact = new HashMap<>();
        if (roleInfo.hasLeaderInfo()) {
            for (ServerRpcProto f : roleInfo.getLeaderInfo().getFollowerInfoList()) {
                contact.put(f.getId().getId().toStringUtf8(), f.getLastRpcElapsedTimeMs());
            }
        } else if (roleInfo.hasFollowerInfo() && roleInfo.getFollowerInfo().hasLeaderInfo()) {
            ServerRpcProto l = roleInfo.getFollowerInfo().getLeaderInfo();
            contact.put(l.getId().getId().toStringUtf8(), l.getLastRpcElapsedTimeMs());
        }
        if (!membership.isMember()) {
            role = NOT_MEMBER;
        }
        List<RaftStatus.PeerStatus> peers = new ArrayList<>();
        for (RaftPeer p : membership.members()) {
            String id = p.getId().toString();
            String peerRole;
            long last;
            if (id.equals(settings.selfId())) {
                peerRole = role;
                last = 0;
            } else {
                peerRole = id.equals(leader) ? "leader" : leader != null ? "follower" : "unknown";
                last = contact.getOrDefault(id, -1L);
            }
            peers.add(new RaftStatus.PeerStatus(id, p.getAddress(), peerRole, last));
        }
        return new RaftStatus(settings.selfId(), role, leader, info.getCurrentTerm(), info.getLastAppliedIndex(), peers);
    }

    private DivisionInfo info() {
        RaftServer.Division d = currentDivision();
        return d == null ? null : d.getInfo();
    }

    /** The Ratis division of the group, once the server runs; null before. */
    private RaftServer.Division currentDivision() {
        RaftServer.Division d = division;
        if (d == null) {
            RaftServer s = server;
            if (s == null) {
                return null;
            }
            try {
                d = s.getDivision(GROUP_ID);
                division = d;
            } catch (IOException e) {
                return null;
            }
        }
        return d;
    }

    // ------------------------------------------------------------------ membership

    /**
     * Adds a replica to the group through the leader and returns once the new configuration is
     * committed: the new replica (running, with an empty or its old data dir) first catches up.
     *
     * @param id      the new replica's {@code node.id}
     * @param address its Raft address, {@code host:port}
     * @return the group as this replica sees it afterwards
     * @throws MembershipException when refused or not done; its kind says why
     */
    public RaftStatus addPeer(String id, String address) {
        ensureOpen();
        membership.add(id, address);
        return status();
    }

    /**
     * Removes a replica that does not lead (for a dead one, to replace it) and returns once the
     * new configuration is committed.
     *
     * @return the group as this replica sees it afterwards
     * @throws MembershipException when refused or not done; its kind says why
     */
    public RaftStatus removePeer(String id) {
        ensureOpen();
        membership.remove(id);
        return status();
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new MembershipException(MembershipException.Kind.FAILED, tag + " the Raft replica is stopping");
        }
    }

    // ------------------------------------------------------------------ leadership

    /** Ratis' callbacks: record, hand over to the leadership thread, return at once. */
    private final class RatisEvents implements FedsyncStateMachine.Events {
        @Override
        public void leaderReady() {
            // On Ratis' updater thread, right after it applied the first entry of the new term:
            // the current term is that entry's term.
            DivisionInfo info = info();
            long term = info == null ? -1 : info.getCurrentTerm();
            LOG.info("{} Ratis leader ready in term {}", tag, term);
            onLeadership(() -> becomeLeading(term));
        }

        @Override
        public void notLeader(String why) {
            stopLeading(why, -1);
        }
    }

    /** Leadership thread. */
    private void becomeLeading(long term) {
        if (closed.get() || term <= 0) {
            return;
        }
        DivisionInfo info = info();
        if (info == null || !info.isLeader() || info.getCurrentTerm() != term) {
            LOG.info("{} no longer leader of term {} when about to start leading: not leading", tag, term);
            return;
        }
        if (term <= highestLedTerm) {
            LOG.debug("{} already led term {}", tag, term);
            return;
        }
        if (listenerLeading) {
            endLeading("term " + term + " began");
        }
        highestLedTerm = term;
        epoch = new Epoch(term);
        listenerLeading = true;
        LOG.info("{} leading in Raft term {}", tag, term);
        try {
            listener.leading(term);
        } catch (RuntimeException e) {
            LOG.error("{} the leadership listener failed in leading({})", tag, term, e);
        }
    }

    /**
     * Any thread. Ends the current epoch at once (so leader-only writes fail fast) and tells the
     * listener on the leadership thread.
     *
     * @param onlyTerm end only the epoch of this term (the watchdog), or -1 for whatever epoch is current
     */
    private void stopLeading(String why, long onlyTerm) {
        Epoch e = epoch;
        if (e != null && (onlyTerm < 0 || e.term == onlyTerm)) {
            e.ended.complete(why);
        }
        onLeadership(() -> {
            Epoch current = epoch;
            if (listenerLeading && current != null && (onlyTerm < 0 || current.term == onlyTerm)) {
                endLeading(why);
            }
        });
    }

    /** Leadership thread. */
    private void endLeading(String why) {
        Epoch current = epoch;
        if (current != null) {
            current.ended.complete(why);
        }
        listenerLeading = false;
        LOG.info("{} not leading (term {}): {}", tag, current == null ? -1 : current.term, why);
        try {
            listener.notLeading(why);
        } catch (RuntimeException e) {
            LOG.error("{} the leadership listener failed in notLeading", tag, e);
        }
    }

    private void onLeadership(Runnable task) {
        try {
            leadershipThread.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.debug("{} closed: leadership event dropped", tag);
        }
    }

    /**
     * Watchdog thread, every {@code Tuning#watchdogInterval}: on a leader, how many replicas
     * (itself included) answered within the maximum election timeout. Ratis' own leader runs the
     * same check, but on its schedule; this one bounds how long a cut-off leader keeps mirroring.
     */
    private void watchdog() {
        try {
            Epoch e = epoch;
            if (e == null || !e.active() || closed.get()) {
                return;
            }
            DivisionInfo info = info();
            if (info == null || !info.isLeader() || info.getCurrentTerm() != e.term) {
                stopLeading("Ratis no longer has this replica as leader of term " + e.term, e.term);
                return;
            }
            long max = settings.electionTimeoutMax().toMillis();
            RoleInfoProto role = info.getRoleInfoProto();
            if (role.getRoleElapsedTimeMs() < max || !role.hasLeaderInfo()) {
                return; // just elected: a majority voted for it less than a timeout ago
            }
            int heard = 1;
            List<String> silent = new ArrayList<>();
            List<String> members = membership.members().stream().map(p -> p.getId().toString()).toList();
            for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                if (!members.contains(f.getId().getId().toStringUtf8())) {
                    continue; // a replica being added: not counted until it is a member
                }
                if (f.getLastRpcElapsedTimeMs() <= max) {
                    heard++;
                } else {
                    silent.add(f.getId().getId().toStringUtf8() + " (" + f.getLastRpcElapsedTimeMs() + " ms)");
                }
            }
            int n = Math.max(1, members.size());
            if (2 * heard > n) {
                return;
            }
            String why = "lost contact with the majority: heard from " + heard + " of " + n + " replicas within "
                    + max + " ms; silent: " + String.join(", ", silent);
            LOG.warn("{} {}", tag, why);
            stopLeading(why, e.term);
            requestStepDown(e.term);
        } catch (RuntimeException ex) {
            LOG.error("{} watchdog failed", tag, ex);
        }
    }

    /** So that this replica leads again only after a new election (a new {@code leading}). */
    private void requestStepDown(long term) {
        RaftServer s = server;
        if (s == null) {
            return;
        }
        long timeout = settings.electionTimeoutMax().toMillis();
        try {
            s.transferLeadershipAsync(new TransferLeadershipRequest(clientId, selfId, GROUP_ID,
                            CallId.getAndIncrement(), null, timeout))
                    .whenComplete((reply, err) -> {
                        if (err != null || reply == null || !reply.isSuccess()) {
                            LOG.info("{} step down from term {}: {}", tag, term,
                                    err != null ? err.toString() : reply == null ? "no reply" : reply.getException());
                        } else {
                            LOG.info("{} stepped down from term {}", tag, term);
                        }
                    });
        } catch (IOException | RuntimeException e) {
            LOG.info("{} step down from term {} not possible: {}", tag, term, e.toString());
        }
    }

    // ------------------------------------------------------------------ writes

    /** The mirror's view of the group. */
    private final class Store implements MirrorStateStore {

        @Override
        public Map<CursorKey, Long> loadCursors() {
            return cursors();
        }

        /**
         * Never blocks: keeps the newest map; the cursor thread sends it within {@code cursorInterval}
         * ({@link #close()} sends the last one).
         */
        @Override
        public void saveCursors(Map<CursorKey, Long> newCursors) {
            pendingCursors.set(Map.copyOf(newCursors));
        }

        @Override
        public List<ConflictRecord> loadConflicts() {
            return conflicts();
        }

        /** Any replica may save a record (an operator resolves on any); returns once committed. */
        @Override
        public void saveConflict(ConflictRecord record) {
            Reply r = submit(new Command.PutConflict(record), null, "conflict " + record.id());
            if (!r.ok()) {
                throw new RaftStoreException(tag + " conflict " + record.id() + " not saved: " + r.error());
            }
        }

        /**
         * Leader only: the term is committed in the Raft term this replica leads, or not at all.
         *
         * @throws NotLeadingException when this replica does not lead or stops leading meanwhile
         */
        @Override
        public long nextTerm(long atLeast) {
            Epoch e = epoch;
            if (e == null || !e.active()) {
                throw new NotLeadingException(tag + " a fencing term is handed out by the leader only; this replica"
                        + " does not lead" + (e == null ? "" : " (" + e.ended.getNow("") + ")"));
            }
            Reply r = submit(new Command.NextTerm(e.term, Math.max(0, atLeast), settings.api()), e, "fencing term");
            if (r.stale()) {
                throw new NotLeadingException(tag + " " + r.error());
            }
            if (!r.ok()) {
                throw new RaftStoreException(tag + " no fencing term: " + r.error());
            }
            LOG.info("{} fencing term {} committed (asked at least {})", tag, r.term(), atLeast);
            return r.term();
        }
    }

    /**
     * The member clusters, replicated. Any replica may join or unjoin (the command goes to the
     * leader through the client, like a conflict record); the rules ({@code Members}) are checked
     * where the entry is applied, so two joins racing for one name or one cluster cannot both win.
     */
    private final class Registry implements MemberRegistry {

        /** This replica's applied state: a member joined through another replica appears once this one applied it. */
        @Override
        public List<MemberRegistration> members() {
            return RaftNode.this.members();
        }

        /**
         * Returns once the join is committed and applied on this replica (waiting for the latter
         * within what is left of the request timeout). A retried join whose first attempt
         * committed answers OK (the registration is exactly the one held, {@code joinedAt} included).
         *
         * @throws RegistrationException NAME_TAKEN or CLUSTER_TAKEN when refused; UNAVAILABLE when not
         *                               committed within {@link RaftSettings#requestTimeout()} (it may still commit)
         */
        @Override
        public void join(MemberRegistration member) {
            Objects.requireNonNull(member, "member");
            change(new Command.JoinMember(member), "join of member " + member.name());
            LOG.info("{} member {} joined (kube-system UID {}, kubeconfig {})", tag, member.name(),
                    member.kubeSystemUid(), member.kubeconfig());
        }

        /**
         * Returns once the unjoin is committed and applied on this replica (as {@link #join}).
         *
         * @throws RegistrationException NOT_JOINED when no member has that name (also when a retried
         *                               unjoin's first attempt committed); UNAVAILABLE when not committed in time
         */
        @Override
        public void unjoin(String name) {
            Objects.requireNonNull(name, "name");
            change(new Command.UnjoinMember(name), "unjoin of member " + name);
            LOG.info("{} member {} unjoined", tag, name);
        }

        private void change(Command command, String what) {
            long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
            Applied applied;
            try {
                applied = submitEntry(command, null, what);
            } catch (RaftStoreException e) {
                throw new RegistrationException(RegistrationException.Kind.UNAVAILABLE, e.getMessage(), e);
            }
            Reply r = applied.reply();
            if (r.ok()) {
                awaitAppliedHere(applied.logIndex(), deadline, what);
                return;
            }
            if (r.refusal() != null) {
                throw new RegistrationException(r.refusal(), r.error());
            }
            throw new RegistrationException(RegistrationException.Kind.UNAVAILABLE, tag + " " + what + " refused: "
                    + r.error());
        }
    }

    /**
     * The leader applied the entry; a follower that submitted it applies it a moment later. Waits
     * for that (until {@code deadline}), so that a caller reads its own change on the replica it
     * asked; the change is committed either way, so a replica lagging longer is only logged.
     */
    private void awaitAppliedHere(long logIndex, long deadline, String what) {
        while (stateMachine.lastAppliedIndex() < logIndex) {
            if (System.nanoTime() - deadline >= 0 || closed.get()) {
                LOG.warn("{} {} is committed (log index {}) but not applied here yet (applied {})", tag, what,
                        logIndex, stateMachine.lastAppliedIndex());
                return;
            }
            try {
                Thread.sleep(APPLY_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Sends one command through the Raft log and waits for it to be applied, at most
     * {@link RaftSettings#requestTimeout()}.
     *
     * @param guard when not null, stop waiting (NotLeadingException) as soon as this epoch ends
     */
    private Reply submit(Command command, Epoch guard, String what) {
        return submitEntry(command, guard, what).reply();
    }

    /** What applying a command answered, and the index of its log entry. */
    private record Applied(Reply reply, long logIndex) {
    }

    /** {@link #submit}, also saying where in the log the command is. */
    private Applied submitEntry(Command command, Epoch guard, String what) {
        byte[] bytes = command.encode();
        if (bytes.length > MAX_COMMAND_BYTES) {
            throw new RaftStoreException(tag + " " + what + " is too large for the Raft log: " + bytes.length
                    + " bytes > " + MAX_COMMAND_BYTES);
        }
        RaftClient c = client;
        RaftServer local = server;
        if (c == null || local == null) {
            throw new RaftStoreException(tag + " closed: " + what + " not written");
        }
        Duration timeout = settings.requestTimeout();
        CompletableFuture<RaftClientReply> sent = new CompletableFuture<>();
        Future<?> task;
        if (command instanceof Command.NextTerm || command instanceof Command.SetCursors) {
            // Leader-only: to this replica's own server, no retries (see localClientId).
            task = sent;
            RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(localClientId).setServerId(selfId)
                    .setGroupId(GROUP_ID).setCallId(CallId.getAndIncrement())
                    .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes)))
                    .setType(RaftClientRequest.writeRequestType()).setTimeoutMs(timeout.toMillis()).build();
            try {
                local.submitClientRequestAsync(request).whenComplete((reply, failure) -> {
                    if (failure != null) {
                        sent.completeExceptionally(failure);
                    } else if (!reply.isSuccess()) {
                        sent.completeExceptionally(new CompletionException(reply.getException()));
                    } else {
                        sent.complete(reply);
                    }
                });
            } catch (IOException | RuntimeException e) {
                throw new RaftStoreException(tag + " " + what + " not written: " + e, e);
            }
        } else {
            try {
                task = requestThreads.submit(() -> {
                    try {
                        sent.complete(send(c, bytes));
                    } catch (RuntimeException e) {
                        sent.completeExceptionally(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                throw new RaftStoreException(tag + " " + what + " not written: " + MAX_WRITES_IN_FLIGHT
                        + " writes already in flight");
            }
        }
        CompletableFuture<?> waitFor = guard == null ? sent : CompletableFuture.anyOf(sent, guard.ended);
        try {
            waitFor.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // Interrupting the request thread ends the client's retries: nothing lingers after the caller gave up.
            task.cancel(true);
            throw new RaftStoreException(tag + " " + what + " not committed within " + timeout.toMillis()
                    + " ms: is a majority of the group up? (leader " + status().leader() + ")");
        } catch (InterruptedException e) {
            task.cancel(true);
            Thread.currentThread().interrupt();
            throw new RaftStoreException(tag + " interrupted while writing " + what);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException ce && ce.getCause() != null
                    ? ce.getCause() : e.getCause();
            throw new RaftStoreException(tag + " " + what + " failed: " + cause, cause);
        }
        if (guard != null && !guard.active()) {
            task.cancel(true);
            throw new NotLeadingException(tag + " lost leadership while writing " + what + ": " + guard.ended.join());
        }
        RaftClientReply reply = sent.join();
        try {
            return new Applied(Reply.decode(reply.getMessage().getContent().toByteArray()), reply.getLogIndex());
        } catch (IllegalArgumentException e) {
            throw new RaftStoreException(tag + " " + what + ": unreadable reply: " + e.getMessage(), e);
        }
    }

    /** A request thread: the blocking client, retrying as its policy says. */
    private static RaftClientReply send(RaftClient c, byte[] bytes) {
        try {
            RaftClientReply reply = c.io().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes)));
            if (!reply.isSuccess()) {
                throw new CompletionException(reply.getException());
            }
            return reply;
        } catch (IOException e) {
            throw new CompletionException(e);
        }
    }

    /**
     * Cursor thread (and {@link #close()} once the cursor thread stopped). Sends the newest map, at
     * most one at a time. The command carries the term of the last epoch even after it ended: only
     * while this replica still leads that Raft term can it be applied (a deposed leader's map is
     * refused as stale on every replica), so a leader that is closing keeps its mirror's last map.
     */
    private void flushCursors() {
        Map<CursorKey, Long> map = pendingCursors.getAndSet(null);
        if (map == null) {
            return;
        }
        Epoch e = epoch;
        if (e == null) {
            LOG.debug("{} cursors dropped: this replica never led", tag);
            return;
        }
        DivisionInfo info = info();
        if (info == null || !info.isLeader() || info.getCurrentTerm() != e.term) {
            // Only the leader of e.term could get them applied, and that is no longer this replica.
            LOG.info("{} cursors of term {} dropped: this replica no longer leads that term", tag, e.term);
            return;
        }
        try {
            Reply r = submit(Command.SetCursors.of(e.term, map), null, "cursors");
            if (r.stale()) {
                LOG.info("{} cursors of term {} dropped: {}", tag, e.term, r.error());
            } else if (!r.ok()) {
                LOG.warn("{} cursors refused: {}", tag, r.error());
            }
        } catch (RaftStoreException ex) {
            // Keep it for the next round unless a newer map arrived meanwhile.
            pendingCursors.compareAndSet(null, map);
            LOG.warn("{} cursors not saved yet: {}", tag, ex.getMessage());
        } catch (RuntimeException ex) {
            LOG.error("{} cursor flush failed", tag, ex);
        }
    }

    // ------------------------------------------------------------------ close

    /**
     * Tells the listener {@code notLeading} (and waits for it, bounded), sends the last cursors,
     * then stops the watchdog, the client and the server. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.info("{} closing", tag);
        watchdogThread.shutdownNow();
        stopLeading("closing", -1);
        awaitLeadershipThread();
        cursorThread.shutdownNow();
        awaitTermination(cursorThread, "cursor thread");
        // The listener has returned from notLeading: the mirror's last map, if any, is pending.
        flushCursors();
        RaftClient c = client;
        client = null;
        if (c != null) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("{} closing the Raft client: {}", tag, e.toString());
            }
        }
        RaftServer s = server;
        if (s != null) {
            try {
                s.close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("{} closing the Raft server: {}", tag, e.toString());
            }
        }
        leadershipThread.shutdown();
        awaitTermination(leadershipThread, "leadership thread");
        requestThreads.shutdownNow();
        membership.close();
        LOG.info("{} closed", tag);
    }

    private void awaitLeadershipThread() {
        CompletableFuture<Void> drained = new CompletableFuture<>();
        onLeadership(() -> drained.complete(null));
        try {
            drained.get(LISTENER_WAIT_ON_CLOSE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("{} the leadership listener did not return within {} s; closing anyway", tag,
                    LISTENER_WAIT_ON_CLOSE.toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    private void awaitTermination(ExecutorService executor, String what) {
        try {
            if (!executor.awaitTermination(LISTENER_WAIT_ON_CLOSE.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{} {} did not stop within {} s", tag, what, LISTENER_WAIT_ON_CLOSE.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
