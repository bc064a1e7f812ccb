package io.fedsync.raft;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How one replica joins its group. Defaults live here, in one place.
 *
 * @param selfId          this replica's id ({@code node.id}); one of {@code peers}
 * @param peers           every replica of the group, this one included
 * @param storageDir      where Ratis keeps its log and snapshots ({@code node.dataDir}/raft)
 * @param electionTimeoutMin shortest election timeout
 * @param electionTimeoutMax longest election timeout
 * @param requestTimeout  how long a write to the replicated state may take before it fails
 */
public record RaftSettings(String selfId, List<Peer> peers, Path storageDir, Duration electionTimeoutMin,
                           Duration electionTimeoutMax, Duration requestTimeout) {

    public static final Duration DEFAULT_ELECTION_TIMEOUT_MIN = Duration.ofMillis(500);
    public static final Duration DEFAULT_ELECTION_TIMEOUT_MAX = Duration.ofMillis(1000);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

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
        if (peers.stream().noneMatch(p -> p.id().equals(selfId))) {
            throw new IllegalArgumentException("node " + selfId + " is not one of the peers " + peers);
        }
    }

    public static RaftSettings of(String selfId, List<Peer> peers, Path storageDir) {
        return new RaftSettings(selfId, peers, storageDir, DEFAULT_ELECTION_TIMEOUT_MIN, DEFAULT_ELECTION_TIMEOUT_MAX,
                DEFAULT_REQUEST_TIMEOUT);
    }

    public Peer self() {
        return peers.stream().filter(p -> p.id().equals(selfId)).findFirst().orElseThrow();
    }
}
