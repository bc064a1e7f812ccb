package io.fedsync.mirror;

import io.fedsync.conflict.ConflictRecord;
import java.util.List;
import java.util.Optional;

/** What the rest of fedsync (HTTP API, CLI) may ask of a running mirror. */
public interface MirrorService extends AutoCloseable {

    /** Connects, takes over the fence and starts mirroring; returns once the clusters that answer are watched. */
    void start();

    MirrorStatus status();

    /** Every conflict record, oldest first. */
    List<ConflictRecord> conflicts();

    Optional<ConflictRecord> conflict(String id);

    /**
     * Ends an open conflict by keeping {@code winner}'s version everywhere (recorded as by
     * {@code operator}).
     *
     * @throws ResolveException when the id is unknown, the conflict is not open, the winner is not
     *                          one of its clusters, or a cluster is not live
     */
    default ConflictRecord resolve(String id, String winner) {
        return resolve(id, ResolveAction.winner(winner), "operator");
    }

    /**
     * Ends an open conflict as an operator asks: one side's version, their own object, or a delete,
     * written once to every cluster with a vector that dominates every side. Blocks until the
     * record says it is resolved (at most about 20 s).
     *
     * @param by who asked, kept in the record's resolution ({@code api}, {@code operator})
     * @return the record, resolved
     * @throws ResolveException when it is refused (nothing written) or did not complete in time
     * @throws IllegalStateException when this replica does not mirror (another one must be asked)
     */
    ConflictRecord resolve(String id, ResolveAction action, String by);

    /**
     * Reads one key on every live cluster now and says what each holds (see {@link KeyExplanation}).
     *
     * @param key the key's wire form ({@code /registry/...} or {@code hex:...})
     * @return empty when the key is under no mirrored prefix
     * @throws IllegalStateException when this replica does not mirror (another one must be asked)
     */
    default Optional<KeyExplanation> explain(String key) {
        throw new IllegalStateException("this fedsyncd cannot read keys");
    }

    /**
     * Runs a verification pass now (or joins the one waiting to run); completes with its result.
     *
     * @throws IllegalStateException when the mirror is not running
     */
    java.util.concurrent.CompletableFuture<VerifyResult> verify();

    /** True while the mirror runs, is not fenced and none of its parts has stalled. */
    boolean healthy();

    /** Why {@link #healthy()} is false, null when it is true. */
    default String unhealthyReason() {
        return healthy() ? null : "the mirror is not running";
    }

    @Override
    void close();
}
