package io.fedsync.raft;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How one replica joins its group. Defaults live here, in one place.
 *
 * @param selfId          this replica's id ({@code node.id}); one of {@code peers}
 * @param peers           every replica of the group as the config file lists it, this one included: used
 *                        to form a new group and to find an existing one; once this replica belongs to
 *                        the group, the group's own configuration (kept by Ratis) wins over this list
 * @param storageDir      where Ratis keeps its log and snapshots ({@code node.dataDir}/raft)
 * @param electionTimeoutMin shortest election timeout
 * @param electionTimeoutMax longest election timeout
 * @param requestTimeout  how long a write to the replicated state may take before it fails
 * @param membershipTimeout how long adding or removing a replica may take (a new replica first
 *                        catches up, which may mean receiving a snapshot) before the caller is told
 *                        it did not complete
 * @param snapshotEvery   take a snapshot every this many log entries and keep the log back to the
 *                        last snapshot only ({@code node.snapshotEvery}); 0 for the default
 *                        ({@value #DEFAULT_SNAPSHOT_EVERY})
 * @param api             this replica's HTTP API as other replicas reach it ({@code http://host:port}), or
 *                        null: recorded with each fencing term it takes, so that the others know where
 *                        the mirror answers (they forward calls only the mirror can answer)
 */
public record RaftSettings(String selfId, List<Peer> peers, Path storageDir, Duration electionTimeoutMin,
                           Duration electionTimeoutMax, Duration requestTimeout, Duration membershipTimeout,
                           long snapshotEvery, String api) {

    public static final Duration DEFAULT_ELECTION_TIMEOUT_MIN = Duration.ofMillis(400);
    public static final Duration DEFAULT_ELECTION_TIMEOUT_MAX = Duration.ofMillis(800);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_MEMBERSHIP_TIMEOUT = Duration.ofSeconds(60);
    public static final long DEFAULT_SNAPSHOT_EVERY = 10_000;

    /** One replica: its id and Raft address ({@code host:port}). */
    public record Peer(String id, String address) {
        public Peer {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(address, "address");
        }
    }

    public RaftSettings {
        Objects.requireNonNull(selfId, "selfId");
        peers = List.copyOf(peers);
        Objects.requireNonNull(storageDir, "storageDir");
        Objects.requireNonNull(membershipTimeout, "membershipTimeout");
        if (membershipTimeout.isNegative() || membershipTimeout.isZero()) {
            throw new IllegalArgumentException("membershipTimeout must be > 0, not " + membershipTimeout);
        }
        if (snapshotEvery < 0) {
            throw new IllegalArgumentException("snapshotEvery must be >= 0, not " + snapshotEvery);
        }
        if (peers.stream().noneMatch(p -> p.id().equals(selfId))) {
            throw new IllegalArgumentException("node " + selfId + " is not one of the peers " + peers);
        }
    }

    /** With the default membership timeout and snapshots. */
    public RaftSettings(String selfId, List<Peer> peers, Path storageDir, Duration electionTimeoutMin,
                        Duration electionTimeoutMax, Duration requestTimeout) {
        this(selfId, peers, storageDir, electionTimeoutMin, electionTimeoutMax, requestTimeout,
                DEFAULT_MEMBERSHIP_TIMEOUT, 0, null);
    }

    public RaftSettings withMembershipTimeout(Duration timeout) {
        return new RaftSettings(selfId, peers, storageDir, electionTimeoutMin, electionTimeoutMax, requestTimeout,
                timeout, snapshotEvery, api);
    }

    public RaftSettings withSnapshotEvery(long entries) {
        return new RaftSettings(selfId, peers, storageDir, electionTimeoutMin, electionTimeoutMax, requestTimeout,
                membershipTimeout, entries, api);
    }

    /** Election timeouts of {@code min} to twice that. */
    public RaftSettings withElectionTimeout(Duration min) {
        return new RaftSettings(selfId, peers, storageDir, min, min.multipliedBy(2), requestTimeout,
                membershipTimeout, snapshotEvery, api);
    }

    public RaftSettings withApi(String url) {
        return new RaftSettings(selfId, peers, storageDir, electionTimeoutMin, electionTimeoutMax, requestTimeout,
                membershipTimeout, snapshotEvery, url);
    }

    public static RaftSettings of(String selfId, List<Peer> peers, Path storageDir) {
        return new RaftSettings(selfId, peers, storageDir, DEFAULT_ELECTION_TIMEOUT_MIN, DEFAULT_ELECTION_TIMEOUT_MAX,
                DEFAULT_REQUEST_TIMEOUT);
    }

    public Peer self() {
        return peers.stream().filter(p -> p.id().equals(selfId)).findFirst().orElseThrow();
    }
}
