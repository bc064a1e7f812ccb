package io.fedsync.raft;

/**
 * A change of the group's membership ({@link RaftNode#addPeer}, {@link RaftNode#removePeer}) was
 * refused or did not complete; {@link #kind()} says which, the message says why and what to do.
 * Nothing changed unless the kind is {@link Kind#TIMED_OUT} or {@link Kind#FAILED} (then the change
 * may still complete: the group's configuration in {@link RaftNode#status()} tells).
 */
public final class MembershipException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** The id or address is malformed. */
        INVALID,
        /** No replica with this id in the group. */
        UNKNOWN_PEER,
        /** The id (or the address) is already in the group. */
        ALREADY_MEMBER,
        /** Refused for safety: removing the leader itself, or a change that leaves no reachable majority. */
        REFUSED,
        /** Another membership change is under way (or the configuration changed meanwhile). */
        IN_PROGRESS,
        /** This replica does not lead; {@link #leaderId()} and {@link #leaderAddress()} name the leader, if known. */
        NOT_LEADER,
        /** Not done within {@link RaftSettings#membershipTimeout()}; it may still complete. */
        TIMED_OUT,
        /** Ratis did not carry it out: the new replica did not catch up, an unexpected error, closed. */
        FAILED
    }

    private final Kind kind;
    private final String leaderId;
    private final String leaderAddress;

    public MembershipException(Kind kind, String message) {
        this(kind, message, null, null);
    }

    public MembershipException(Kind kind, String message, String leaderId, String leaderAddress) {
        super(message);
        this.kind = kind;
        this.leaderId = leaderId;
        this.leaderAddress = leaderAddress;
    }

    public Kind kind() {
        return kind;
    }

    /** The leader as this replica knows it (NOT_LEADER only); null when unknown. */
    public String leaderId() {
        return leaderId;
    }

    /** The leader's Raft address (NOT_LEADER only); null when unknown. */
    public String leaderAddress() {
        return leaderAddress;
    }
}
