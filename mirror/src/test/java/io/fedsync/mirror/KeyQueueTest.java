package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KeyQueueTest {

    @Test
    void aKeyOfferedTwiceWhileQueuedIsTakenOnce() throws InterruptedException {
        KeyQueue q = new KeyQueue();
        q.offer(Key.of("a"));
        q.offer(Key.of("a"));
        q.offer(Key.of("b"));
        assertThat(q.take(10)).isEqualTo(Key.of("a"));
        assertThat(q.take(10)).isEqualTo(Key.of("b"));
        assertThat(q.take(10)).isNull();
    }

    @Test
    void aKeyBeingWorkedOnIsNotHandedToASecondWorker() throws InterruptedException {
        KeyQueue q = new KeyQueue();
        q.offer(Key.of("a"));
        assertThat(q.take(10)).isEqualTo(Key.of("a"));
        q.offer(Key.of("a"));
        assertThat(q.take(10)).as("still running").isNull();
        q.done(Key.of("a"));
        assertThat(q.take(10)).as("changed while running: runs again").isEqualTo(Key.of("a"));
        q.done(Key.of("a"));
        assertThat(q.take(10)).isNull();
        assertThat(q.size()).isZero();
    }

    @Test
    void aSweepTakesOnlyAnIdleKeyAndAnOfferMeanwhileRunsItAfterwards() throws InterruptedException {
        KeyQueue q = new KeyQueue();
        Key a = Key.of("a");
        assertThat(q.tryAcquire(a)).isTrue();
        assertThat(q.busy(a)).isTrue();
        assertThat(q.tryAcquire(a)).as("owned already").isFalse();
        q.offer(a);
        assertThat(q.take(10)).as("owned by the sweep").isNull();
        q.done(a);
        assertThat(q.take(10)).isEqualTo(a);
        q.done(a);
        q.offer(a);
        assertThat(q.tryAcquire(a)).as("queued: a worker will take it").isFalse();
    }

    @Test
    void aKeyDoneWithoutChangesLeavesTheQueue() throws InterruptedException {
        KeyQueue q = new KeyQueue();
        q.offer(Key.of("a"));
        q.take(10);
        assertThat(q.size()).isEqualTo(1);
        q.done(Key.of("a"));
        assertThat(q.size()).isZero();
        q.offer(Key.of("a"));
        assertThat(q.take(10)).isEqualTo(Key.of("a"));
    }
}
