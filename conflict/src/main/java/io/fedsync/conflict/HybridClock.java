package io.fedsync.conflict;

import java.util.function.LongSupplier;

/**
 * A hybrid logical clock: wall-clock milliseconds in the high 48 bits, a logical counter in the
 * low 16. It never goes backwards, even if the wall clock does, so last-writer-wins decisions
 * made by successive leaders stay consistent with the order in which they saw changes.
 */
public final class HybridClock {

    private static final int LOGICAL_BITS = 16;
    private static final long LOGICAL_MASK = (1L << LOGICAL_BITS) - 1;

    private final LongSupplier wallMillis;
    private long last;

    public HybridClock(LongSupplier wallMillis) {
        this.wallMillis = wallMillis;
    }

    public static HybridClock system() {
        return new HybridClock(System::currentTimeMillis);
    }

    public synchronized long now() {
        long physical = wallMillis.getAsLong() << LOGICAL_BITS;
        last = physical > last ? physical : last + 1;
        return last;
    }

    /** Moves the clock past a timestamp seen elsewhere (e.g. read from stored metadata). */
    public synchronized void observe(long timestamp) {
        if (timestamp > last) {
            last = timestamp;
        }
    }

    public static long physicalMillis(long timestamp) {
        return timestamp >>> LOGICAL_BITS;
    }

    public static long logical(long timestamp) {
        return timestamp & LOGICAL_MASK;
    }
}
