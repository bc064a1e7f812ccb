package io.fedsync.daemon.http;

import io.fedsync.raft.MembershipException;
import io.fedsync.raft.RaftStatus;

/**
 * Changes of the Raft group's membership for {@code POST /api/v1/peers} and
 * {@code DELETE /api/v1/peers/{id}}. Both block until the change is committed or refused, so they
 * run on worker threads.
 */
public interface PeerChanges {

    /**
     * @return the group afterwards
     * @throws MembershipException when refused or not done
     */
    RaftStatus add(String id, String address);

    /**
     * @return the group afterwards
     * @throws MembershipException when refused or not done
     */
    RaftStatus remove(String id);
}
