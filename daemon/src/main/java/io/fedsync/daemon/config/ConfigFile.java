package io.fedsync.daemon.config;

import java.math.BigInteger;
import java.util.List;

/**
 * The config file exactly as written: every field may be null (absent). Jackson binds the YAML
 * onto these records and rejects keys they do not declare; {@link ConfigValidator} then checks
 * values and fills in defaults. Keeping the two apart lets a missing key be reported by its path
 * rather than as a Jackson creator error.
 */
public record ConfigFile(Node node, Http http, List<Peer> peers, List<Cluster> clusters, Mirror mirror,
                         Federation federation) {

    public record Node(String id, String dataDir, String raft, BigInteger snapshotEvery, String electionTimeout) {
    }

    /** One replica of a Raft group: its node id and Raft address. */
    public record Peer(String id, String address) {
    }

    public record Http(String listen, String tokenFile, Tls tls) {
    }

    /** {@code http.tls}: the HTTP API's server certificate and key (PEM). */
    public record Tls(String certFile, String keyFile, String caFile) {
    }

    /**
     * A host cluster: its etcd (mirrored) and, optionally, a kubeconfig for its Kubernetes API
     * (federation reads the hosts' objects and jwtSecret through it). Only the path is kept here.
     */
    public record Cluster(String name, String kubeconfig, String context, Etcd etcd) {
    }

    public record Etcd(List<String> endpoints, String caFile, String certFile, String keyFile) {
    }

    public record Mirror(List<String> prefixes, String conflictPolicy, List<String> priority, Boolean force,
                         List<String> ignoredFields, BigInteger maxValueBytes, String verifyInterval,
                         String tombstoneRetention, FlipFlop flipFlop) {
    }

    /** {@code federation}: copying users, roles and workspaces to member clusters; absent = off. */
    public record Federation(String profile, String driftPolicy, String resync, BigInteger workers) {
    }

    /** {@code mirror.flipFlop}: when a key whose content keeps coming back is frozen. */
    public record FlipFlop(BigInteger returns, String window) {
    }
}
