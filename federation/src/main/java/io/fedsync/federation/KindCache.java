package io.fedsync.federation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one host holds of one federated kind, kept as an informer keeps it: listed, then watched
 * from the listing's resourceVersion; a watch the server ends is opened again from the last
 * version seen, and one whose version is too old (410) or that breaks off lists again. Each
 * object is kept as its JSON bytes, parsed with Jackson once per event (client-java's informers
 * built a Gson tree of every object and every event, and the federation turned it back into bytes
 * to compare; see federation/README.md).
 *
 * <p>One thread per cache reads the host; the workers read {@link #get} and {@link #objects}
 * concurrently. After each change the {@link Changes} callback is told the object's namespace and
 * name, on the cache's thread, after the change is visible. Nothing is decided before
 * {@link #synced}: a half-filled cache would look like deletes.
 */
final class KindCache implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KindCache.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A watch lasts this long plus up to as long again at random (as client-go's reflector spreads them). */
    static final int WATCH_SECONDS = 120;
    private static final Duration FIRST_RETRY = Duration.ofMillis(500);
    private static final int MAX_RETRY_SECONDS = 30;
    private static final Duration MAX_RETRY = Duration.ofSeconds(MAX_RETRY_SECONDS);

    /** One object as the host holds it. {@code workspace}: its {@value Placement#WORKSPACE_LABEL} label, or null. */
    record Entry(String namespace, String name, String resourceVersion, byte[] json, String workspace) {
        String key() {
            return keyOf(namespace, name);
        }
    }

    /** Told each object that changed (added, modified, deleted) on the cache's thread. */
    @FunctionalInterface
    interface Changes {
        void changed(String namespace, String name);
    }

    private final KubeCluster cluster;
    private final FederatedKind.Target kind;
    private final Changes changes;
    private final String label;
    private final Map<String, Entry> objects = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean synced;
    private volatile boolean closed;
    private volatile KubeCluster.WatchStream watch;
    /** The version the next watch starts from: the listing's, then the last event's or bookmark's. */
    private String version;
    /** Lists, watches opened, relists after a 410 (for tests and the log). */
    private volatile long lists;
    /** Guards {@link #woken}; the cache's thread waits out its backoff on it. */
    private final Object backoff = new Object();
    /** {@link #retryNow} was called since the cache's thread last waited out a backoff. */
    private boolean woken;
    /** The cache thread's last wait was cut short by {@link #retryNow}: its backoff starts again. */
    private boolean cutShort;

    KindCache(KubeCluster cluster, FederatedKind.Target kind, Changes changes) {
        this.cluster = cluster;
        this.kind = kind;
        this.changes = changes;
        this.label = "[" + cluster.name() + "] " + kind.plural();
        this.thread = new Thread(this::run, "federation-watch-" + cluster.name() + "-" + kind.plural());
        thread.setDaemon(true);
    }

    static String keyOf(String namespace, String name) {
        return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
    }

    KindCache start() {
        thread.start();
        return this;
    }

    /** True once the kind was listed (and stays true while it is watched again or relisted). */
    boolean synced() {
        return synced;
    }

    /** The object of that namespace ("" when cluster-scoped) and name, or null. */
    Entry get(String namespace, String name) {
        return objects.get(keyOf(namespace, name));
    }

    /** Every object held now. */
    Collection<Entry> objects() {
        return objects.values();
    }

    /**
     * Cuts short the backoff the cache waits out after a failure: it tries the host at once. For
     * whoever learns first that the host answers again (the federator's probe of the hosts, once a
     * second while one does not answer), so a cache whose host was down for minutes, now waiting
     * up to {@value #MAX_RETRY_SECONDS} s between tries, lists as soon as the host is back; should that
     * try fail (the host still starting), the backoff starts again from its first wait. Called while
     * the cache is not waiting, it makes its next wait after a failure end at once.
     */
    void retryNow() {
        synchronized (backoff) {
            woken = true;
            backoff.notifyAll();
        }
    }

    /** How many times the kind was listed. */
    long lists() {
        return lists;
    }

    private void run() {
        Duration retry = FIRST_RETRY;
        boolean mustList = true;
        String failing = null;
        while (!closed) {
            try {
                if (mustList) {
                    list();
                    mustList = false;
                }
                watchUntilItEnds();
                retry = FIRST_RETRY;
                if (failing != null) {
                    LOG.info("{}: watched again", label);
                    failing = null;
                }
            } catch (KubeAccessException e) {
                if (closed) {
                    return;
                }
                if (e.code() == 410) {
                    // The version watched from was compacted away: what changed since is only in a listing.
                    LOG.debug("{}: {}; listing again", label, e.getMessage());
                    mustList = true;
                    continue;
                }
                // A watch that broke off resumes from the last version seen; a listing that failed is
                // retried. A stream that made no sense (code 200: not an event) may have lost events: list.
                mustList |= e.code() == 200;
                if (failing == null || !failing.equals(e.getMessage())) {
                    LOG.warn("{}: {}; retrying (decisions on it use what was last seen)", label, e.getMessage());
                    failing = e.getMessage();
                }
                if (!sleep(retry)) {
                    return;
                }
                retry = cutShort ? FIRST_RETRY : longer(retry);
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                LOG.warn("{}: {}; listing again", label, e.toString());
                mustList = true;
                if (!sleep(retry)) {
                    return;
                }
                retry = cutShort ? FIRST_RETRY : longer(retry);
            }
        }
    }

    /** Replaces what is held with a listing: what it adds, changes or no longer holds is told. */
    private void list() throws KubeAccessException {
        KubeCluster.Listing listing = cluster.listing(kind, null);
        Set<String> listed = new HashSet<>();
        for (JsonNode o : listing.items()) {
            Entry e = entry(o);
            if (e == null) {
                continue;
            }
            listed.add(e.key());
            Entry before = objects.get(e.key());
            if (before == null || !before.resourceVersion().equals(e.resourceVersion())) {
                objects.put(e.key(), e);
                tell(e);
            }
        }
        for (Entry gone : objects.values()) {
            if (!listed.contains(gone.key())) {
                objects.remove(gone.key());
                tell(gone);
            }
        }
        version = listing.resourceVersion();
        lists++;
        if (!synced) {
            LOG.debug("{}: listed {} objects at version {}", label, listed.size(), version);
        }
        synced = true;
    }

    private void watchUntilItEnds() throws KubeAccessException {
        int seconds = WATCH_SECONDS + ThreadLocalRandom.current().nextInt(WATCH_SECONDS);
        try (KubeCluster.WatchStream w = cluster.watch(kind, version, seconds)) {
            watch = w;
            if (closed) {
                return;
            }
            for (KubeCluster.WatchEvent event = w.next(); event != null; event = w.next()) {
                apply(event);
            }
        } finally {
            watch = null;
        }
    }

    private void apply(KubeCluster.WatchEvent event) {
        String rv = event.object().path("metadata").path("resourceVersion").asText("");
        switch (event.type()) {
            case "ADDED", "MODIFIED" -> {
                Entry e = entry(event.object());
                if (e != null) {
                    objects.put(e.key(), e);
                    tell(e);
                }
            }
            case "DELETED" -> {
                Entry e = entry(event.object());
                if (e != null && objects.remove(e.key()) != null) {
                    tell(e);
                }
            }
            default -> {
                // BOOKMARK: only the version moves on. (An unknown type is skipped likewise.)
            }
        }
        if (!rv.isEmpty()) {
            version = rv;
        }
    }

    private void tell(Entry e) {
        try {
            changes.changed(e.namespace(), e.name());
        } catch (RuntimeException ex) {
            LOG.warn("{}: handling a change of {} failed: {}", label, e.key(), ex.toString());
        }
    }

    /** The entry of an object of the listing or a watch; null (and a line) when it has no name. */
    private Entry entry(JsonNode o) {
        JsonNode meta = o.path("metadata");
        String name = meta.path("name").asText("");
        if (name.isEmpty()) {
            LOG.warn("{}: the host sent an object without metadata.name; skipped", label);
            return null;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write an object read from JSON", e);
        }
        JsonNode ws = meta.path("labels").path(Placement.WORKSPACE_LABEL);
        return new Entry(meta.path("namespace").asText(""), name, meta.path("resourceVersion").asText(""), json,
                ws.isTextual() ? ws.asText() : null);
    }

    /** The next wait of a backoff: twice the last, at most {@link #MAX_RETRY}. */
    private static Duration longer(Duration retry) {
        Duration twice = retry.multipliedBy(2);
        return twice.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : twice;
    }

    /** Waits {@code d}, or less when {@link #retryNow} is called; false when closing. */
    private boolean sleep(Duration d) {
        long deadline = System.nanoTime() + d.toNanos();
        synchronized (backoff) {
            try {
                long left;
                while (!woken && !closed && (left = deadline - System.nanoTime()) > 0) {
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(backoff, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            cutShort = woken;
            woken = false;
        }
        return !closed;
    }

    @Override
    public void close() {
        closed = true;
        KubeCluster.WatchStream w = watch;
        if (w != null) {
            w.cancel();
        }
        thread.interrupt();
    }

    /** Waits up to {@code timeout} for the cache's thread to end after {@link #close}. */
    void join(Duration timeout) throws InterruptedException {
        thread.join(timeout.toMillis());
    }
}
