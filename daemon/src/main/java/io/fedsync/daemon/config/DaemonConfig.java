package io.fedsync.daemon.config;

import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.mirror.ClusterEndpoint;
import io.fedsync.mirror.MirrorSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * @param kubeconfigs every host cluster that declares {@code clusters[].kubeconfig}, by name in config order,
 *                    whether or not federation is on (without it they are unused, and {@link #describe()}
 *                    says so); only paths, their content is never read here
 * @param federation {@code federation}: copying to member clusters; null when the section is absent (off)
 */
public record DaemonConfig(Path source, String nodeId, Path dataDir, ListenAddress listen, List<RaftPeer> peers,
                           MirrorSettings mirror, boolean force, long snapshotEvery,
                           java.time.Duration electionTimeout, io.fedsync.daemon.http.ApiToken apiToken,
                           io.fedsync.daemon.http.ApiTls apiTls,
                           Map<String, FederationConfig.HostKube> kubeconfigs, FederationConfig federation) {

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
        if (kubeconfigs == null) {
            kubeconfigs = federation != null ? federation.hosts() : Map.of();
        }
        kubeconfigs = Collections.unmodifiableMap(new LinkedHashMap<>(kubeconfigs));
    }

    public DaemonConfig(Path source, String nodeId, Path dataDir, ListenAddress listen, List<RaftPeer> peers,
                        MirrorSettings mirror, boolean force) {
        this(source, nodeId, dataDir, listen, peers, mirror, force, 0, null, null, null);
    }

    /** Without federation. */
    public DaemonConfig(Path source, String nodeId, Path dataDir, ListenAddress listen, List<RaftPeer> peers,
                        MirrorSettings mirror, boolean force, long snapshotEvery,
                        java.time.Duration electionTimeout, io.fedsync.daemon.http.ApiToken apiToken,
                        io.fedsync.daemon.http.ApiTls apiTls) {
        this(source, nodeId, dataDir, listen, peers, mirror, force, snapshotEvery, electionTimeout, apiToken, apiTls,
                null);
    }

    /** With {@code federation} (null: off); the kubeconfigs are its hosts'. */
    public DaemonConfig(Path source, String nodeId, Path dataDir, ListenAddress listen, List<RaftPeer> peers,
                        MirrorSettings mirror, boolean force, long snapshotEvery,
                        java.time.Duration electionTimeout, io.fedsync.daemon.http.ApiToken apiToken,
                        io.fedsync.daemon.http.ApiTls apiTls, FederationConfig federation) {
        this(source, nodeId, dataDir, listen, peers, mirror, force, snapshotEvery, electionTimeout, apiToken, apiTls,
                null, federation);
    }

    /** Whether the config has a {@code federation:} section. */
    public boolean federated() {
        return federation != null;
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
            FederationConfig.HostKube kube = kubeconfigs.get(c.name());
            if (kube != null) {
                line.append(" kubeconfig=").append(kube.kubeconfig());
                if (kube.context() != null) {
                    line.append(" context=").append(kube.context());
                }
                if (federation == null) {
                    line.append(" (unused: there is no federation section)");
                }
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
        lines.add(federation != null ? federation.describe() : "federation: off");
        return lines;
    }
}
