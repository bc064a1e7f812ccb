package io.fedsync.federation;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A deduplicating work queue with per-key exclusion, in the manner of client-go's and Strimzi's:
 * a key added while it waits is queued once; a key added while a worker holds it is queued again
 * when that worker is {@link #done done}, never handed to a second worker meanwhile. Delayed keys
 * ({@link #addAfter}) wait until due; adding a key now that also waits for later makes it due now.
 * Every wait has a timeout.
 */
public final class WorkQueue<K> {

    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final ArrayDeque<K> queue = new ArrayDeque<>();
    private final Set<K> queued = new HashSet<>();
    private final Set<K> processing = new HashSet<>();
    /** Keys added while processing: queued again at {@link #done}. */
    private final Set<K> dirty = new HashSet<>();
    private final PriorityQueue<Delayed<K>> delayed = new PriorityQueue<>();
    private final Map<K, Long> dueAt = new HashMap<>();
    private boolean shutDown;

    private record Delayed<K>(long at, long seq, K key) implements Comparable<Delayed<K>> {
        @Override
        public int compareTo(Delayed<K> o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    private long seq;

    public WorkQueue() {
        this(Clock.systemUTC());
    }

    WorkQueue(Clock clock) {
        this.clock = clock;
    }

    /** Queues {@code key} now (once, however often it is added before a worker takes it). */
    public void add(K key) {
        lock.lock();
        try {
            if (shutDown) {
                return;
            }
            dueAt.remove(key);
            if (processing.contains(key)) {
                dirty.add(key);
            } else if (queued.add(key)) {
                queue.addLast(key);
                ready.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Queues {@code key} after {@code delay} (a retry); an earlier due time already set wins. */
    public void addAfter(K key, Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            add(key);
            return;
        }
        lock.lock();
        try {
            if (shutDown || queued.contains(key)) {
                return;
            }
            long at = clock.millis() + delay.toMillis();
            Long current = dueAt.get(key);
            if (current != null && current <= at) {
                return;
            }
            dueAt.put(key, at);
            delayed.add(new Delayed<>(at, seq++, key));
            ready.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next key no other worker holds, waiting at most {@code timeout}; empty on timeout or
     * after {@link #shutDown}. The caller must call {@link #done} with it.
     */
    public Optional<K> take(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (true) {
                if (shutDown) {
                    return Optional.empty();
                }
                promoteDue();
                K key = queue.pollFirst();
                if (key != null) {
                    queued.remove(key);
                    processing.add(key);
                    return Optional.of(key);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                Delayed<K> next = delayed.peek();
                long wait = next == null ? left
                        : Math.min(left, TimeUnit.MILLISECONDS.toNanos(Math.max(1, next.at() - clock.millis())));
                ready.awaitNanos(wait);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Releases {@code key}; if it was added meanwhile, it is queued again. */
    public void done(K key) {
        lock.lock();
        try {
            processing.remove(key);
            if (dirty.remove(key) && !shutDown && queued.add(key)) {
                queue.addLast(key);
                ready.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Keys waiting now (not delayed, not being processed). */
    public int size() {
        lock.lock();
        try {
            promoteDue();
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Keys queued, waiting for a later time or being processed and due again, that match {@code which}. */
    public int count(java.util.function.Predicate<K> which) {
        lock.lock();
        try {
            java.util.Set<K> all = new java.util.HashSet<>(queued);
            all.addAll(dueAt.keySet());
            all.addAll(dirty);
            int n = 0;
            for (K k : all) {
                if (which.test(k)) {
                    n++;
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Keys waiting for a later time. */
    public int delayedCount() {
        lock.lock();
        try {
            return dueAt.size();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiting worker; they get nothing more. */
    public void shutDown() {
        lock.lock();
        try {
            shutDown = true;
            ready.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void promoteDue() {
        long now = clock.millis();
        while (!delayed.isEmpty() && delayed.peek().at() <= now) {
            Delayed<K> d = delayed.poll();
            Long due = dueAt.get(d.key());
            if (due == null || due != d.at()) {
                continue; // superseded by an add() or an earlier addAfter()
            }
            dueAt.remove(d.key());
            if (processing.contains(d.key())) {
                dirty.add(d.key());
            } else if (queued.add(d.key())) {
                queue.addLast(d.key());
            }
        }
    }
}
