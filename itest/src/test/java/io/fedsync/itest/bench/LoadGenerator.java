package io.fedsync.itest.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.PutResponse;
import io.fedsync.itest.fixture.Kv;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The live benchmark's writers, in a JVM of their own (so they share nothing with the benchmark
 * or the mirror but the machine): W threads put stamped KubeSphere Users ({@link StampedValues})
 * on random keys of a pool of N into one etcd, each as fast as etcd answers, for S seconds.
 *
 * <p>Protocol with {@link LoadGeneratorProcess}: warms up for {@code --warmup-seconds} (2) on keys
 * outside the mirrored prefix, prints {@code READY}, waits for
 * {@code GO} on stdin, writes, then writes every acknowledged put (key index, stamp, revision,
 * acknowledgement time) and its own CPU time while writing to the {@code --out} file and prints {@code DONE}. It exits at once if
 * stdin closes (the benchmark is gone).
 *
 * <pre>java -cp ... io.fedsync.itest.bench.LoadGenerator --endpoint URL --writers W --seconds S
 *     --keys N --value-bytes B --out FILE</pre>
 */
public final class LoadGenerator {

    private static final long PUT_TIMEOUT_MS = 10_000;

    private LoadGenerator() {
    }

    /** One acknowledged put. */
    record Write(int key, long stamp, long revision, long ack) {
    }

    /** What the {@code --out} file holds. */
    record Result(long start, long stop, long attempts, long failed, long cpuNanos, int[] keys, long[] stamps,
                  long[] revisions, long[] acks) {
        int writes() {
            return keys.length;
        }
    }

    public static void main(String[] args) throws Exception {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        Map<String, String> a = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i], args[i + 1]);
        }
        String endpoint = a.get("--endpoint");
        int writers = Integer.parseInt(a.get("--writers"));
        int seconds = Integer.parseInt(a.get("--seconds"));
        int keyCount = Integer.parseInt(a.get("--keys"));
        int valueBytes = Integer.parseInt(a.get("--value-bytes"));
        Path out = Paths.get(a.get("--out"));

        StampedValues values = new StampedValues(keyCount, valueBytes);
        ByteSequence[] keys = new ByteSequence[keyCount];
        for (int i = 0; i < keyCount; i++) {
            keys[i] = Kv.bytes(values.key(i));
        }
        Client client = Client.builder().endpoints(endpoint).build();
        Kv.revision(client);
        KV kv = client.getKVClient();
        warmUp(kv, values, writers, Integer.parseInt(a.getOrDefault("--warmup-seconds", "2")));

        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("READY");
        System.out.flush();
        String line = stdin.readLine();
        if (!"GO".equals(line)) {
            System.exit(3);
        }
        // From now on, a closed stdin means the benchmark is gone: stop at once.
        Thread orphan = new Thread(() -> {
            try {
                while (stdin.readLine() != null) {
                    // nothing else is sent
                }
            } catch (IOException e) {
                // gone as well
            }
            Runtime.getRuntime().halt(4);
        }, "stdin-watch");
        orphan.setDaemon(true);
        orphan.start();

        AtomicLong attempts = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long self = ProcessHandle.current().pid();
        long cpuAtGo = CpuMeter.processCpu(self);
        long start = BenchClock.now();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        List<List<Write>> perThread = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(writers);
        for (int w = 0; w < writers; w++) {
            List<Write> mine = new ArrayList<>(1 << 12);
            perThread.add(mine);
            Thread t = new Thread(() -> {
                try {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    long now;
                    while ((now = BenchClock.now()) < end) {
                        int i = rnd.nextInt(keyCount);
                        attempts.incrementAndGet();
                        try {
                            PutResponse r = kv.put(keys[i], ByteSequence.from(values.value(i, now)))
                                    .get(PUT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                            mine.add(new Write(i, now, r.getHeader().getRevision(), BenchClock.now()));
                        } catch (InterruptedException e) {
                            return;
                        } catch (Exception e) {
                            if (failed.incrementAndGet() <= 3) {
                                System.err.println("load generator: a put failed: " + e);
                            }
                        }
                    }
                } finally {
                    done.countDown();
                }
            }, "writer-" + w);
            t.setDaemon(true);
            t.start();
        }
        done.await();
        long stop = BenchClock.now();
        long cpu = CpuMeter.processCpu(self) - cpuAtGo;
        int n = perThread.stream().mapToInt(List::size).sum();
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (DataOutputStream o = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
            o.writeLong(start);
            o.writeLong(stop);
            o.writeLong(attempts.get());
            o.writeLong(failed.get());
            o.writeLong(cpu);
            o.writeInt(n);
            for (List<Write> list : perThread) {
                for (Write w : list) {
                    o.writeInt(w.key());
                    o.writeLong(w.stamp());
                    o.writeLong(w.revision());
                    o.writeLong(w.ack());
                }
            }
        }
        Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        System.out.println("DONE " + n);
        System.out.flush();
        client.close();
        System.exit(0);
    }

    /**
     * The writers' own warm-up, before READY: the same puts for a moment, on keys outside the
     * mirrored prefix, so the writers' JIT compilation is not part of the measured run. The
     * mirrors do not see these keys.
     */
    private static void warmUp(KV kv, StampedValues values, int writers, int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            ByteSequence key = Kv.bytes("/fedsync-bench/writer-warm-up/" + w);
            int i = w % values.size();
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end) {
                    try {
                        kv.put(key, ByteSequence.from(values.value(i, BenchClock.now()))).get(PUT_TIMEOUT_MS,
                                TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        // only a warm-up
                    }
                }
            }, "warm-up-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    static Result read(Path file) throws IOException {
        try (java.io.DataInputStream in = new java.io.DataInputStream(
                new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            long start = in.readLong();
            long stop = in.readLong();
            long attempts = in.readLong();
            long failed = in.readLong();
            long cpu = in.readLong();
            int n = in.readInt();
            int[] keys = new int[n];
            long[] stamps = new long[n];
            long[] revisions = new long[n];
            long[] acks = new long[n];
            for (int i = 0; i < n; i++) {
                keys[i] = in.readInt();
                stamps[i] = in.readLong();
                revisions[i] = in.readLong();
                acks[i] = in.readLong();
            }
            return new Result(start, stop, attempts, failed, cpu, keys, stamps, revisions, acks);
        }
    }
}
