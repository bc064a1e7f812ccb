package io.fedsync.mirror;

import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Notices when the mirror stops working while the process still runs: a worker stuck on one key,
 * a thread that died, a write pipeline that stopped, the probe loop no longer ticking. Every wait
 * on etcd has a timeout, so none of these should happen; when one does, {@code /healthz} turns
 * red with the reason instead of a green daemon that no longer mirrors.
 *
 * <p>It also notices that the whole process was paused (SIGSTOP, a long GC, a frozen VM): the
 * probe loop's ticks are then far apart on the monotonic clock.
 */
final class Watchdog {

    private final AtomicLongArray busySince;
    private final AtomicReferenceArray<Key> busyKey;
    private final long stuckNanos;
    private final long tickIntervalNanos;
    private final java.util.function.LongSupplier nanos;
    private volatile String fatal;
    private volatile long lastTick;

    Watchdog(int workers, long stuckMillis, long tickIntervalMillis) {
        this(workers, stuckMillis, tickIntervalMillis, System::nanoTime);
    }

    /** @param nanos the monotonic clock (a test's fake one) */
    Watchdog(int workers, long stuckMillis, long tickIntervalMillis, java.util.function.LongSupplier nanos) {
        this.nanos = nanos;
        this.lastTick = nanos.getAsLong();
        this.busySince = new AtomicLongArray(workers);
        this.busyKey = new AtomicReferenceArray<>(workers);
        this.stuckNanos = stuckMillis * 1_000_000L;
        this.tickIntervalNanos = tickIntervalMillis * 1_000_000L;
    }

    void busy(int worker, Key key) {
        busyKey.set(worker, key);
        busySince.set(worker, Math.max(1, nanos.getAsLong()));
    }

    void idle(int worker) {
        busySince.set(worker, 0);
        busyKey.set(worker, null);
    }

    /** A part of the mirror died; the first reason sticks. */
    void died(String what, Throwable t) {
        if (fatal == null) {
            fatal = what + " died: " + t;
        }
    }

    /**
     * The probe loop ticked. Returns how long the process was paused before this tick, in
     * millis (0 when it ticked on time).
     */
    long tick() {
        long now = nanos.getAsLong();
        long gap = now - lastTick;
        lastTick = now;
        long late = gap - tickIntervalNanos;
        return late > 4 * tickIntervalNanos + 2_000_000_000L ? late / 1_000_000 : 0;
    }

    /** The first thing that is wrong, or null. */
    String problem(List<ClusterLink> links) {
        if (fatal != null) {
            return fatal;
        }
        long now = nanos.getAsLong();
        long sinceTick = now - lastTick;
        if (sinceTick > Math.max(30_000_000_000L, 10 * tickIntervalNanos)) {
            return "the probe loop has not run for " + sinceTick / 1_000_000_000 + " s";
        }
        for (int w = 0; w < busySince.length(); w++) {
            long since = busySince.get(w);
            if (since != 0 && now - since > stuckNanos) {
                Key k = busyKey.get(w);
                return "a mirror worker has been stuck on " + (k == null ? "a key" : k) + " for "
                        + (now - since) / 1_000_000_000 + " s";
            }
        }
        for (ClusterLink l : links) {
            String f = l.pipeline.failure();
            if (f != null) {
                return f;
            }
        }
        return null;
    }
}
