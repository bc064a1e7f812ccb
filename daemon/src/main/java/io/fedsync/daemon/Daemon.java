package io.fedsync.daemon;

import io.fedsync.daemon.config.DaemonConfig;
import io.fedsync.daemon.config.FederationConfig;
import io.fedsync.daemon.federation.FederationPlane;
import io.fedsync.daemon.federation.OpenConflicts;
import io.fedsync.federation.Federator;
import io.fedsync.raft.api.MemberRegistry;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.daemon.http.ApiAuth;
import io.fedsync.daemon.http.ApiServer;
import io.fedsync.daemon.state.FileStateStore;
import io.fedsync.mirror.EtcdErrors;
import io.fedsync.mirror.MirrorService;
import io.fedsync.raft.RaftNode;
import io.fedsync.raft.RaftSettings;
import io.fedsync.raft.RaftStatus;
import java.util.List;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running fedsyncd. Started store, HTTP API, mirror — so probes get an answer while the
 * mirror connects — and closed mirror, HTTP API, store, so the mirror never writes to a closed
 * store and the data dir lock is released last.
 */
public final class Daemon implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private final AutoCloseable store;
    private final MirrorService mirror;
    private final ApiServer api;
    /** Null when the config has no {@code federation:} section. */
    private final FederationPlane federation;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private boolean closed;

    private Daemon(AutoCloseable store, MirrorService mirror, ApiServer api, FederationPlane federation) {
        this.store = store;
        this.mirror = mirror;
        this.api = api;
        this.federation = federation;
    }

    /**
     * Starts everything or nothing: when a step fails, what was started is closed again.
     *
     * @throws DaemonException with a message for the operator (data dir locked, port in use, …)
     */
    public static Daemon start(DaemonConfig config, MirrorFactory factory) {
        config.describe().forEach(LOG::info);
        if (config.replicated()) {
            return startReplica(config, factory);
        }
        Deque<AutoCloseable> started = new ArrayDeque<>();
        try {
            FileStateStore store = FileStateStore.open(config.dataDir());
            started.push(store);
            MirrorService mirror = factory.create(config.mirror(), store);
            MemberRegistry members = store.members();
            FederationPlane federation = federation(config, () -> members, mirror);
            if (federation != null) {
                started.push(federation);
            }
            io.fedsync.daemon.http.Metrics metrics = io.fedsync.daemon.http.Metrics.of(config.nodeId(), mirror,
                    () -> groupOfOne(config, mirror));
            if (federation != null) {
                metrics.withFederation(federation::memberStates);
                federation.timings(metrics.federationTimings());
            }
            ApiServer api = ApiServer.start(mirror, config.listen(), () -> groupOfOne(config, mirror), null, null,
                    java.util.Optional::empty, auth(config), metrics, config.apiTls(), federation);
            started.push(api);
            started.push(mirror);
            startMirror(mirror);
            if (federation != null) {
                federation.lead(); // a group of one leads from the start
            }
            LOG.info("fedsyncd {} running: mirroring {} between {} (policy {}), HTTP API on {}://{}",
                    config.nodeId(), config.mirror().prefixes(), config.mirror().clusterNames(),
                    config.mirror().policy().name(), api.scheme(), api.address());
            return new Daemon(store, mirror, api, federation);
        } catch (RuntimeException e) {
            while (!started.isEmpty()) {
                closeQuietly(started.pop());
            }
            throw e;
        }
    }

    /**
     * One replica of a Raft group: the data dir locked, the HTTP API up, then the Raft node; the
     * mirror starts when this replica leads.
     */
    private static Daemon startReplica(DaemonConfig config, MirrorFactory factory) {
        Deque<AutoCloseable> started = new ArrayDeque<>();
        try {
            AutoCloseable lock = FileStateStore.lockDataDir(config.dataDir());
            started.push(lock);
            ReplicatedMirror mirror = new ReplicatedMirror(config.nodeId(), config.mirror(), factory,
                    java.time.Clock.systemUTC());
            FederationPlane federation = federation(config, mirror::memberRegistry, mirror);
            if (federation != null) {
                started.push(federation);
                mirror.federate(federation);
            }
            io.fedsync.daemon.http.Metrics metrics = new io.fedsync.daemon.http.Metrics(config.nodeId(), mirror,
                    mirror::raftStatus, mirror::countersSinceStart, mirror::leaderChanges);
            if (federation != null) {
                metrics.withFederation(federation::memberStates);
                federation.timings(metrics.federationTimings());
            }
            ApiServer api = ApiServer.start(mirror, config.listen(), mirror::raftStatus, mirror, config.nodeId(),
                    mirror::mirrorApi, auth(config), metrics, config.apiTls(), federation);
            started.push(api);
            started.push(mirror);
            // Reads the clusters while this replica stands by, never writes; the engine starts when it leads.
            mirror.start();
            List<RaftSettings.Peer> peers = config.peers().stream()
                    .map(p -> new RaftSettings.Peer(p.id(), p.address().toString())).toList();
            RaftNode node;
            try {
                RaftSettings settings = RaftSettings.of(config.nodeId(), peers, config.dataDir().resolve("raft"))
                        .withSnapshotEvery(config.snapshotEvery()).withApi(advertisedApi(config, api.address()));
                if (config.electionTimeout() != null) {
                    settings = settings.withElectionTimeout(config.electionTimeout());
                }
                node = RaftNode.start(settings, mirror);
            } catch (java.io.IOException | RuntimeException e) {
                throw new DaemonException("cannot start the Raft replica " + config.nodeId() + ": "
                        + EtcdErrors.describe(e), e);
            }
            mirror.attach(node);
            LOG.info("fedsyncd {} running as a replica of {} (Raft on {}): mirroring {} between {} while it leads,"
                    + " HTTP API on {}://{}", config.nodeId(), peers.stream().map(RaftSettings.Peer::id).toList(),
                    config.peers().stream().filter(p -> p.id().equals(config.nodeId())).findFirst().orElseThrow()
                            .address(), config.mirror().prefixes(), config.mirror().clusterNames(), api.scheme(),
                    api.address());
            return new Daemon(lock, mirror, api, federation);
        } catch (RuntimeException e) {
            while (!started.isEmpty()) {
                closeQuietly(started.pop());
            }
            throw e;
        }
    }

    /**
     * The federation of a config with a {@code federation:} section, else null. The hosts'
     * kubeconfigs are read now: one that cannot be used stops fedsyncd with its path.
     */
    private static FederationPlane federation(DaemonConfig config, java.util.function.Supplier<MemberRegistry> members,
                                              MirrorService mirror) {
        FederationConfig f = config.federation();
        if (f == null) {
            return null;
        }
        List<FederationPlane.Host> hosts = f.hosts().values().stream()
                .map(h -> new FederationPlane.Host(h.cluster(), h.kubeconfig(), h.context())).toList();
        return new FederationPlane(config.nodeId(), new Federator.Settings(f.profile(), f.driftPolicy(), f.resync(),
                f.workers()), hosts, members, new OpenConflicts(mirror::conflicts), java.time.Clock.systemUTC());
    }

    /** Who may change things through the HTTP API; said once in the log. */
    private static ApiAuth auth(DaemonConfig config) {
        ApiAuth auth = ApiAuth.of(config.apiToken(), config.listen());
        if (config.apiToken() == null && !ApiAuth.of(null, config.listen()).check(null).isEmpty()) {
            LOG.warn(auth.describe());
        } else {
            LOG.info(auth.describe());
        }
        return auth;
    }

    /**
     * This replica's API as the other replicas reach it: the {@code http.listen} address, or, when
     * that is a wildcard (0.0.0.0, ::), the host of this replica's Raft address with the API's port.
     */
    static String advertisedApi(DaemonConfig config, ListenAddress listen) {
        String host = listen.host();
        if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            host = config.peers().stream().filter(p -> p.id().equals(config.nodeId())).findFirst()
                    .map(p -> p.address().host()).orElse("127.0.0.1");
        }
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return (config.apiTls() != null ? "https://" : "http://") + host + ":" + listen.port();
    }

    /** A fedsyncd without peers reports itself as the leader of a group of one. */
    private static RaftStatus groupOfOne(DaemonConfig config, MirrorService mirror) {
        long term = mirror.status().term();
        return new RaftStatus(config.nodeId(), "leader", config.nodeId(), term, -1,
                List.of(new RaftStatus.PeerStatus(config.nodeId(), null, "leader", 0)));
    }

    /** The mirror's own failures become one line for the operator, like every start failure. */
    private static void startMirror(MirrorService mirror) {
        try {
            mirror.start();
        } catch (DaemonException e) {
            throw e;
        } catch (RuntimeException e) {
            String why = e instanceof IllegalArgumentException && e.getMessage() != null ? e.getMessage()
                    : EtcdErrors.describe(e);
            throw new DaemonException("cannot start the mirror: " + why, e);
        }
    }

    public ListenAddress httpAddress() {
        return api.address();
    }

    public MirrorService mirror() {
        return mirror;
    }

    /** Blocks until {@link #close()} has finished (from a shutdown hook or a test). */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        LOG.info("fedsyncd stopping");
        if (federation != null) {
            closeQuietly(federation); // first: nothing is pushed once the mirror stops
        }
        closeQuietly(mirror);
        closeQuietly(api);
        closeQuietly(store);
        LOG.info("fedsyncd stopped");
        stopped.countDown();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // Keep closing the rest: a failing mirror close must not leave the data dir locked.
            LOG.warn("closing {} failed: {}", c.getClass().getSimpleName(), e.getMessage(), e);
        }
    }
}
