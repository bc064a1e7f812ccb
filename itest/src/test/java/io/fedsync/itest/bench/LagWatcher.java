package io.fedsync.itest.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.fedsync.itest.fixture.Kv;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the destination prefix, like a kube-apiserver's watch cache would, and for every PUT
 * event records when it arrived and its lag: arrival minus the write time stamped into the value
 * ({@link StampedValues}). Also remembers, per key, the newest stamp delivered and when.
 */
final class LagWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LagWatcher.class);

    private final LongSupplier clock;
    private final Watch.Watcher watcher;
    private long[] arrivals = new long[1 << 16];
    private long[] lags = new long[1 << 16];
    private int puts;
    private long deletes;
    private long unstamped;
    private final Map<String, long[]> latest = new HashMap<>();
    private volatile Throwable error;

    /** {@code clock}: nanoseconds since the benchmark's epoch, the clock the stamps use. */
    LagWatcher(Client client, String prefix, LongSupplier clock) {
        this.clock = clock;
        long from = Kv.revision(client) + 1;
        WatchOption option = WatchOption.builder().isPrefix(true).withRevision(from).build();
        this.watcher = client.getWatchClient().watch(Kv.bytes(prefix), option,
                Watch.listener(this::onResponse, this::onError));
    }

    private void onResponse(WatchResponse response) {
        long now = clock.getAsLong();
        synchronized (this) {
            for (WatchEvent ev : response.getEvents()) {
                if (ev.getEventType() != WatchEvent.EventType.PUT) {
                    deletes++;
                    continue;
                }
                KeyValue kv = ev.getKeyValue();
                long stamp = StampedValues.stampOf(kv.getValue().getBytes());
                if (stamp < 0) {
                    unstamped++;
                    continue;
                }
                if (puts == arrivals.length) {
                    arrivals = Arrays.copyOf(arrivals, puts * 2);
                    lags = Arrays.copyOf(lags, puts * 2);
                }
                arrivals[puts] = now;
                lags[puts] = now - stamp;
                puts++;
                latest.put(kv.getKey().toString(UTF_8), new long[] {stamp, now});
            }
        }
    }

    private void onError(Throwable t) {
        LOG.warn("destination watch failed: {}", t.toString());
        error = t;
    }

    Throwable error() {
        return error;
    }

    /** Every PUT so far: arrival times and lags (nanoseconds), in arrival order. */
    synchronized Snapshot snapshot() {
        return new Snapshot(Arrays.copyOf(arrivals, puts), Arrays.copyOf(lags, puts), deletes, unstamped);
    }

    record Snapshot(long[] arrivals, long[] lags, long deletes, long unstamped) {
        int puts() {
            return arrivals.length;
        }
    }

    /**
     * Keys of {@code expected} (key → stamp) whose newest delivered stamp differs; 0 means the
     * destination has delivered every expected final value.
     */
    synchronized int behind(Map<String, Long> expected) {
        int n = 0;
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            long[] l = latest.get(e.getKey());
            if (l == null || l[0] != e.getValue()) {
                n++;
            }
        }
        return n;
    }

    /** When the last of the expected final values arrived (clock nanoseconds); -1 if one has not. */
    synchronized long finalArrival(Map<String, Long> expected) {
        long max = -1;
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            long[] l = latest.get(e.getKey());
            if (l == null || l[0] != e.getValue()) {
                return -1;
            }
            max = Math.max(max, l[1]);
        }
        return max;
    }

    @Override
    public void close() {
        watcher.close();
    }
}
