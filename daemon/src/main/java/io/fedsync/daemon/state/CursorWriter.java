package io.fedsync.daemon.state;

import io.fedsync.raft.api.CursorKey;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Coalesces cursor saves: the mirror saves after every applied batch, but only the newest map
 * matters, so at most one write per interval happens on a background thread. Losing the last
 * interval in a crash is safe: the mirror resumes from an older cursor and re-applies changes
 * whose conditional Txns then find them already there.
 */
final class CursorWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CursorWriter.class);

    private final CursorFile file;
    private final long intervalNanos;
    private final ScheduledExecutorService executor;
    private final AtomicReference<Map<CursorKey, Long>> pending = new AtomicReference<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile long lastWriteNanos;
    private volatile boolean failing;

    CursorWriter(CursorFile file, Duration interval) {
        this.file = file;
        this.intervalNanos = interval.toNanos();
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fedsync-cursor-writer");
            t.setDaemon(true);
            return t;
        });
        this.lastWriteNanos = System.nanoTime() - intervalNanos;
    }

    void submit(Map<CursorKey, Long> cursors) {
        pending.set(cursors);
        if (scheduled.compareAndSet(false, true)) {
            long wait = Math.max(0, lastWriteNanos + intervalNanos - System.nanoTime());
            executor.schedule(this::flushInBackground, wait, TimeUnit.NANOSECONDS);
        }
    }

    private void flushInBackground() {
        // Cleared before taking the map: a save racing with this flush schedules its own.
        scheduled.set(false);
        try {
            flush();
            if (failing) {
                LOG.info("writing {} works again", file.path());
                failing = false;
            }
        } catch (StateStoreException e) {
            if (!failing) {
                LOG.error("{}; will retry on the next save", e.getMessage());
                failing = true;
            }
        }
    }

    /** Writes the newest unsaved map, if any, on the calling thread. */
    synchronized void flush() {
        Map<CursorKey, Long> cursors = pending.getAndSet(null);
        if (cursors == null) {
            return;
        }
        try {
            file.write(cursors);
            lastWriteNanos = System.nanoTime();
        } catch (StateStoreException e) {
            // Keep it for the next attempt unless a newer map arrived meanwhile.
            pending.compareAndSet(null, cursors);
            throw e;
        }
    }

    /** Stops the thread, then writes whatever is still pending. */
    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("cursor writer did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }
}
