package io.fedsync.raft;

/**
 * A leader-only write (a fencing term) was asked of a replica that does not lead, or that lost
 * leadership before the write committed. The caller must stop leader-only work.
 */
public final class NotLeadingException extends RaftStoreException {

    private static final long serialVersionUID = 1L;

    public NotLeadingException(String message) {
        super(message);
    }
}
