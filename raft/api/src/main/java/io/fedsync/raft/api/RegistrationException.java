package io.fedsync.raft.api;

/** A join or unjoin that was refused or could not be made durable; the message is for the operator. */
public final class RegistrationException extends RuntimeException {

    public enum Kind {
        /** Another member has this name. */
        NAME_TAKEN,
        /** This cluster (its kube-system UID) is joined already, under another name. */
        CLUSTER_TAKEN,
        /** No member has this name. */
        NOT_JOINED,
        /** The change could not be committed (no Raft majority, a timeout, an I/O error). */
        UNAVAILABLE
    }

    private final Kind kind;

    public RegistrationException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public RegistrationException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
