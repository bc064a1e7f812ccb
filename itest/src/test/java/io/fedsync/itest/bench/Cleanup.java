package io.fedsync.itest.bench;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a benchmark started (etcds, fedsyncd, make-mirror, the writers' JVM, clients), closed in reverse
 * order when a run ends, and by a shutdown hook when the JVM is stopped early (Ctrl-C, SIGTERM):
 * nothing the benchmark started outlives it.
 */
final class Cleanup {

    private static final Logger LOG = LoggerFactory.getLogger(Cleanup.class);
    private static final Deque<Named> OPEN = new ArrayDeque<>();
    private static final Object CLOSING = new Object();
    private static volatile boolean hooked;
    private static volatile boolean stopping;

    private record Named(String what, AutoCloseable resource) {
    }

    private Cleanup() {
    }

    static synchronized void installHook() {
        if (hooked) {
            return;
        }
        hooked = true;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping = true;
            if (!isEmpty()) {
                System.err.println("benchmark: stopping, cleaning up what it started");
                closeAll();
            }
        }, "bench-cleanup"));
    }

    /** True once the JVM is shutting down (Ctrl-C, SIGTERM): what fails now fails because of that. */
    static boolean stopping() {
        return stopping;
    }

    /** Registers a resource; returns it. */
    static synchronized <T extends AutoCloseable> T register(String what, T resource) {
        OPEN.push(new Named(what, resource));
        return resource;
    }

    /** Closes one resource now (if still registered) and forgets it. */
    static void close(AutoCloseable resource) {
        Named found = null;
        synchronized (Cleanup.class) {
            for (Named n : OPEN) {
                if (n.resource == resource) {
                    found = n;
                    break;
                }
            }
            if (found == null) {
                return;
            }
            OPEN.remove(found);
        }
        closeQuietly(found);
    }

    /** Forgets a resource its owner closed itself. */
    static synchronized void forget(AutoCloseable resource) {
        OPEN.removeIf(n -> n.resource == resource);
    }

    /**
     * Closes everything still registered, newest first. One caller at a time: when the shutdown
     * hook and the main thread both get here, the second waits, so nothing (the work dir) is
     * closed before what was started after it (the processes writing into it).
     */
    static void closeAll() {
        synchronized (CLOSING) {
            while (true) {
                Named n;
                synchronized (Cleanup.class) {
                    n = OPEN.poll();
                }
                if (n == null) {
                    return;
                }
                closeQuietly(n);
            }
        }
    }

    /**
     * Closes everything registered after the {@code keep} oldest resources, newest first: the end of
     * one run of a benchmark whose first resource (the work dir) outlives its runs.
     */
    static void closeAllBut(int keep) {
        synchronized (CLOSING) {
            while (true) {
                Named n;
                synchronized (Cleanup.class) {
                    n = OPEN.size() > keep ? OPEN.poll() : null;
                }
                if (n == null) {
                    return;
                }
                closeQuietly(n);
            }
        }
    }

    private static synchronized boolean isEmpty() {
        return OPEN.isEmpty();
    }

    private static void closeQuietly(Named n) {
        try {
            n.resource.close();
        } catch (Exception e) {
            LOG.warn("closing {} failed: {}", n.what, e.toString());
        }
    }
}
