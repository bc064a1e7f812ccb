package io.fedsync.itest.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Every 50 ms, one small put into each etcd (outside the mirrored prefix, so no mirror sees it),
 * timed. Shows how quickly etcd itself answers a write under the load of the run, next to the
 * mirror's own latency: if etcd answers in milliseconds while the mirror lags by seconds, the
 * time is spent in the mirror.
 */
final class LatencyProbe implements AutoCloseable {

    private static final ByteSequence KEY = ByteSequence.from("/fedsync-bench/probe", UTF_8);
    private final Thread thread;
    private final Client[] clients;
    private final long[][] samples;
    private final int[] counts;
    private volatile boolean running = true;

    LatencyProbe(Client... clients) {
        this.clients = clients;
        this.samples = new long[clients.length][1 << 12];
        this.counts = new int[clients.length];
        thread = new Thread(this::run, "bench-latency-probe");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        ByteSequence value = ByteSequence.from("x", UTF_8);
        while (running) {
            for (int i = 0; i < clients.length; i++) {
                long t = System.nanoTime();
                try {
                    clients[i].getKVClient().put(KEY, value).get(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    continue;
                }
                record(i, System.nanoTime() - t);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void record(int i, long nanos) {
        if (counts[i] == samples[i].length) {
            samples[i] = Arrays.copyOf(samples[i], counts[i] * 2);
        }
        samples[i][counts[i]++] = nanos;
    }

    /** {@code p50 x ms, p99 y ms (n puts)} for the i-th client. */
    synchronized String describe(int i) {
        long[] s = Arrays.copyOf(samples[i], counts[i]);
        if (s.length == 0) {
            return "no answer";
        }
        Arrays.sort(s);
        return String.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d puts)", s[(s.length - 1) / 2] / 1e6,
                s[Math.max(0, (int) Math.ceil(0.99 * s.length) - 1)] / 1e6, s[s.length - 1] / 1e6, s.length);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
