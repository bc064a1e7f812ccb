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
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A deduplicating work queue with per-key exclusion, in the manner of client-go's and Strimzi's:
 * a key added while it waits is queued once; a key added while a worker holds it is queued again
 * when that worker is {@link #done done}, never handed to a second worker meanwhile. Delayed keys
 * ({@link #addAfter}) wait until due; adding a key now that also waits for later makes it due now.
 * Every wait has a timeout.
 *
 * <p>Keys may belong to groups (the federation's: one per member cluster), each with a limit of
 * keys held by workers at once: a group at its limit is passed over until one of its keys is done,
 * so a group whose every call hangs ties up at most that many workers, never all of them. Groups
 * take turns: a worker takes the oldest key of the next group in turn, so a group with a long
 * backlog (a member just joined) does not hold up the others' few keys. Within a group, keys are
 * taken in the order they were queued.
 *
 * <p>Keys queued by a periodic pass ({@link #addBehind}: the federation's resync, which queues
 * every object of every member) wait behind every key {@link #add added} because something changed:
 * a worker takes them only when no group under its limit has a changed key waiting. A pass's key
 * that is then added because it changed moves ahead. So a resync that queues thousands of keys in
 * the middle of a burst of changes does not make the changes wait for it; its keys are decided when
 * the burst is done (they wait as long as changes keep coming).
 */
public final class WorkQueue<K> {

    private final Clock clock;
    private final Function<K, ?> groupOf;
    private final int perGroupLimit;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    /** Queued keys by group; a group is here only while it has queued keys. */
    private final Map<Object, Lanes<K>> byGroup = new HashMap<>();
    /** The groups with queued keys, in turn order. */
    private final ArrayDeque<Object> turns = new ArrayDeque<>();
    /** Keys held by workers, by group. */
    private final Map<Object, Integer> held = new HashMap<>();
    private int waiting;
    private final Set<K> queued = new HashSet<>();
    private final Set<K> processing = new HashSet<>();
    /** Keys added while processing: queued again at {@link #done}. */
    private final Set<K> dirty = new HashSet<>();
    private final PriorityQueue<Delayed<K>> delayed = new PriorityQueue<>();
    private final Map<K, Long> dueAt = new HashMap<>();
    /** When each queued key was queued (or, for a retry, became due): its wait for a worker. */
    private final Map<K, Long> queuedSince = new HashMap<>();
    private volatile BiConsumer<K, Duration> onTake = (key, waited) -> { };
    private boolean shutDown;

    private record Delayed<K>(long at, long seq, K key) implements Comparable<Delayed<K>> {
        @Override
        public int compareTo(Delayed<K> o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    private long seq;

    /** One group's queued keys: those added because they changed, then those of a periodic pass. */
    private static final class Lanes<K> {
        final ArrayDeque<K> changed = new ArrayDeque<>();
        /** In the order queued; a key leaves from anywhere when it moves to {@link #changed}. */
        final java.util.LinkedHashSet<K> behind = new java.util.LinkedHashSet<>();

        boolean isEmpty() {
            return changed.isEmpty() && behind.isEmpty();
        }
    }

    /** One group, no limit but the number of workers. */
    public WorkQueue() {
        this(Clock.systemUTC());
    }

    /**
     * @param groupOf       the group of a key
     * @param perGroupLimit how many keys of one group workers may hold at once (at least 1)
     */
    public WorkQueue(Function<K, ?> groupOf, int perGroupLimit) {
        this(Clock.systemUTC(), groupOf, perGroupLimit);
    }

    WorkQueue(Clock clock) {
        this(clock, k -> "", Integer.MAX_VALUE);
    }

    WorkQueue(Clock clock, Function<K, ?> groupOf, int perGroupLimit) {
        if (perGroupLimit < 1) {
            throw new IllegalArgumentException("a group's limit must be at least 1, not " + perGroupLimit);
        }
        this.clock = clock;
        this.groupOf = groupOf;
        this.perGroupLimit = perGroupLimit;
    }

    /**
     * Tells {@code waited} how long each key a worker takes waited in the queue: from when it was
     * queued, or when its retry became due, or when the worker that held it was done (a key added
     * while held). Called by the taking worker outside the queue's lock; it must not block.
     */
    public WorkQueue<K> onTake(BiConsumer<K, Duration> waited) {
        this.onTake = waited;
        return this;
    }

    /** Queues {@code key} now (once, however often it is added before a worker takes it). */
    public void add(K key) {
        queueNow(key, false);
    }

    /**
     * Queues {@code key} now, as {@link #add} does (a retry's delay is cut short), but behind every
     * key of its group added with {@link #add}: for a periodic pass over every key. A key already
     * queued keeps its place; one held by a worker is queued again when it is done.
     */
    public void addBehind(K key) {
        queueNow(key, true);
    }

    /** {@link #add} or, with {@code behind}, {@link #addBehind}. */
    private void queueNow(K key, boolean behind) {
        lock.lock();
        try {
            if (shutDown) {
                return;
            }
            dueAt.remove(key);
            if (processing.contains(key)) {
                dirty.add(key);
            } else if (queued.add(key)) {
                enqueue(key, clock.millis(), behind);
                ready.signal();
            } else if (!behind) {
                moveAhead(key);
            }
        } finally {
            lock.unlock();
        }
    }

    /** A key of a periodic pass that is added because it changed goes to the end of the changed keys. Under the lock. */
    private void moveAhead(K key) {
        Lanes<K> lanes = byGroup.get(groupOf.apply(key));
        if (lanes != null && lanes.behind.remove(key)) {
            lanes.changed.addLast(key);
        }
    }

    /**
     * Queues {@code key} as {@link #addBehind} does, unless it waits for a later time
     * ({@link #addAfter}): then it keeps that time. For a periodic pass that must not cut a retry's
     * backoff short.
     */
    public void addUnlessDelayed(K key) {
        lock.lock();
        try {
            if (!dueAt.containsKey(key)) {
                addBehind(key); // the lock is reentrant: checked and added at once
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
        K taken;
        long waitedMillis;
        lock.lock();
        try {
            while (true) {
                if (shutDown) {
                    return Optional.empty();
                }
                promoteDue();
                K key = next();
                if (key != null) {
                    queued.remove(key);
                    processing.add(key);
                    Long since = queuedSince.remove(key);
                    taken = key;
                    waitedMillis = since == null ? 0 : Math.max(0, clock.millis() - since);
                    break;
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
        onTake.accept(taken, Duration.ofMillis(waitedMillis));
        return Optional.of(taken);
    }

    /** Releases {@code key}; if it was added meanwhile, it is queued again. */
    public void done(K key) {
        lock.lock();
        try {
            if (!processing.remove(key)) {
                return;
            }
            Object group = groupOf.apply(key);
            int n = held.getOrDefault(group, 0) - 1;
            if (n <= 0) {
                held.remove(group);
            } else {
                held.put(group, n);
            }
            if (dirty.remove(key) && !shutDown && queued.add(key)) {
                enqueue(key, clock.millis(), false);
            }
            // Its group may be under its limit again: a waiting worker may take one of its keys.
            ready.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Keys waiting now (not delayed, not being processed), also those of groups at their limit. */
    public int size() {
        lock.lock();
        try {
            promoteDue();
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues a key at the end of its group's changed keys, or with {@code behind} of its periodic
     * pass's; a group that had none takes the last turn. {@code since}: when it began to wait (epoch
     * millis of the queue's clock). Under the lock.
     */
    private void enqueue(K key, long since, boolean behind) {
        queuedSince.put(key, since);
        Object group = groupOf.apply(key);
        Lanes<K> lanes = byGroup.get(group);
        if (lanes == null) {
            lanes = new Lanes<>();
            byGroup.put(group, lanes);
            turns.addLast(group);
        }
        if (behind) {
            lanes.behind.add(key);
        } else {
            lanes.changed.addLast(key);
        }
        waiting++;
    }

    /**
     * The oldest changed key of the first group in turn that is under its limit and has one; else
     * the oldest periodic key of the first group in turn under its limit; else null. The group the
     * key came from goes to the back of the turns. Under the lock.
     */
    private K next() {
        K key = next(false);
        return key != null ? key : next(true);
    }

    private K next(boolean behind) {
        for (int i = turns.size(); i > 0; i--) {
            Object group = turns.pollFirst();
            int holding = held.getOrDefault(group, 0);
            Lanes<K> lanes = byGroup.get(group);
            if (holding >= perGroupLimit || (behind ? lanes.behind.isEmpty() : lanes.changed.isEmpty())) {
                turns.addLast(group);
                continue;
            }
            K key;
            if (behind) {
                java.util.Iterator<K> first = lanes.behind.iterator();
                key = first.next();
                first.remove();
            } else {
                key = lanes.changed.pollFirst();
            }
            if (lanes.isEmpty()) {
                byGroup.remove(group);
            } else {
                turns.addLast(group);
            }
            held.put(group, holding + 1);
            waiting--;
            return key;
        }
        return null;
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
                enqueue(d.key(), d.at(), false);
            }
        }
    }
}
