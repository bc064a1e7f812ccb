package io.fedsync.mirror;

import java.util.List;

/** What the {@link KeyReconciler} needs of the running mirror (the engine implements it). */
interface MirrorContext {

    List<ClusterLink> links();

    boolean isLive(int cluster);

    boolean fenced();

    FenceToken token();

    /** Another writer's token was found on {@code cluster}: stop writing. */
    void fencedBy(int cluster, FenceToken other);

    /** A request to {@code cluster} failed without an answer: check whether it is down. */
    void suspect(int cluster, String reason);

    Problems problems();

    ConflictRecorder recorder();

    KeySpace keySpace();

    void count(String counter);

    /** How long a worker waits for one of its writes before treating the outcome as unknown. */
    long writeWaitMillis();

    /** Keys whose content keeps coming back (see {@link io.fedsync.conflict.FlipFlopGuard}). */
    io.fedsync.conflict.FlipFlopGuard flipFlops();

    java.time.Clock clock();
}
