package io.fedsync.raft;

import java.util.List;

/**
 * This replica's view of its group, for {@code /api/v1/status} → {@code raft}.
 *
 * @param self   this replica's id
 * @param role   {@code leader}, {@code follower} or {@code candidate} (or {@code stopped}, or
 *               {@code not-member} when the group's configuration does not include this replica)
 * @param leader the leader's id, null when there is none
 * @param term   the current Raft term
 * @param appliedIndex the index of the last log entry this replica applied; -1 while its log is
 *               empty (a replica that never received an entry: Ratis does not count its vote, so
 *               a group whose leader dies then waits for it), or without a Raft group
 * @param peers  every voting member of the group's configuration (not the config file's list): id, address, role as far as this one knows, and for a leader how long
 *               ago it last heard from each follower (-1 when unknown)
 */
public record RaftStatus(String self, String role, String leader, long term, long appliedIndex,
                         List<PeerStatus> peers) {

    public RaftStatus {
        peers = List.copyOf(peers);
    }

    public record PeerStatus(String id, String address, String role, long lastContactMillis) {
    }
}
