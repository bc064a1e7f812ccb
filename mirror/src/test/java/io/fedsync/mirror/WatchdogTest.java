package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WatchdogTest {

    private static final long S = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(100 * S);
    private final Watchdog dog = new Watchdog(4, 60_000, 1000, now::get);

    @Test
    void aWorkerStuckOnOneKeyTurnsHealthRedWithTheKey() {
        dog.busy(2, Key.of("/registry/x.io/stuck"));
        now.addAndGet(59 * S);
        dog.tick();
        assertThat(dog.problem(List.of())).isNull();
        now.addAndGet(2 * S);
        dog.tick();
        assertThat(dog.problem(List.of())).isEqualTo("a mirror worker has been stuck on /registry/x.io/stuck for 61 s");
        dog.idle(2);
        assertThat(dog.problem(List.of())).isNull();
    }

    @Test
    void aDeadPartStaysRedWithItsFirstReason() {
        dog.died("mirror worker 3", new OutOfMemoryError("Java heap space"));
        dog.died("mirror worker 1", new IllegalStateException("later"));
        assertThat(dog.problem(List.of())).isEqualTo("mirror worker 3 died: java.lang.OutOfMemoryError: Java heap space");
    }

    @Test
    void aProbeLoopThatStoppedTickingIsNoticed() {
        now.addAndGet(31 * S);
        assertThat(dog.problem(List.of())).isEqualTo("the probe loop has not run for 31 s");
    }

    @Test
    void aPauseOfTheProcessIsToldByTheGapBetweenTicks() {
        now.addAndGet(S);
        assertThat(dog.tick()).as("on time").isZero();
        now.addAndGet(3 * S);
        assertThat(dog.tick()).as("a little late: CPU contention, not a pause").isZero();
        now.addAndGet(16 * S);
        assertThat(dog.tick()).as("paused ~15 s").isEqualTo(15_000);
    }
}
