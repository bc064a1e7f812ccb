package io.fedsync.itest.bench;

import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.EtcdProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fresh, independent single-member etcds (like the etcds of separate host clusters) for one run,
 * with the benchmark's own clients. Closing kills them all and deletes their files.
 */
final class EtcdGroup implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdGroup.class);
    /** Catching-up watches and 1,000-key pages of big values exceed gRPC's default 4 MiB. */
    private static final int MAX_INBOUND = 64 * 1024 * 1024;

    private final List<EtcdProcess> etcds;
    private final List<Client> clients = new ArrayList<>();

    private EtcdGroup(List<EtcdProcess> etcds) {
        this.etcds = etcds;
    }

    /** Starts {@code count} etcds named {@code <tag>-<i>} in parallel; registered with {@link Cleanup}. */
    static EtcdGroup start(Path workDir, String tag, int count) {
        List<EtcdProcess> etcds = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            etcds.add(EtcdProcess.builder(tag + "-" + i).workDir(workDir).build());
        }
        EtcdGroup group = Cleanup.register("etcds " + tag, new EtcdGroup(etcds));
        CompletableFuture.allOf(etcds.stream().map(e -> CompletableFuture.runAsync(e::start))
                .toArray(CompletableFuture[]::new)).join();
        for (EtcdProcess e : etcds) {
            LOG.info("etcd {} at {} (pid {})", e.name(), e.endpoint(), e.pid());
        }
        return group;
    }

    EtcdProcess get(int i) {
        return etcds.get(i);
    }

    int size() {
        return etcds.size();
    }

    List<EtcdProcess> all() {
        return etcds;
    }

    /** A new client of etcd {@code i}, closed with the group. */
    synchronized Client client(int i) {
        Client c = etcds.get(i).clientBuilder().maxInboundMessageSize(MAX_INBOUND).build();
        clients.add(c);
        return c;
    }

    /** label → pid of every etcd, for {@link CpuMeter}. */
    Map<String, Long> pids(List<String> labels) {
        Map<String, Long> pids = new LinkedHashMap<>();
        for (int i = 0; i < etcds.size(); i++) {
            pids.put(labels.get(i), etcds.get(i).pid());
        }
        return pids;
    }

    @Override
    public synchronized void close() {
        // Kill first: a client close must never keep an etcd alive.
        for (EtcdProcess p : etcds) {
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
        for (EtcdProcess p : etcds) {
            try {
                p.deleteFiles();
            } catch (RuntimeException e) {
                LOG.warn("cannot delete the files of {}: {}", p, e.toString());
            }
        }
    }
}
