package io.fedsync.itest.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.fedsync.itest.fixture.Kv;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An etcd watch on one prefix of one cluster's etcd that records, for every key whose name (the
 * part after the prefix) starts with a given stem, when its first PUT event was <em>received</em>
 * here ({@link BenchClock}) and how many PUT events it had: a write to an etcd, seen from the
 * outside as a user's watch sees it. Every key of the prefix is counted too, so writes to other
 * objects show.
 */
final class ArrivalWatch implements AutoCloseable {

    private final String label;
    private final String prefix;
    private final String stem;
    private final Watch.Watcher watcher;
    /** name → first arrival (BenchClock ns). */
    private final Map<String, Long> firstArrival = new ConcurrentHashMap<>();
    /** name → PUT events. */
    private final Map<String, AtomicInteger> puts = new ConcurrentHashMap<>();
    private final AtomicLong stemPuts = new AtomicLong();
    private final AtomicLong otherEvents = new AtomicLong();
    private final AtomicLong deletes = new AtomicLong();
    private volatile Throwable error;

    /** Watches from the revision after the current one: every write after this returns is seen. */
    ArrivalWatch(String label, Client client, String prefix, String stem) {
        this.label = label;
        this.prefix = prefix;
        this.stem = stem;
        long from = Kv.revision(client) + 1;
        WatchOption option = WatchOption.builder().isPrefix(true).withRevision(from).build();
        this.watcher = client.getWatchClient().watch(Kv.bytes(prefix), option, Watch.listener(r -> {
            long now = BenchClock.now();
            for (WatchEvent e : r.getEvents()) {
                String key = e.getKeyValue().getKey().toString(UTF_8);
                String name = key.startsWith(prefix) ? key.substring(prefix.length()) : key;
                if (!name.startsWith(stem)) {
                    otherEvents.incrementAndGet();
                } else if (e.getEventType() == WatchEvent.EventType.PUT) {
                    stemPuts.incrementAndGet();
                    firstArrival.putIfAbsent(name, now);
                    puts.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
                } else {
                    deletes.incrementAndGet();
                }
            }
        }, t -> error = t));
    }

    String label() {
        return label;
    }

    /** Keys of the stem that arrived at least once. */
    int arrived() {
        return firstArrival.size();
    }

    /** First arrival of this name (BenchClock ns), or 0. */
    long arrival(String name) {
        return firstArrival.getOrDefault(name, 0L);
    }

    /** PUT events of this name so far. */
    int puts(String name) {
        AtomicInteger n = puts.get(name);
        return n == null ? 0 : n.get();
    }

    /** PUT events of every key of the stem. */
    long stemPuts() {
        return stemPuts.get();
    }

    /** Keys of the stem with more than one PUT. */
    long keysWrittenMoreThanOnce() {
        return puts.values().stream().filter(n -> n.get() > 1).count();
    }

    /** Events of keys of the prefix outside the stem (e.g. the readiness probe). */
    long otherEvents() {
        return otherEvents.get();
    }

    long deletes() {
        return deletes.get();
    }

    /** The watch's failure, or null. */
    Throwable error() {
        return error;
    }

    String prefix() {
        return prefix;
    }

    @Override
    public void close() {
        watcher.close();
    }
}
