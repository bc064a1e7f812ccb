package io.fedsync.itest.mirror;

import static org.awaitility.Awaitility.await;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.EtcdProcess;
import io.fedsync.mirror.ClusterEndpoint;
import io.fedsync.mirror.MirrorEngine;
import io.fedsync.mirror.MirrorSettings;
import io.fedsync.mirror.MirrorStatus;
import io.fedsync.raft.api.InMemoryStateStore;
import io.fedsync.raft.api.MirrorStateStore;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Runs a real {@link MirrorEngine} in this JVM over the fixture's real etcd processes. The state
 * store outlives restarts of the engine, as the data dir (or Raft) does for fedsyncd.
 */
public final class MirrorHarness implements AutoCloseable {

    public static final List<String> PREFIXES = List.of("/registry/iam.kubesphere.io/", "/registry/tenant.kubesphere.io/");

    private final EtcdClusters etcd;
    private final ResolutionPolicy policy;
    private final MirrorStateStore store;
    private final UnaryOperator<MirrorSettings> tweak;
    private MirrorEngine engine;

    static {
        // gRPC logs through java.util.logging.
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
    }

    /** Every mirror of this JVM takes over from the previous one, as a successor fedsyncd would. */
    private static final java.util.concurrent.atomic.AtomicLong TERMS =
            new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis());

    public MirrorHarness(EtcdClusters etcd, ResolutionPolicy policy) {
        this(etcd, policy, newStore(), s -> s);
    }

    public static MirrorStateStore newStore() {
        return new InMemoryStateStore(TERMS::incrementAndGet);
    }

    public MirrorHarness(EtcdClusters etcd, ResolutionPolicy policy, MirrorStateStore store,
                         UnaryOperator<MirrorSettings> tweak) {
        this.etcd = etcd;
        this.policy = policy;
        this.store = store;
        this.tweak = tweak;
    }

    public MirrorSettings settings() {
        List<ClusterEndpoint> clusters = etcd.names().stream().map(n -> endpoint(etcd.get(n))).toList();
        return tweak.apply(MirrorSettings.of(clusters, PREFIXES, policy));
    }

    static ClusterEndpoint endpoint(EtcdProcess p) {
        if (p.tls()) {
            return new ClusterEndpoint(p.name(), List.of(p.endpoint()), p.caFile(), p.clientCertFile(),
                    p.clientKeyFile());
        }
        return ClusterEndpoint.plain(p.name(), p.endpoint());
    }

    public MirrorHarness start() {
        engine = new MirrorEngine(settings(), store);
        engine.start();
        return this;
    }

    public void stop() {
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }

    public MirrorEngine engine() {
        return engine;
    }

    public MirrorStateStore store() {
        return store;
    }

    public List<ConflictRecord> conflicts() {
        return engine.conflicts();
    }

    /** Waits until nothing is queued and every pair's cursor has caught up with what was seen. */
    public void awaitSettled() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            MirrorStatus s = engine.status();
            return s.counters().getOrDefault("keysQueued", 0L) == 0
                    && s.clusters().stream().allMatch(c -> c.state().equals("live"))
                    && s.pairs().stream().allMatch(p -> p.lagMillis() == 0);
        });
    }

    /** A verification pass, waited for. */
    public io.fedsync.mirror.VerifyResult verify() {
        try {
            return engine.verify().get(2, java.util.concurrent.TimeUnit.MINUTES);
        } catch (Exception e) {
            throw new IllegalStateException("verification failed", e);
        }
    }

    public long counter(String name) {
        return engine.status().counters().getOrDefault(name, 0L);
    }

    @Override
    public void close() {
        stop();
    }
}
