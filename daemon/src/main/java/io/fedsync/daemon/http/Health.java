package io.fedsync.daemon.http;

import io.fedsync.mirror.MirrorService;
import io.fedsync.mirror.MirrorStatus;
import io.fedsync.raft.RaftNode;
import io.fedsync.raft.RaftStatus;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The answers of {@code /healthz} (is the mirror running and unfenced: restart it if not) and
 * {@code /readyz} (is it also connected to and caught up with every cluster). Both call the
 * mirror, so they run off the event loop.
 *
 * @param reason why not, for the operator; null when ok
 */
record Health(boolean ok, String reason) {

    private static final Health OK = new Health(true, null);

    static Health live(MirrorService mirror) {
        if (mirror.healthy()) {
            return OK;
        }
        return new Health(false, whyUnhealthy(mirror));
    }

    static Health ready(MirrorService mirror) {
        return ready(mirror, null);
    }

    /**
     * Ready: a member of a group that has a leader; and, on the replica that mirrors, every cluster live.
     * A replica that does not lead is ready while the group has a leader (it mirrors there).
     */
    static Health ready(MirrorService mirror, RaftStatus raft) {
        Health live = live(mirror);
        if (!live.ok()) {
            return live;
        }
        if (raft != null) {
            if (RaftNode.NOT_MEMBER.equals(raft.role())) {
                return new Health(false, "replica " + raft.self() + " is not a member of the Raft group (not added yet,"
                        + " or removed): add it from a member with fedsyncctl peers add " + raft.self() + " ADDRESS");
            }
            if (raft.leader() == null) {
                return new Health(false, "replica " + raft.self() + " is " + raft.role() + " in a group with no leader:"
                        + " a majority of the replicas " + raft.peers().stream().map(RaftStatus.PeerStatus::id).toList()
                        + " must be up and reach each other");
            }
            if (!raft.leader().equals(raft.self())) {
                return OK;
            }
        }
        List<MirrorStatus.ClusterStatus> notLive = mirror.status().clusters().stream()
                .filter(c -> !"live".equals(c.state())).toList();
        return notLive.isEmpty() ? OK : new Health(false, describe(notLive));
    }

    private static String whyUnhealthy(MirrorService mirror) {
        String reason = mirror.unhealthyReason();
        if (reason != null) {
            return reason;
        }
        MirrorStatus status;
        try {
            status = mirror.status();
        } catch (RuntimeException e) {
            return "the mirror is not running: " + e.getMessage();
        }
        List<MirrorStatus.ClusterStatus> fenced = status.clusters().stream()
                .filter(c -> "fenced".equals(c.state())).toList();
        if (!fenced.isEmpty()) {
            return "fenced: another fedsyncd wrote a higher term to " + names(fenced) + " (this one stopped writing)";
        }
        List<MirrorStatus.ClusterStatus> notLive = status.clusters().stream()
                .filter(c -> !"live".equals(c.state())).toList();
        return notLive.isEmpty() ? "the mirror is not running" : "the mirror is not running; " + describe(notLive);
    }

    private static String describe(List<MirrorStatus.ClusterStatus> clusters) {
        return clusters.stream()
                .map(c -> "cluster " + c.name() + " is " + c.state() + (c.error() == null ? "" : " (" + c.error() + ")"))
                .collect(Collectors.joining("; "));
    }

    private static String names(List<MirrorStatus.ClusterStatus> clusters) {
        return clusters.stream().map(MirrorStatus.ClusterStatus::name).collect(Collectors.joining(", "));
    }
}
