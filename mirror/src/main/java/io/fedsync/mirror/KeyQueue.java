package io.fedsync.mirror;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A deduplicating work queue of keys with per-key exclusion: a key is queued at most once, is
 * worked on by at most one worker at a time, and a key that changes while it is being worked on
 * runs again afterwards. This is what keeps each key's writes in order while different keys run
 * in parallel.
 */
final class KeyQueue {

    private enum State { QUEUED, RUNNING, RUNNING_DIRTY }

    private final ConcurrentHashMap<String, State> states = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<String> ready = new LinkedBlockingQueue<>();

    void offer(String key) {
        boolean[] enqueue = {false};
        states.compute(key, (k, s) -> {
            if (s == null) {
                enqueue[0] = true;
                return State.QUEUED;
            }
            return s == State.RUNNING ? State.RUNNING_DIRTY : s;
        });
        if (enqueue[0]) {
            ready.add(key);
        }
    }

    /** The next key to work on, now owned by the caller until {@link #done}; null on timeout. */
    String take(long timeoutMillis) throws InterruptedException {
        String key = ready.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        if (key != null) {
            states.put(key, State.RUNNING);
        }
        return key;
    }

    void done(String key) {
        boolean[] again = {false};
        states.computeIfPresent(key, (k, s) -> {
            if (s == State.RUNNING_DIRTY) {
                again[0] = true;
                return State.QUEUED;
            }
            return null;
        });
        if (again[0]) {
            ready.add(key);
        }
    }

    int size() {
        return states.size();
    }
}
