package io.fedsync.conflict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FlipFlopGuardTest {

    private static final long A = 1;
    private static final long B = 2;
    private static final long C = 3;
    private static final long MINUTE = 60_000;

    @Test
    void twoContentsAlternatingFlipFlopOnceTheReturnsExceedTheLimit() {
        FlipFlopGuard g = new FlipFlopGuard(3, MINUTE, 100);
        long t = 0;
        // The first content is not computed (a key changed once costs nothing), so the first A
        // is not known to come back; then B, A, B: returns 1, 2, 3 (the limit); the next exceeds it.
        long[] contents = {A, B, A, B, A, B};
        for (long c : contents) {
            assertThat(g.propagating("/k", c, t += 1000)).as("content %d at %d", c, t).isZero();
        }
        assertThat(g.propagating("/k", A, t += 1000)).isEqualTo(4);
    }

    @Test
    void aRotationOfThreeContentsIsAFlipFlopToo() {
        FlipFlopGuard g = new FlipFlopGuard(3, MINUTE, 100);
        long t = 0;
        long[] contents = {A, B, C, A, B, C, A};
        for (long c : contents) {
            assertThat(g.propagating("/k", c, t += 100)).isZero();
        }
        assertThat(g.propagating("/k", B, t + 100)).isEqualTo(4);
    }

    @Test
    void theFirstContentIsNotComputed() {
        FlipFlopGuard g = new FlipFlopGuard(1, MINUTE, 100);
        g.propagating("/k", () -> {
            throw new AssertionError("computed the content of a first change");
        }, 0);
        assertThat(g.propagating("/k", () -> B, 1)).isZero();
    }

    @Test
    void aRetryOfTheSameContentCountsNothing() {
        FlipFlopGuard g = new FlipFlopGuard(1, MINUTE, 100);
        for (int i = 0; i < 20; i++) {
            assertThat(g.propagating("/k", A, i)).isZero();
        }
        assertThat(g.propagating("/k", B, 21)).isZero();
        assertThat(g.propagating("/k", B, 22)).isZero();
        assertThat(g.propagating("/k", A, 23)).as("the first return").isZero();
        assertThat(g.propagating("/k", B, 24)).as("the second exceeds 1").isEqualTo(2);
    }

    @Test
    void deletingAndCreatingWithNewContentIsNormal() {
        FlipFlopGuard g = new FlipFlopGuard(2, MINUTE, 100);
        for (int i = 0; i < 100; i++) {
            assertThat(g.propagating("/k", FlipFlopGuard.DELETED, 10L * i)).isZero();
            assertThat(g.propagating("/k", 1000 + i, 10L * i + 5)).isZero();
        }
    }

    @Test
    void theSameObjectVanishingAndReappearingIsAFlipFlop() {
        // Experiment 3 of the users' story: the user keeps vanishing and reappearing.
        FlipFlopGuard g = new FlipFlopGuard(2, MINUTE, 100);
        int flagged = 0;
        for (int i = 0; i < 5 && flagged == 0; i++) {
            flagged = g.propagating("/k", A, 10L * i) + g.propagating("/k", FlipFlopGuard.DELETED, 10L * i + 5);
        }
        assertThat(flagged).isPositive();
    }

    @Test
    void returnsOlderThanTheWindowAreForgotten() {
        FlipFlopGuard g = new FlipFlopGuard(3, MINUTE, 100);
        long t = 0;
        // One flip every 30 s: never more than 2 returns within any minute.
        for (int i = 0; i < 40; i++) {
            assertThat(g.propagating("/k", i % 2 == 0 ? A : B, t += 30_000)).isZero();
        }
    }

    @Test
    void randomFreshContentsNeverFlipFlop() {
        Random r = new Random(42);
        FlipFlopGuard g = new FlipFlopGuard(1, MINUTE, 1000);
        long t = 0;
        long next = 10;
        for (int i = 0; i < 10_000; i++) {
            String key = "/k" + r.nextInt(50);
            long content = r.nextInt(4) == 0 ? FlipFlopGuard.DELETED : next++;
            assertThat(g.propagating(key, content, t += r.nextInt(5))).isZero();
        }
    }

    @Test
    void keysAreBoundedAndForgettingStartsAgain() {
        FlipFlopGuard g = new FlipFlopGuard(1, MINUTE, 10);
        for (int i = 0; i < 100; i++) {
            g.propagating("/k" + i, A, i);
        }
        assertThat(g.size()).isEqualTo(10);
        g.propagating("/x", A, 1);
        g.propagating("/x", B, 2);
        g.propagating("/x", A, 3);
        g.forget("/x");
        assertThat(g.propagating("/x", B, 4)).isZero();
        assertThat(g.propagating("/x", A, 5)).as("A is new again after forget").isZero();
    }

    @Test
    void zeroTurnsItOffAndBadArgumentsAreRefused() {
        FlipFlopGuard off = new FlipFlopGuard(0, MINUTE, 10);
        assertThat(off.enabled()).isFalse();
        for (int i = 0; i < 100; i++) {
            assertThat(off.propagating("/k", i % 2, i)).isZero();
        }
        assertThat(off.size()).isZero();
        assertThatThrownBy(() -> new FlipFlopGuard(-1, MINUTE, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FlipFlopGuard(1, 0, 10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aContentBeingComputedHoldsUpNoOtherKey() throws Exception {
        FlipFlopGuard g = new FlipFlopGuard(3, MINUTE, 100);
        g.propagating("/slow", A, 1000);
        java.util.concurrent.CountDownLatch computing = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread slow = new Thread(() -> g.propagating("/slow", () -> {
            computing.countDown();
            try {
                release.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return B;
        }, 2000));
        slow.start();
        try {
            assertThat(computing.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            java.util.concurrent.CompletableFuture<Integer> other = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> g.propagating("/other", A, 2000) + g.propagating("/other", B, 3000));
            // Before the slow content is released: the guard's lock is not held while computing it.
            assertThat(other.get(5, java.util.concurrent.TimeUnit.SECONDS)).isZero();
        } finally {
            release.countDown();
            slow.join(5000);
        }
        assertThat(g.propagating("/slow", A, 4000)).as("the slow key's content was recorded").isZero();
        assertThat(g.size()).isEqualTo(2);
    }
}
