package io.fedsync.itest.bench;

import java.time.Instant;

/**
 * The one clock every process of a benchmark stamps with: nanoseconds since the Unix epoch from
 * the machine's wall clock (microsecond resolution on Linux). The writers' JVM and the JVM that
 * watches the destination are different processes on the same machine, so they share it.
 */
final class BenchClock {

    private BenchClock() {
    }

    static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
