package io.fedsync.conflict;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Notices a key whose content keeps coming back to what it was: A, B, A, B, … — two writers
 * fighting through the mirror, a controller on one cluster undoing every copy, an object deleted
 * and re-created over and over. Each step alone is a legitimate later write, so nothing else in
 * the mirror stops it; this does.
 *
 * <p>The mirror tells it each content it is about to propagate for a key. A <em>return</em> is a
 * content equal to one propagated earlier within the window but not to the one just before it
 * (a retry of the same content counts nothing). A deletion never counts as a return: deleting a
 * key and creating it again with new content is normal; re-creating the same object again and
 * again is not, and its returns count. The key flip-flops once its returns within the window
 * exceed {@code maxReturns}.
 *
 * <p>Cheap for the common case: the content of a key's first propagation within the window is
 * not computed at all (a hash of the normalised object costs a JSON parse), so a key changed once
 * costs nothing; a return to that first content goes uncounted, which delays a verdict by one step.
 *
 * <p>Pure (times come from the caller) and bounded: at most {@code maxKeys} keys, least recently
 * changed forgotten first, each with at most {@code maxReturns + 2} contents; a key quiet for a
 * window is forgotten when next seen. Thread-safe; the content is computed outside its lock.
 */
public final class FlipFlopGuard {

    /** Content of a deletion (tombstone). */
    public static final long DELETED = Long.MIN_VALUE;

    private final int maxReturns;
    private final long windowMillis;
    private final Map<String, History> keys;

    /**
     * @param maxReturns   returns tolerated within the window; 0 turns the guard off
     * @param windowMillis how far back contents are remembered
     * @param maxKeys      keys remembered at most
     */
    public FlipFlopGuard(int maxReturns, long windowMillis, int maxKeys) {
        if (maxReturns < 0 || windowMillis <= 0 || maxKeys <= 0) {
            throw new IllegalArgumentException("maxReturns >= 0, windowMillis > 0 and maxKeys > 0, not " + maxReturns
                    + ", " + windowMillis + ", " + maxKeys);
        }
        this.maxReturns = maxReturns;
        this.windowMillis = windowMillis;
        this.keys = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, History> eldest) {
                return size() > maxKeys;
            }
        };
    }

    public boolean enabled() {
        return maxReturns > 0;
    }

    /**
     * Records that a content (a hash of the normalised object, or {@link #DELETED}) is about to be
     * propagated for {@code key} at {@code nowMillis}; {@code content} is asked for only when the
     * key was propagated before within the window.
     *
     * @return the returns counted within the window once they exceed {@code maxReturns}
     *         (that is, {@code maxReturns + 1}); else 0
     */
    public int propagating(String key, LongSupplier content, long nowMillis) {
        if (maxReturns == 0) {
            return 0;
        }
        synchronized (this) {
            History h = keys.computeIfAbsent(key, k -> new History());
            h.expire(nowMillis - windowMillis);
            if (h.contents.isEmpty()) {
                h.contents.addLast(new long[] {nowMillis, 0, 0});
                return 0;
            }
        }
        // Computed outside the lock (it parses the value): the mirror's workers on other keys do not
        // wait for it. Calls for one key come one at a time (the mirror owns a key while it runs).
        long c = content.getAsLong();
        return record(key, c, nowMillis);
    }

    private synchronized int record(String key, long c, long nowMillis) {
        History h = keys.computeIfAbsent(key, k -> new History());
        h.expire(nowMillis - windowMillis);
        if (h.contents.isEmpty()) {
            // Forgotten meanwhile (least recently changed, or expired): a first content, now known.
            h.contents.addLast(new long[] {nowMillis, c, 1});
            return 0;
        }
        long[] last = h.contents.peekLast();
        if (last[2] == 1 && last[1] == c) {
            return h.flipping(maxReturns);
        }
        boolean returns = c != DELETED && h.seen(c);
        h.contents.addLast(new long[] {nowMillis, c, 1});
        if (returns) {
            h.returns.addLast(nowMillis);
            while (h.returns.size() > maxReturns + 1) {
                h.returns.removeFirst();
            }
        }
        while (h.contents.size() > maxReturns + 2) {
            h.contents.removeFirst();
        }
        return h.flipping(maxReturns);
    }

    /** {@link #propagating(String, LongSupplier, long)} with a content already known. */
    public int propagating(String key, long content, long nowMillis) {
        return propagating(key, () -> content, nowMillis);
    }

    /** Forgets the key's history (an operator resolved it: counting starts again). */
    public synchronized void forget(String key) {
        keys.remove(key);
    }

    /** Keys remembered now (for tests and status). */
    public synchronized int size() {
        return keys.size();
    }

    private static final class History {
        /** (time, content, 1 if the content is known), oldest first. */
        final ArrayDeque<long[]> contents = new ArrayDeque<>();
        /** Times of returns, oldest first. */
        final ArrayDeque<Long> returns = new ArrayDeque<>();

        void expire(long before) {
            while (!contents.isEmpty() && contents.peekFirst()[0] < before) {
                contents.removeFirst();
            }
            while (!returns.isEmpty() && returns.peekFirst() < before) {
                returns.removeFirst();
            }
        }

        boolean seen(long content) {
            Iterator<long[]> it = contents.iterator();
            while (it.hasNext()) {
                long[] e = it.next();
                if (e[2] == 1 && e[1] == content) {
                    return true;
                }
            }
            return false;
        }

        int flipping(int maxReturns) {
            return returns.size() > maxReturns ? returns.size() : 0;
        }
    }
}
