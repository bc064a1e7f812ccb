package io.fedsync.raft.api;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The rules of a {@link MemberRegistry} over its registrations, in one place for every store that
 * applies them (the Raft state machine and the single-node {@code members.json}), so that both
 * refuse the same changes with the same words:
 * <ul>
 * <li>a name is joined once: joining a name another registration holds is refused
 *     {@code NAME_TAKEN}; joining with <em>exactly</em> the registration already held (same
 *     kubeconfig, context, UID, labels and {@code joinedAt}) answers OK and changes nothing, so a
 *     retried join whose first attempt committed does not fail;</li>
 * <li>a cluster is joined once: joining a kube-system UID that another member has is refused
 *     {@code CLUSTER_TAKEN};</li>
 * <li>unjoining a name no member has is refused {@code NOT_JOINED} (so a retried unjoin whose
 *     first attempt committed is refused too: the member is gone either way).</li>
 * </ul>
 * Pure and deterministic: no clock, no I/O, no randomness; the same calls in the same order leave
 * equal registrations and give equal answers. A refused change leaves everything as it was.
 * <p>
 * Not thread-safe: its owner calls it under its own lock. Anyone may create one; only the code
 * that makes a change durable should call {@link #join} and {@link #unjoin}.
 */
public final class Members {

    /** Why a change was refused, for the operator ({@code message}) and for code ({@code kind}). */
    public record Refusal(RegistrationException.Kind kind, String message) {
        public Refusal {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(message, "message");
        }

        public RegistrationException toException() {
            return new RegistrationException(kind, message);
        }
    }

    private final TreeMap<String, MemberRegistration> byName = new TreeMap<>();

    /** No member. */
    public Members() {
    }

    /**
     * Registrations read back (a snapshot, a file).
     *
     * @throws IllegalArgumentException naming them when two registrations have the same name or
     *                                  the same kube-system UID (the rules would never have let that happen)
     */
    public static Members of(Collection<MemberRegistration> registrations) {
        Members members = new Members();
        for (MemberRegistration m : registrations) {
            Objects.requireNonNull(m, "registration");
            if (members.byName.containsKey(m.name())) {
                throw new IllegalArgumentException("member '" + m.name() + "' appears twice");
            }
            Optional<MemberRegistration> sameCluster = members.byUid(m.kubeSystemUid());
            if (sameCluster.isPresent()) {
                throw new IllegalArgumentException("members '" + sameCluster.get().name() + "' and '" + m.name()
                        + "' have the same kube-system UID " + m.kubeSystemUid());
            }
            members.byName.put(m.name(), m);
        }
        return members;
    }

    /** An independent copy: change it, make it durable, then keep it (or drop it). */
    public Members copy() {
        Members c = new Members();
        c.byName.putAll(byName);
        return c;
    }

    /** Every registration, by name; a copy. */
    public List<MemberRegistration> list() {
        return List.copyOf(byName.values());
    }

    public Optional<MemberRegistration> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public int size() {
        return byName.size();
    }

    /**
     * Joins {@code member} unless a rule refuses it.
     *
     * @return the refusal, or empty when it is joined (now, or already with exactly this registration)
     */
    public Optional<Refusal> join(MemberRegistration member) {
        Objects.requireNonNull(member, "member");
        MemberRegistration held = byName.get(member.name());
        if (held != null) {
            if (held.equals(member)) {
                return Optional.empty();
            }
            return Optional.of(new Refusal(RegistrationException.Kind.NAME_TAKEN, "member '" + held.name()
                    + "' is joined already (kube-system UID " + held.kubeSystemUid() + ", kubeconfig "
                    + held.kubeconfig() + "); unjoin it first or choose another name"));
        }
        Optional<MemberRegistration> sameCluster = byUid(member.kubeSystemUid());
        if (sameCluster.isPresent()) {
            return Optional.of(new Refusal(RegistrationException.Kind.CLUSTER_TAKEN, "this cluster is joined already as '"
                    + sameCluster.get().name() + "' (same kube-system UID " + member.kubeSystemUid() + "); unjoin '"
                    + sameCluster.get().name() + "' first to join it as '" + member.name() + "'"));
        }
        byName.put(member.name(), member);
        return Optional.empty();
    }

    /**
     * Removes the registration named {@code name}.
     *
     * @return the refusal ({@code NOT_JOINED}), or empty when it was removed
     */
    public Optional<Refusal> unjoin(String name) {
        Objects.requireNonNull(name, "name");
        if (byName.remove(name) == null) {
            return Optional.of(new Refusal(RegistrationException.Kind.NOT_JOINED, "member '" + name
                    + "' is not joined" + (byName.isEmpty() ? " (no member is)" : "; joined: "
                    + String.join(", ", byName.keySet()))));
        }
        return Optional.empty();
    }

    private Optional<MemberRegistration> byUid(String uid) {
        return byName.values().stream().filter(m -> m.kubeSystemUid().equals(uid)).findFirst();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Members other && byName.equals(other.byName);
    }

    @Override
    public int hashCode() {
        return byName.hashCode();
    }

    @Override
    public String toString() {
        return "Members" + byName.keySet();
    }
}
