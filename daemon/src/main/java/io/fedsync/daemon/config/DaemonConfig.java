package io.fedsync.daemon.config;

import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.mirror.ClusterEndpoint;
import io.fedsync.mirror.MirrorSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The validated, effective configuration of one fedsyncd: every default filled in and every path
 * absolute.
 *
 * @param source the file it was read from
 * @param force  whether risky prefixes were allowed (kept to say so in the log)
 * @param snapshotEvery {@code node.snapshotEvery}: Raft log entries between snapshots, 0 for the default
 * @param electionTimeout {@code node.electionTimeout}: the shortest Raft election timeout (the longest is
 *                        twice that), null for the default
 * @param apiToken {@code http.tokenFile}'s token (only its digest is kept), null when not set
 * @param apiTls {@code http.tls}: the API serves HTTPS with this certificate and key; null for HTTP
 */
public record DaemonConfig(Path source, String nodeId, Path dataDir, ListenAddress listen, List<RaftPeer> peers,
                           MirrorSettings mirror, boolean force, long snapshotEvery,
                           java.time.Duration electionTimeout, io.fedsync.daemon.http.ApiToken apiToken,
                           io.fedsync.daemon.http.ApiTls apiTls) {

    /**
     * One replica of the Raft group.
     *
     * @param address host:port of its Raft endpoint
     */
    public record RaftPeer(String id, ListenAddress address) {
    }

    /** With no {@code peers}, fedsyncd is a group of one and keeps its state in files. */
    public boolean replicated() {
        return !peers.isEmpty();
    }

    public DaemonConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(listen, "listen");
        peers = List.copyOf(peers);
        Objects.requireNonNull(mirror, "mirror");
    }

    public DaemonConfig(Path source, String nodeId, Path dataDir, ListenAddress listen, List<RaftPeer> peers,
                        MirrorSettings mirror, boolean force) {
        this(source, nodeId, dataDir, listen, peers, mirror, force, 0, null, null, null);
    }

    /**
     * The effective configuration as log lines. Only names, addresses and file paths: TLS keys
     * are referred to by path and never read here.
     */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("config " + source + ": node.id=" + nodeId + " node.dataDir=" + dataDir + " http.listen=" + listen
                + (apiToken != null ? " http.tokenFile=" + apiToken.file() : "")
                + (apiTls != null ? " http.tls.certFile=" + apiTls.certFile() + " http.tls.keyFile=" + apiTls.keyFile()
                        + (apiTls.caFile() != null ? " http.tls.caFile=" + apiTls.caFile() : "")
                : ""));
        lines.add(peers.isEmpty() ? "raft: no peers, a group of one (state in node.dataDir)"
                : "raft: peers " + peers.stream().map(p -> p.id() + "=" + p.address()).toList()
                + " (used to form a new group or find the existing one; a member uses the group's own configuration)"
                + (snapshotEvery > 0 ? " snapshotEvery=" + snapshotEvery : "")
                + (electionTimeout != null ? " electionTimeout=" + electionTimeout.toMillis() + "ms" : ""));
        for (ClusterEndpoint c : mirror.clusters()) {
            StringBuilder line = new StringBuilder("cluster ").append(c.name()).append(": endpoints=").append(c.endpoints());
            if (c.tls()) {
                line.append(" caFile=").append(c.caFile());
            }
            if (c.certFile() != null) {
                line.append(" certFile=").append(c.certFile()).append(" keyFile=").append(c.keyFile());
            }
            lines.add(line.toString());
        }
        String policy = mirror.policy().name();
        if (mirror.policy() instanceof ResolutionPolicy.Priority p) {
            policy += " " + p.order();
        }
        lines.add("mirror: prefixes=" + mirror.prefixes() + " conflictPolicy=" + policy + " force=" + force
                + " maxValueBytes=" + mirror.maxValueBytes() + " ignoredFields=" + mirror.ignoredFields()
                + " verifyInterval=" + mirror.verifyInterval() + " tombstoneRetention=" + mirror.tombstoneRetention());
        return lines;
    }
}
