package io.fedsync.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private static List<Long> waits(Backoff<String> b, String key, int n) {
        return IntStream.range(0, n).mapToObj(i -> b.next(key).toMillis()).toList();
    }

    @Test
    void doublesFromFirstUpToTheCap() {
        Backoff<String> b = new Backoff<>(Duration.ofMillis(500), Duration.ofSeconds(30));
        assertThat(waits(b, "k", 9)).containsExactly(500L, 1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 30_000L,
                30_000L, 30_000L);
    }

    @Test
    void aLongStreakStaysAtTheCapWithoutOverflow() {
        Backoff<String> b = new Backoff<>(Duration.ofSeconds(1), Duration.ofMinutes(5));
        assertThat(waits(b, "k", 200)).allMatch(w -> w >= 1_000L && w <= 300_000L).endsWith(300_000L);
    }

    @Test
    void keysHaveStreaksOfTheirOwnAndAResetStartsAgain() {
        Backoff<String> b = new Backoff<>(Duration.ofSeconds(1), Duration.ofSeconds(30));
        waits(b, "a", 3);
        assertThat(b.backingOff("a")).isTrue();
        assertThat(b.backingOff("b")).isFalse();
        assertThat(b.next("b")).isEqualTo(Duration.ofSeconds(1));
        assertThat(b.next("a")).isEqualTo(Duration.ofSeconds(8));
        b.reset("a");
        assertThat(b.backingOff("a")).isFalse();
        assertThat(b.next("a")).isEqualTo(Duration.ofSeconds(1));
        b.resetIf(k -> k.equals("b"));
        assertThat(b.next("b")).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aCapGivenForOneWaitBoundsThatWait() {
        Backoff<String> b = new Backoff<>(Duration.ofMillis(500), Duration.ofSeconds(30));
        assertThat(b.next("k", Duration.ofMinutes(5))).isEqualTo(Duration.ofMillis(500));
        waits(b, "k", 10);
        // The 12th wait: 0.5 s doubled 11 times is 1,024 s, above either cap.
        assertThat(b.next("k", Duration.ofMinutes(5))).isEqualTo(Duration.ofMinutes(5));
        assertThat(b.next("k")).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void refusesAFirstWaitThatIsNotPositiveOrAboveTheCap() {
        assertThatThrownBy(() -> new Backoff<String>(Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff<String>(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
