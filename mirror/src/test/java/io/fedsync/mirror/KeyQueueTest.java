package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KeyQueueTest {

    @Test
    void aKeyOfferedTwiceWhileQueuedIsTakenOnce() throws InterruptedException {
        KeyQueue q = new KeyQueue();
        q.offer("a");
        q.offer("a");
        q.offer("b");
        assertThat(q.take(10)).isEqualTo("a");
        assertThat(q.take(10)).isEqualTo("b");
        assertThat(q.take(10)).isNull();
    }

    @Test
    void aKeyBeingWorkedOnIsNotHandedToASecondWorker() throws InterruptedException {
        KeyQueue q = new KeyQueue();
        q.offer("a");
        assertThat(q.take(10)).isEqualTo("a");
        q.offer("a");
        assertThat(q.take(10)).as("still running").isNull();
        q.done("a");
        assertThat(q.take(10)).as("changed while running: runs again").isEqualTo("a");
        q.done("a");
        assertThat(q.take(10)).isNull();
        assertThat(q.size()).isZero();
    }

    @Test
    void aKeyDoneWithoutChangesLeavesTheQueue() throws InterruptedException {
        KeyQueue q = new KeyQueue();
        q.offer("a");
        q.take(10);
        assertThat(q.size()).isEqualTo(1);
        q.done("a");
        assertThat(q.size()).isZero();
        q.offer("a");
        assertThat(q.take(10)).isEqualTo("a");
    }
}
