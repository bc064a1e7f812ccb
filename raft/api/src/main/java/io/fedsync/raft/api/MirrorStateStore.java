package io.fedsync.raft.api;

import io.fedsync.conflict.ConflictRecord;
import java.util.List;
import java.util.Map;

/**
 * Where the mirror keeps what a successor needs to continue exactly where it stopped: cursors,
 * the conflict log and the fencing term. A single node keeps it in files under its data dir;
 * the Raft group will replicate it. Implementations must be durable when a call returns.
 */
public interface MirrorStateStore {

    /** The last fully applied revision per (cluster, prefix); empty on first start. */
    Map<CursorKey, Long> loadCursors();

    /** Replaces the stored cursors. Called often; implementations may coalesce. */
    void saveCursors(Map<CursorKey, Long> cursors);

    List<ConflictRecord> loadConflicts();

    /** Adds or replaces one conflict record (by id). */
    void saveConflict(ConflictRecord record);

    /**
     * A fencing term strictly greater than any handed out before by this store, and at least
     * {@code atLeast} (the mirror passes one more than the highest term it found in any etcd's
     * fence, so a node that lost its state still takes over). Durable before it returns. The
     * mirror raises every cluster's fence to it and every write it makes requires the fence to
     * still hold it, so a deposed writer that comes back cannot write.
     */
    long nextTerm(long atLeast);
}
