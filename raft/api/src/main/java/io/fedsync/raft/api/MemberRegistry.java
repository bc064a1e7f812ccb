package io.fedsync.raft.api;

import java.util.List;

/**
 * The member clusters joined to a fedsync group. A Raft group replicates them; a single fedsyncd
 * keeps them in a file of its data dir. Changes are durable (committed) when a call returns; a
 * name or a cluster (by kube-system UID) is joined at most once, checked where the change is
 * applied, so two joins racing for the same cluster cannot both succeed.
 */
public interface MemberRegistry {

    /** Every joined member, by name. */
    List<MemberRegistration> members();

    /**
     * Joins a member.
     *
     * @throws RegistrationException {@code NAME_TAKEN} or {@code CLUSTER_TAKEN} when refused,
     *                               {@code UNAVAILABLE} when the change could not be made durable
     */
    void join(MemberRegistration member);

    /**
     * Removes a member's registration (what was pushed to it stays on it).
     *
     * @throws RegistrationException {@code NOT_JOINED} when no member has that name,
     *                               {@code UNAVAILABLE} when the change could not be made durable
     */
    void unjoin(String name);
}
