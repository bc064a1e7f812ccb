package io.fedsync.itest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedsync.itest.fixture.EtcdProcess;
import io.fedsync.itest.fixture.FedsyncdLauncher;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.FreePorts;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Raft group of {@code bin/fedsyncd} replicas on loopback, each a cold JVM of its own launched as
 * a user launches it ({@code bin/fedsyncd --config}), each with its own config, data dir and log
 * under {@code <dir>/replica-<id>}; all mirror clusters host and host2 under one prefix, policy
 * hold. Replicas can be killed with -9 and launched again on the same data dir. Registered with
 * {@link Cleanup} by whoever creates it.
 */
final class ReplicaGroup implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaGroup.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(2);

    private final Path dir;
    private final Map<String, Integer> raftPorts = new LinkedHashMap<>();
    private final EtcdProcess host;
    private final EtcdProcess host2;
    private final String prefix;
    private final String javaOpts;
    private final Map<String, FedsyncdLauncher> replicas = new LinkedHashMap<>();

    private ReplicaGroup(Path dir, int size, EtcdProcess host, EtcdProcess host2, String prefix, String javaOpts) {
        this.dir = dir;
        this.host = host;
        this.host2 = host2;
        this.prefix = prefix;
        this.javaOpts = javaOpts;
        for (int i = 0; i < size; i++) {
            raftPorts.put(String.valueOf((char) ('a' + i)), FreePorts.pick());
        }
    }

    /** Launches {@code size} replicas named a, b, c, ... at once; returns without waiting for them. */
    static ReplicaGroup launch(Path dir, int size, EtcdProcess host, EtcdProcess host2, String prefix,
                               String javaOpts) {
        if (size < 2) {
            throw new IllegalArgumentException("a replica group has at least 2 replicas; one fedsyncd is MirrorTool.Fedsyncd");
        }
        ReplicaGroup g = new ReplicaGroup(dir, size, host, host2, prefix, javaOpts);
        for (String id : g.ids()) {
            g.launch(id);
        }
        return g;
    }

    List<String> ids() {
        return List.copyOf(raftPorts.keySet());
    }

    /** Launches replica {@code id} (again), on its data dir; a running one is killed first. */
    synchronized FedsyncdLauncher launch(String id) {
        FedsyncdLauncher old = replicas.get(id);
        if (old != null && old.isAlive()) {
            old.kill();
        }
        Path base = dir.resolve("replica-" + id);
        FedsyncdProcess.Builder config = FedsyncdProcess.builder(base).cluster("host", host).cluster("host2", host2)
                .prefixes(List.of(prefix)).policy("hold").replica(id, raftPorts);
        FedsyncdLauncher l = FedsyncdLauncher.launch(base, config, javaOpts);
        replicas.put(id, l);
        return l;
    }

    synchronized FedsyncdLauncher replica(String id) {
        return replicas.get(id);
    }

    /** kill -9 of replica {@code id}; returns System.nanoTime() just before the signal. */
    long kill(String id) {
        FedsyncdLauncher l = replica(id);
        long at = l.kill();
        LOG.info("replica {} (pid {}) killed with -9", id, l.pid());
        return at;
    }

    /** GET /api/v1/status of replica {@code id}, or empty when it does not answer. */
    Optional<JsonNode> status(String id) {
        FedsyncdLauncher l = replica(id);
        if (l == null || !l.isAlive()) {
            return Optional.empty();
        }
        FedsyncdProcess.Response r = l.get("/api/v1/status", POLL_TIMEOUT);
        if (r.status() != 200) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(r.body()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The running replica that says it is the leader and mirrors: role leader, every cluster live. */
    Optional<String> mirroringLeader() {
        for (String id : ids()) {
            Optional<JsonNode> s = status(id);
            if (s.isPresent() && "leader".equals(s.get().path("raft").path("role").asText()) && FedsyncdLauncher.allClustersLive(s.get())) {
                return Optional.of(id);
            }
        }
        return Optional.empty();
    }

    /** A running replica other than {@code except} that says it is the leader, mirroring yet or not. */
    Optional<String> newLeader(String except) {
        for (String id : ids()) {
            if (id.equals(except)) {
                continue;
            }
            Optional<JsonNode> s = status(id);
            if (s.isPresent() && "leader".equals(s.get().path("raft").path("role").asText())) {
                return Optional.of(id);
            }
        }
        return Optional.empty();
    }

    /** True when every replica runs, answers /readyz 200, names the same leader, and has caught up with its term. */
    boolean allReadyWithOneLeader() {
        String leader = null;
        java.util.Set<String> terms = new java.util.HashSet<>();
        for (String id : ids()) {
            FedsyncdLauncher l = replica(id);
            if (l == null || !l.isAlive() || l.get("/readyz", POLL_TIMEOUT).status() != 200) {
                return false;
            }
            Optional<JsonNode> s = status(id);
            String said = s.map(j -> j.path("raft").path("leader").asText("")).orElse("");
            if (said.isEmpty() || (leader != null && !leader.equals(said))) {
                return false;
            }
            leader = said;
            // Caught up with this term: the leader's fencing term, taken through the log in its
            // Raft term, has reached this replica (one just relaunched is ready before it is).
            terms.add(s.get().path("raft").path("term").asText() + "/" + s.get().path("term").asText());
        }
        return terms.size() == 1;
    }

    /** "fedsyncd a" → pid of every replica launched (a killed one's pid counts 0 CPU from then). */
    synchronized Map<String, Long> pids() {
        Map<String, Long> out = new LinkedHashMap<>();
        replicas.forEach((id, l) -> out.put("fedsyncd " + id, l.pid()));
        return out;
    }

    /** Why a replica stopped without being killed here, or null while all that should run run. */
    synchronized String failure(String... killed) {
        List<String> expectedDown = List.of(killed);
        for (Map.Entry<String, FedsyncdLauncher> e : replicas.entrySet()) {
            if (!expectedDown.contains(e.getKey()) && !e.getValue().isAlive()) {
                return "replica " + e.getKey() + " exited with " + e.getValue().exitCode().orElse(-1) + "; log "
                        + e.getValue().logFile() + ":\n" + e.getValue().logTail(20);
            }
        }
        return null;
    }

    synchronized String describe() {
        List<String> lines = new ArrayList<>();
        replicas.forEach((id, l) -> lines.add(id + ": " + l.describe()));
        return String.join("; ", lines);
    }

    synchronized String logTails(int lines) {
        StringBuilder out = new StringBuilder();
        replicas.forEach((id, l) -> out.append("--- replica ").append(id).append(" (").append(l.logFile())
                .append(")\n").append(l.logTail(lines)).append('\n'));
        return out.toString();
    }

    /** SIGTERM to every replica at once, then waits for each (SIGKILL after 30 s). */
    @Override
    public synchronized void close() {
        for (FedsyncdLauncher l : replicas.values()) {
            if (l.isAlive()) {
                ProcessHandle.of(l.pid()).ifPresent(ProcessHandle::destroy);
            }
        }
        for (FedsyncdLauncher l : replicas.values()) {
            l.stop(Duration.ofSeconds(30));
        }
    }
}
