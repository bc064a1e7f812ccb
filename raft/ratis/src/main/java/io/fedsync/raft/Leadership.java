package io.fedsync.raft;

/**
 * Told when this replica may do leader-only work (mirror, federation) and when it must stop.
 * Called from Ratis' leader callbacks (never from apply), on a thread of their own: the
 * listener may block briefly (stop the mirror) but not for long.
 */
public interface Leadership {

    /** This replica leads and has committed an entry of its term: start leader-only work. */
    void leading(long raftTerm);

    /** This replica no longer leads (stepped down, lost contact with the majority, closed): stop now. */
    void notLeading(String why);
}
