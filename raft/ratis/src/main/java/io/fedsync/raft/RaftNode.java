package io.fedsync.raft;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.raft.api.CursorKey;
import io.fedsync.raft.api.MirrorStateStore;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * One replica of the group: the Ratis server with fedsync's state machine, and a client to the
 * group. SKELETON: the API the daemon is written against; the implementation follows.
 */
public final class RaftNode implements AutoCloseable {

    private RaftNode() {
    }

    /** Starts the replica (joining or forming its group) and returns at once; leadership comes by {@code listener}. */
    public static RaftNode start(RaftSettings settings, Leadership listener) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** The replicated state as the mirror uses it (writes go through the Raft log; cursors are batched). */
    public MirrorStateStore store() {
        throw new UnsupportedOperationException("skeleton");
    }

    /** This replica's copy of the conflict log, oldest first. */
    public List<ConflictRecord> conflicts() {
        throw new UnsupportedOperationException("skeleton");
    }

    /** This replica's copy of the cursors. */
    public Map<CursorKey, Long> cursors() {
        throw new UnsupportedOperationException("skeleton");
    }

    /** The last fencing term handed out through the log. */
    public long fenceTerm() {
        throw new UnsupportedOperationException("skeleton");
    }

    public RaftStatus status() {
        throw new UnsupportedOperationException("skeleton");
    }

    public boolean isLeader() {
        throw new UnsupportedOperationException("skeleton");
    }

    @Override
    public void close() {
    }
}
