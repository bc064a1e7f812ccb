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
     * Ends an open conflict by keeping {@code winner}'s version everywhere.
     *
     * @throws IllegalArgumentException when the id is unknown, the conflict is not open, or the
     *                                  winner is not one of its clusters
     */
    ConflictRecord resolve(String id, String winner);

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
