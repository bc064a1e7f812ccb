package io.fedsync.mirror;

import io.fedsync.conflict.ConflictRecord;
import java.util.List;
import java.util.Optional;

/** What the rest of fedsync (HTTP API, CLI) may ask of a running mirror. */
public interface MirrorService extends AutoCloseable {

    /** Connects, loads state and starts mirroring; returns once watches are set up or failed. */
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

    /** True while the mirror runs and is not fenced. */
    boolean healthy();

    @Override
    void close();
}
