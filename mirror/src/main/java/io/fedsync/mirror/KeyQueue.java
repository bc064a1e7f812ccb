package io.fedsync.mirror;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A deduplicating work queue of keys with per-key exclusion: a key is queued at most once, is
 * owned by at most one worker at a time, and a key that changes while it is owned runs again
 * afterwards. This is what keeps each key's writes in order while different keys run in
 * parallel. A sweep may also take a key that is idle ({@link #tryAcquire}) to update its slots.
 */
final class KeyQueue {

    private enum State { QUEUED, RUNNING, RUNNING_DIRTY }

    private final ConcurrentHashMap<Key, State> states = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<Key> ready = new LinkedBlockingQueue<>();

    void offer(Key key) {
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
    Key take(long timeoutMillis) throws InterruptedException {
        Key key = ready.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        if (key != null) {
            states.put(key, State.RUNNING);
        }
        return key;
    }

    /**
     * The next key to work on, waiting as long as it takes (until interrupted). Workers use this:
     * hundreds of threads polling with timeouts would make every timeout scan the whole queue of
     * waiters.
     */
    Key take() throws InterruptedException {
        Key key = ready.take();
        states.put(key, State.RUNNING);
        return key;
    }

    /** Takes an idle key (neither queued nor running) for the caller; false if it is busy. */
    boolean tryAcquire(Key key) {
        return states.putIfAbsent(key, State.RUNNING) == null;
    }

    /** Ends ownership; the key runs again if it was offered meanwhile. */
    void done(Key key) {
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

    boolean busy(Key key) {
        return states.containsKey(key);
    }

    /** Keys queued or running. */
    int size() {
        return states.size();
    }
}
