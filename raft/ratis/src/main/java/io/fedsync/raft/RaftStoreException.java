package io.fedsync.raft;

/** A write to the replicated state failed or did not commit in time; the message says which and why. */
public class RaftStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public RaftStoreException(String message) {
        super(message);
    }

    public RaftStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
