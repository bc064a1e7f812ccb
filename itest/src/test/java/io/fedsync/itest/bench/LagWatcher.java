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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the destination prefix, as a kube-apiserver's watch cache would, and records every PUT
 * event: which key, the write stamp in its value ({@link StampedValues}) and when it arrived
 * ({@link BenchClock}). Also remembers, per key, the newest stamp delivered. It only records;
 * what was delivered when is worked out afterwards ({@link Deliveries}).
 */
final class LagWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LagWatcher.class);

    private final Watch.Watcher watcher;
    private int[] keys = new int[1 << 16];
    private long[] stamps = new long[1 << 16];
    private long[] arrivals = new long[1 << 16];
    private int puts;
    private long deletes;
    private long unstamped;
    private final Map<String, Long> latest = new HashMap<>();
    private volatile Throwable error;

    LagWatcher(Client client, String prefix) {
        long from = Kv.revision(client) + 1;
        WatchOption option = WatchOption.builder().isPrefix(true).withRevision(from).build();
        this.watcher = client.getWatchClient().watch(Kv.bytes(prefix), option,
                Watch.listener(this::onResponse, this::onError));
    }

    private void onResponse(WatchResponse response) {
        long now = BenchClock.now();
        synchronized (this) {
            for (WatchEvent ev : response.getEvents()) {
                if (ev.getEventType() != WatchEvent.EventType.PUT) {
                    deletes++;
                    continue;
                }
                KeyValue kv = ev.getKeyValue();
                long stamp = StampedValues.stampOf(kv.getValue().getBytes());
                String key = kv.getKey().toString(UTF_8);
                if (stamp < 0) {
                    unstamped++;
                    continue;
                }
                if (puts == arrivals.length) {
                    keys = Arrays.copyOf(keys, puts * 2);
                    stamps = Arrays.copyOf(stamps, puts * 2);
                    arrivals = Arrays.copyOf(arrivals, puts * 2);
                }
                keys[puts] = StampedValues.indexOf(key);
                stamps[puts] = stamp;
                arrivals[puts] = now;
                puts++;
                latest.put(key, stamp);
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

    synchronized int puts() {
        return puts;
    }

    /** Every PUT so far, in arrival order. */
    synchronized Snapshot snapshot() {
        return new Snapshot(Arrays.copyOf(keys, puts), Arrays.copyOf(stamps, puts), Arrays.copyOf(arrivals, puts),
                deletes, unstamped);
    }

    /** Parallel arrays: key index, write stamp, arrival ({@link BenchClock} ns). */
    record Snapshot(int[] keys, long[] stamps, long[] arrivals, long deletes, long unstamped) {
        int puts() {
            return arrivals.length;
        }
    }

    /** Keys of {@code expected} (key → final stamp) whose newest delivered value is not that one. */
    synchronized int behind(Map<String, Long> expected) {
        int n = 0;
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            Long got = latest.get(e.getKey());
            if (got == null || got.longValue() != e.getValue()) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        watcher.close();
    }
}
