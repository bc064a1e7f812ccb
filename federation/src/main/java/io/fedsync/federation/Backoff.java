package io.fedsync.federation;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Per key, how long a retry that keeps being put off waits: {@code first}, doubled each time in a
 * row, at most a cap. The streak lasts until whoever ends it (a success, a decision of another kind)
 * calls {@link #reset}. Thread-safe; a key's streak is changed atomically.
 *
 * @param <K> the key
 */
final class Backoff<K> {

    /** Past this many doublings the wait is the cap anyway (and the shift cannot overflow). */
    private static final int MAX_DOUBLINGS = 20;

    private final Duration first;
    private final Duration cap;
    private final Map<K, Integer> streaks = new ConcurrentHashMap<>();

    Backoff(Duration first, Duration cap) {
        if (first.isNegative() || first.isZero() || cap.compareTo(first) < 0) {
            throw new IllegalArgumentException("a backoff needs 0 < first <= cap, not " + first + " and " + cap);
        }
        this.first = first;
        this.cap = cap;
    }

    /** One more put-off of {@code key} in a row: how long it waits now. */
    Duration next(K key) {
        return next(key, cap);
    }

    /** As {@link #next(Object)}, with another cap for this wait (at least {@code first}). */
    Duration next(K key, Duration cap) {
        int n = streaks.merge(key, 1, Integer::sum);
        long millis = first.toMillis() << Math.min(MAX_DOUBLINGS, n - 1);
        return Duration.ofMillis(Math.max(first.toMillis(), Math.min(cap.toMillis(), millis)));
    }

    /** Whether {@code key} is in a streak. */
    boolean backingOff(K key) {
        return !streaks.isEmpty() && streaks.containsKey(key);
    }

    /** Ends {@code key}'s streak: its next wait is {@code first} again. */
    void reset(K key) {
        if (!streaks.isEmpty()) {
            streaks.remove(key);
        }
    }

    /** Ends the streaks of the keys {@code which} picks. */
    void resetIf(Predicate<K> which) {
        streaks.keySet().removeIf(which);
    }
}
