package io.fedsync.mirror;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a replica that does not lead sees of the clusters. Every {@code interval} it reads each
 * cluster's fence, the read a new leader makes first, and never writes. This gives two things:
 * <ul>
 * <li>the standby's status says which clusters answer it, at which revision, and why one does
 *     not. A replica that cannot reach a cluster is worth knowing about before it has to lead.</li>
 * <li>the etcd client stack (jetcd, gRPC, Netty, TLS) is loaded, compiled and connected before
 *     this replica may have to take over. On a cold JVM that first read costs about half a second
 *     of the failover, as measured by {@code bin/fedsync-failover}.</li>
 * </ul>
 * One thread, reads one cluster at a time, each with the mirror's request timeout. Closing it
 * closes its etcd clients.
 */
public final class StandbyProbe implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StandbyProbe.class);

    private final MirrorSettings settings;
    private final Clock clock;
    private final List<ClusterLink> links = new ArrayList<>();
    private final ScheduledExecutorService timer;
    private final MirrorStatus.ClusterStatus[] seen;

    public StandbyProbe(MirrorSettings settings, Duration interval, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        KeySpace keys = new KeySpace(settings.metaPrefix(), settings.prefixes());
        int n = settings.clusters().size();
        this.seen = new MirrorStatus.ClusterStatus[n];
        try {
            for (int i = 0; i < n; i++) {
                ClusterEndpoint e = settings.clusters().get(i);
                seen[i] = status(e, 0, "not probed yet", null);
                // No token: a standby never writes, and its pipeline is never used.
                links.add(new ClusterLink(i, e, keys, settings, () -> null));
            }
        } catch (RuntimeException ex) {
            links.forEach(ClusterLink::close);
            throw ex;
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "standby-probe");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::probeAll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void probeAll() {
        for (ClusterLink link : links) {
            int c = link.index;
            MirrorStatus.ClusterStatus before = seen[c];
            try {
                ClusterLink.Probe p = link.probeByTxn();
                // What a takeover reads next (the history since its cursor); the answer does not matter here.
                for (int prefix = 0; prefix < settings.prefixes().size(); prefix++) {
                    link.compactedPast(prefix, Math.max(1, p.revision()));
                }
                String fence = p.fence() == null ? null : "fence held by " + p.fence();
                seen[c] = status(link.endpoint, p.revision(), null, null);
                if (before.downSince() != null) {
                    LOG.info("[{}] standby: answers again at revision {}{}", link.name, p.revision(),
                            fence == null ? "" : " (" + fence + ")");
                }
            } catch (Exception e) {
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                boolean wasDown = before.downSince() != null;
                // A cluster already down keeps its reason: no TLS handshake every probe to explain it again.
                String why = wasDown ? before.error() : EtcdTls.explain(link.endpoint, e, settings.requestTimeout());
                if (!wasDown) {
                    LOG.warn("[{}] standby: does not answer: {}", link.name, why);
                }
                seen[c] = status(link.endpoint, 0, why, wasDown ? before.downSince() : clock.instant());
                if (wasDown) {
                    link.reconnectIfStale();
                }
            } catch (Throwable t) {
                LOG.error("[{}] standby: probe failed: {}", link.name, t.toString(), t);
            }
        }
    }

    private static MirrorStatus.ClusterStatus status(ClusterEndpoint e, long revision, String error, Instant downSince) {
        return new MirrorStatus.ClusterStatus(e.name(), "standby", revision, e.endpoints(), error, 0, downSince);
    }

    /** Per configured cluster, in config order: state {@code standby}, the revision it answered at, or why it did not. */
    public List<MirrorStatus.ClusterStatus> clusters() {
        return List.of(seen.clone());
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            if (!timer.awaitTermination(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("standby probe still running after {} ms; closing its clients anyway",
                        settings.requestTimeout().toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        links.forEach(ClusterLink::close);
    }
}
