package io.fedsync.itest.bench;

import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.EtcdProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fresh source and destination etcd (two independent single-member etcds, like the etcds of
 * two host clusters) for one tool's run, with the benchmark's own clients. Closing kills both and
 * deletes their files.
 */
final class EtcdPair implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdPair.class);
    /** Catching-up watches and 1,000-key pages of big values exceed gRPC's default 4 MiB. */
    private static final int MAX_INBOUND = 64 * 1024 * 1024;

    final EtcdProcess src;
    final EtcdProcess dst;
    private final List<Client> clients = new ArrayList<>();

    private EtcdPair(EtcdProcess src, EtcdProcess dst) {
        this.src = src;
        this.dst = dst;
    }

    /** Starts both in parallel; registered with {@link Cleanup}. */
    static EtcdPair start(Path workDir, String tag) {
        EtcdProcess src = EtcdProcess.builder(tag + "-src").workDir(workDir).build();
        EtcdProcess dst = EtcdProcess.builder(tag + "-dst").workDir(workDir).build();
        EtcdPair pair = Cleanup.register("etcd pair " + tag, new EtcdPair(src, dst));
        CompletableFuture<?> a = CompletableFuture.runAsync(src::start);
        CompletableFuture<?> b = CompletableFuture.runAsync(dst::start);
        CompletableFuture.allOf(a, b).join();
        LOG.info("etcd pair {}: source {} (pid {}), destination {} (pid {})", tag, src.endpoint(), src.pid(),
                dst.endpoint(), dst.pid());
        return pair;
    }

    /** A new client of the source, closed with the pair. */
    synchronized Client srcClient() {
        return track(src.clientBuilder().maxInboundMessageSize(MAX_INBOUND).build());
    }

    /** A new client of the destination, closed with the pair. */
    synchronized Client dstClient() {
        return track(dst.clientBuilder().maxInboundMessageSize(MAX_INBOUND).build());
    }

    private Client track(Client c) {
        clients.add(c);
        return c;
    }

    @Override
    public synchronized void close() {
        // Kill first: a client close must never keep an etcd alive.
        for (EtcdProcess p : List.of(src, dst)) {
            try {
                p.kill();
            } catch (RuntimeException e) {
                LOG.warn("killing {} failed: {}", p, e.toString());
            }
        }
        for (Client c : clients) {
            try {
                c.close();
            } catch (RuntimeException e) {
                LOG.debug("closing a client failed: {}", e.toString());
            }
        }
        clients.clear();
        for (EtcdProcess p : List.of(src, dst)) {
            try {
                p.deleteFiles();
            } catch (RuntimeException e) {
                LOG.warn("cannot delete the files of {}: {}", p, e.toString());
            }
        }
    }
}
