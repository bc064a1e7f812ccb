package io.fedsync.itest.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.fedsync.itest.fixture.EtcdBinary;
import io.fedsync.itest.fixture.EtcdProcess;
import io.fedsync.itest.fixture.Dirs;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The benchmark of issue 2 item 6: fedsync's mirror against {@code etcdctl make-mirror}, each on
 * its own fresh pair of real etcd processes, in one run.
 *
 * <ol>
 * <li><b>initial</b>: N KubeSphere Users of ~1 KiB preloaded into the source, destination
 * empty; time from starting the tool until the destination holds all N keys (polled every 50
 * ms), then every value is checked byte for byte.</li>
 * <li><b>live</b>: W writer threads put Users stamped with their write time into the source for
 * S seconds (random keys of a pool of N, so keys are rewritten); a watch on the destination
 * records each delivered event and its lag (arrival − stamp). make-mirror runs one way,
 * fedsync bidirectionally.</li>
 * </ol>
 *
 * Run it with {@code bin/fedsync-bench}; it is not a test and never runs in CI. The report goes to
 * stdout, logs to stderr.
 */
public final class MirrorBenchmark {

    static final String PREFIX = "/registry/iam.kubesphere.io/";
    private static final Logger LOG = LoggerFactory.getLogger(MirrorBenchmark.class);
    private static final long EPOCH = System.nanoTime();
    private static final Duration PUT_TIMEOUT = Duration.ofSeconds(10);
    /** Set during the unmeasured warm-up: nothing is printed. */
    private static volatile boolean quiet;

    private final BenchOptions o;
    private final List<String> tools = new ArrayList<>();
    private Path workDir;
    private boolean failed;
    private final Map<String, InitialResult> initial = new LinkedHashMap<>();
    private final Map<String, LiveResult> live = new LinkedHashMap<>();

    private MirrorBenchmark(BenchOptions o) {
        this.o = o;
        if (o.makeMirror()) {
            tools.add(MirrorTool.MAKE_MIRROR);
        }
        if (o.fedsync()) {
            tools.add(MirrorTool.FEDSYNC);
        }
    }

    /** Nanoseconds since this JVM's benchmark epoch: the clock of the write stamps. */
    static long now() {
        return System.nanoTime() - EPOCH;
    }

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (BenchOptions.UsageException e) {
            if (e.getMessage() != null) {
                System.err.println("fedsync-bench: " + e.getMessage());
            }
            System.err.println(BenchOptions.USAGE);
            System.exit(e.getMessage() == null ? 0 : 2);
            return;
        }
        Cleanup.installHook();
        int rc;
        try {
            rc = new MirrorBenchmark(options).run(args);
        } catch (Stopped e) {
            System.err.println("fedsync-bench: stopped before the end; no summary");
            rc = 130;
        } catch (Exception e) {
            if (Cleanup.stopping()) {
                System.err.println("fedsync-bench: stopped before the end; no summary");
                rc = 130;
            } else {
                LOG.error("benchmark failed", e);
                rc = 1;
            }
        } finally {
            Cleanup.closeAll();
        }
        System.out.flush();
        System.exit(rc);
    }

    private int run(String[] args) throws IOException {
        String base = System.getProperty(EtcdProcess.WORK_DIR_PROPERTY);
        Path parent = base != null && !base.isBlank() ? Paths.get(base) : Paths.get(System.getProperty("java.io.tmpdir"));
        Files.createDirectories(parent);
        workDir = Files.createTempDirectory(parent, "fedsync-bench-");
        Cleanup.register("work dir " + workDir, () -> Dirs.deleteRecursively(workDir));
        header(args);
        if (o.warmup() && o.fedsync()) {
            warmup();
        }

        if (o.initial()) {
            Map<String, String> values = new LinkedHashMap<>();
            for (int i = 0; i < o.keys(); i++) {
                String name = StampedValues.userName(i);
                values.put(KubeObjects.userKey(name), KubeObjects.userPadded(name, name + "@example.com", o.valueBytes()));
            }
            for (String tool : tools) {
                initial.put(tool, initial(tool, values));
            }
        }
        if (o.live()) {
            StampedValues values = new StampedValues(o.keys(), o.valueBytes());
            for (String tool : tools) {
                live.put(tool, live(tool, values));
            }
        }
        summary();
        return failed ? 1 : 0;
    }

    // ---- header ---------------------------------------------------------------------------

    private void header(String[] args) {
        String command = System.getenv("FEDSYNC_BENCH_COMMAND");
        if (command == null || command.isBlank()) {
            command = "java " + MirrorBenchmark.class.getName() + " " + String.join(" ", args);
        }
        out("fedsync mirror benchmark: fedsync vs etcdctl make-mirror");
        out("command:   %s", command.trim());
        out("options:   keys %d, value bytes %d, writers %d, seconds %d, scenarios %s, tools %s, timeout %d s",
                o.keys(), o.valueBytes(), o.writers(), o.seconds(),
                (o.initial() ? "initial " : "") + (o.live() ? "live" : ""), String.join(" ", tools), o.timeoutSeconds());
        out("machine:   nproc %d, %s, %s RAM, Linux %s, Java %s", Runtime.getRuntime().availableProcessors(),
                cpuModel(), memTotal(), System.getProperty("os.version"), System.getProperty("java.version"));
        out("etcd:      %s; etcdctl %s at %s", EtcdBinary.describe(), MirrorTool.MakeMirror.version(),
                MirrorTool.MakeMirror.etcdctl());
        out("etcd data: %s (each tool gets its own fresh source/destination pair)", workDir);
        out("load:      %s (1/5/15-min load average before the run; other processes compete for the same cores)",
                loadAverage());
        out("");
    }

    /** fedsync once, unmeasured and silent, on a throwaway pair: the JIT compiles the engine's paths. */
    private void warmup() {
        int keys = Math.min(o.keys(), 5000);
        BenchOptions w = new BenchOptions(keys, o.valueBytes(), o.writers(), Math.min(o.seconds(), 5), true, true, true,
                false, o.timeoutSeconds(), false, false);
        long t = now();
        LOG.info("warm-up: fedsync on a throwaway pair, {} keys initial + {} s live (not measured)", keys, w.seconds());
        MirrorBenchmark warm = new MirrorBenchmark(w);
        warm.workDir = workDir;
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < keys; i++) {
            String name = StampedValues.userName(i);
            values.put(KubeObjects.userKey(name), KubeObjects.userPadded(name, name + "@example.com", o.valueBytes()));
        }
        quiet = true;
        try {
            warm.initial(MirrorTool.FEDSYNC, values);
            warm.live(MirrorTool.FEDSYNC, new StampedValues(keys, o.valueBytes()));
        } finally {
            quiet = false;
        }
        out("warm-up:   fedsync ran %d keys initial + %d s live on a throwaway pair first (%.0f s, not measured%s)", keys,
                w.seconds(), secs(now() - t), warm.failed ? "; it FAILED, see the log" : "");
        out("");
    }

    // ---- (a) initial sync -----------------------------------------------------------------

    record InitialResult(double seconds, long keys, boolean complete, String note) {
        double keysPerSecond() {
            return keys / seconds;
        }
    }

    private InitialResult initial(String toolName, Map<String, String> values) {
        int n = values.size();
        out("== initial sync: %d keys of %d bytes, %s ==", n, o.valueBytes(), toolName);
        EtcdPair pair = null;
        MirrorTool tool = null;
        LatencyProbe probe = null;
        try {
            pair = EtcdPair.start(workDir, "init-" + shortName(toolName));
            Client src = pair.srcClient();
            Client dst = pair.dstClient();
            long t = now();
            Kv.putAll(src, values);
            long loaded = Kv.count(src, PREFIX);
            out("preload:   %d keys into the source with 100-key Txns in %.2f s", loaded, secs(now() - t));
            if (loaded != n) {
                throw new IllegalStateException("source holds " + loaded + " keys after the preload, expected " + n);
            }
            Map<String, Long> pids = etcdPids(pair);
            Map<String, Double> srcStats0 = EtcdStats.scrape(pair.src);
            Map<String, Double> dstStats0 = EtcdStats.scrape(pair.dst);
            CpuMeter.Sample cpu0 = CpuMeter.sample(pids);
            probe = new LatencyProbe(pair.srcClient(), pair.dstClient());
            tool = MirrorTool.create(toolName, PREFIX, workDir);
            long t0 = now();
            tool.start(pair);
            out("started:   %s in %.2f s", toolName.equals(MirrorTool.FEDSYNC)
                    ? "engine start() (fence, load both sides, watches) returned" : "process launched", secs(now() - t0));
            tool.pid().ifPresent(pid -> pids.put(toolName, pid));
            long[] quarters = new long[3];
            long deadline = t0 + TimeUnit.SECONDS.toNanos(o.timeoutSeconds());
            long count = 0;
            long nextLog = t0 + TimeUnit.SECONDS.toNanos(2);
            while ((count = Kv.count(dst, PREFIX)) < n) {
                for (int q = 0; q < 3; q++) {
                    if (quarters[q] == 0 && count >= (long) n * (q + 1) / 4) {
                        quarters[q] = now();
                    }
                }
                String f = tool.failure();
                if (f != null) {
                    throw new IllegalStateException(toolName + " failed: " + f);
                }
                if (now() > deadline) {
                    break;
                }
                if (now() > nextLog) {
                    LOG.info("{}: destination holds {} / {} keys after {} s", toolName, count, n, fmt1(secs(now() - t0)));
                    nextLog += TimeUnit.SECONDS.toNanos(2);
                }
                sleep(50);
            }
            long t1 = now();
            probe.close();
            CpuMeter.Sample cpu1 = CpuMeter.sample(pids);
            Map<String, Double> srcStats1 = EtcdStats.scrape(pair.src);
            Map<String, Double> dstStats1 = EtcdStats.scrape(pair.dst);
            double seconds = secs(t1 - t0);
            if (count < n) {
                out("result:    TIMEOUT: destination holds %d / %d keys after %.1f s", count, n, seconds);
                failed = true;
                return new InitialResult(seconds, count, false, "timeout");
            }
            out("result:    destination held all %d keys %.2f s after the start (%.0f keys/s); 25%% at %s, 50%% at %s,"
                    + " 75%% at %s", n, seconds, n / seconds, at(quarters[0], t0), at(quarters[1], t0), at(quarters[2], t0));
            // Count reached: now every value must be byte-identical to the source.
            String check = compareUntilEqual(values, dst, t1, deadline);
            out("values:    %s", check);
            out("cpu:       %s", CpuMeter.describe(cpu0, cpu1));
            out("src etcd:  %s", EtcdStats.describe(srcStats0, srcStats1, seconds));
            out("dst etcd:  %s", EtcdStats.describe(dstStats0, dstStats1, seconds));
            out("probe:     a small put every 50 ms: source %s; destination %s", probe.describe(0), probe.describe(1));
            printCounters(tool);
            boolean equal = check.startsWith("all");
            if (!equal) {
                failed = true;
            }
            return new InitialResult(seconds, n, equal, equal ? "" : "values differ");
        } catch (RuntimeException | IOException e) {
            abortIfStopping();
            LOG.error("initial sync with {} failed", toolName, e);
            out("result:    ERROR: %s", e);
            failed = true;
            return new InitialResult(0, 0, false, "error: " + e.getMessage());
        } finally {
            if (probe != null) {
                probe.close();
            }
            closeQuietly(tool);
            if (pair != null) {
                Cleanup.close(pair);
            }
            out("");
        }
    }

    /** Compares all values; if some differ (a write still on its way), re-checks until equal. */
    private String compareUntilEqual(Map<String, String> expected, Client dst, long countedAt, long deadline) {
        while (true) {
            SortedMap<String, String> got = Kv.keys(dst, PREFIX);
            int differ = 0;
            for (Map.Entry<String, String> e : expected.entrySet()) {
                if (!e.getValue().equals(got.get(e.getKey()))) {
                    differ++;
                }
            }
            int extra = (int) got.keySet().stream().filter(k -> !expected.containsKey(k)).count();
            if (differ == 0 && extra == 0) {
                double after = secs(now() - countedAt);
                return after < 0.5 ? String.format("all %d byte-identical to the source", expected.size())
                        : String.format("all %d byte-identical to the source, %.2f s after the count was reached",
                                expected.size(), after);
            }
            if (now() > deadline) {
                return String.format("MISMATCH: %d of %d differ or are missing, %d unexpected keys", differ,
                        expected.size(), extra);
            }
            sleep(200);
        }
    }

    // ---- (b) live mirroring ---------------------------------------------------------------

    record LiveResult(long writes, double writeSeconds, long events, long eventsInWindow, double windowRate,
                      double totalRate, double effectiveRate, double p50, double p99, double max, double catchUp,
                      boolean caughtUp, int keysEqual, int keysTotal, String note) {
    }

    private LiveResult live(String toolName, StampedValues values) {
        out("== live: %d writers for %d s into the source, values of %d bytes, key pool %d, %s ==", o.writers(),
                o.seconds(), o.valueBytes(), values.size(), toolName);
        EtcdPair pair = null;
        MirrorTool tool = null;
        LagWatcher watcher = null;
        StackSampler sampler = null;
        LatencyProbe probe = null;
        try {
            pair = EtcdPair.start(workDir, "live-" + shortName(toolName));
            Client writerClient = pair.srcClient();
            Client srcRead = pair.srcClient();
            Client dstRead = pair.dstClient();
            watcher = new LagWatcher(pair.dstClient(), PREFIX, MirrorBenchmark::now);
            tool = MirrorTool.create(toolName, PREFIX, workDir);
            tool.start(pair);
            Map<String, Long> pids = etcdPids(pair);
            tool.pid().ifPresent(pid -> pids.put(toolName, pid));
            awaitSourceWatch(pair.src, tool);
            out("mirror:    %s", tool.describe());
            Map<String, Double> srcStats0 = EtcdStats.scrape(pair.src);
            Map<String, Double> dstStats0 = EtcdStats.scrape(pair.dst);
            CpuMeter.Sample cpu0 = CpuMeter.sample(pids);
            probe = new LatencyProbe(pair.srcClient(), pair.dstClient());
            if (o.profile() && toolName.equals(MirrorTool.FEDSYNC)) {
                sampler = new StackSampler();
            }

            // Writers.
            KV kv = writerClient.getKVClient();
            ByteSequence[] keys = new ByteSequence[values.size()];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = ByteSequence.from(values.key(i), UTF_8);
            }
            AtomicLong writes = new AtomicLong();
            AtomicLongArray written = new AtomicLongArray((o.seconds() + 60) * 10);
            AtomicLong errors = new AtomicLong();
            CountDownLatch go = new CountDownLatch(1);
            long[] window = new long[2];
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < o.writers(); w++) {
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    long end = window[1];
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    while (now() < end) {
                        int i = rnd.nextInt(keys.length);
                        try {
                            kv.put(keys[i], ByteSequence.from(values.value(i, now())))
                                    .get(PUT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                            writes.incrementAndGet();
                            written.incrementAndGet((int) Math.min(written.length() - 1,
                                    Math.max(0, (now() - window[0]) / 100_000_000L)));
                        } catch (InterruptedException e) {
                            return;
                        } catch (Exception e) {
                            if (Cleanup.stopping()) {
                                return;
                            }
                            if (errors.incrementAndGet() <= 3) {
                                LOG.warn("a put into the source failed: {}", e.toString());
                            }
                        }
                    }
                }, "bench-writer-" + w);
                t.setDaemon(true);
                writers.add(t);
                t.start();
            }
            long tStart = now();
            window[0] = tStart;
            window[1] = tStart + TimeUnit.SECONDS.toNanos(o.seconds());
            go.countDown();
            long nextLog = tStart + TimeUnit.SECONDS.toNanos(5);
            for (Thread t : writers) {
                while (t.isAlive()) {
                    t.join(200);
                    if (now() > nextLog) {
                        LOG.info("{}: {} puts into the source, {} events on the destination after {} s", toolName,
                                writes.get(), watcher.snapshot().puts(), fmt1(secs(now() - tStart)));
                        nextLog += TimeUnit.SECONDS.toNanos(5);
                    }
                }
            }
            long tStop = now();
            double writeSeconds = secs(tStop - tStart);
            SortedMap<String, String> srcFinal = Kv.keys(srcRead, PREFIX);
            Map<String, Long> expected = new HashMap<>();
            srcFinal.forEach((k, v) -> expected.put(k, StampedValues.stampOf(v.getBytes(UTF_8))));
            out("writers:   %d puts in %.2f s = %.0f puts/s into the source (%d failed); %d distinct keys",
                    writes.get(), writeSeconds, writes.get() / writeSeconds, errors.get(), srcFinal.size());

            // Catching up: every key's final value delivered on the destination.
            long deadline = tStop + TimeUnit.SECONDS.toNanos(o.timeoutSeconds());
            int behind;
            nextLog = now() + TimeUnit.SECONDS.toNanos(5);
            while ((behind = watcher.behind(expected)) > 0) {
                String f = tool.failure();
                if (f != null) {
                    throw new IllegalStateException(toolName + " failed: " + f);
                }
                if (watcher.error() != null) {
                    throw new IllegalStateException("the destination watch failed: " + watcher.error());
                }
                if (now() > deadline) {
                    break;
                }
                if (now() > nextLog) {
                    LOG.info("{}: {} keys not caught up yet, {} events delivered, {} s after the writers stopped",
                            toolName, behind, watcher.snapshot().puts(), fmt1(secs(now() - tStop)));
                    nextLog += TimeUnit.SECONDS.toNanos(5);
                }
                sleep(50);
            }
            long finalArrival = watcher.finalArrival(expected);
            probe.close();
            CpuMeter.Sample cpu1 = CpuMeter.sample(pids);
            Map<String, Double> srcStats1 = EtcdStats.scrape(pair.src);
            Map<String, Double> dstStats1 = EtcdStats.scrape(pair.dst);
            double measured = secs(cpu1.wallNanos() - cpu0.wallNanos());
            Map<String, Long> counters = tool.counters();
            if (sampler != null) {
                sampler.close();
            }
            // A little longer: late duplicates would show as events after the final values.
            sleep(300);
            LagWatcher.Snapshot s = watcher.snapshot();
            boolean caughtUp = behind == 0;
            double catchUp = caughtUp ? Math.max(0, secs(finalArrival - tStop)) : secs(now() - tStop);

            long inWindow = Arrays.stream(s.arrivals()).filter(a -> a <= tStop).count();
            long lastArrival = Arrays.stream(s.arrivals()).max().orElse(tStart);
            double windowRate = inWindow / writeSeconds;
            double totalRate = s.puts() == 0 ? 0 : s.puts() / secs(lastArrival - tStart);
            double effective = caughtUp ? writes.get() / secs(finalArrival - tStart) : 0;
            long[] lags = s.lags().clone();
            Arrays.sort(lags);
            double p50 = pct(lags, 50);
            double p90 = pct(lags, 90);
            double p99 = pct(lags, 99);
            double max = lags.length == 0 ? 0 : secs(lags[lags.length - 1]);

            out("delivered: %d PUT events on the destination (%.2f per source write): %d during the writing window"
                    + " = %.0f keys/s; all %d by %.2f s after the first write = %.0f keys/s", s.puts(),
                    s.puts() / (double) Math.max(1, writes.get()), inWindow, windowRate, s.puts(),
                    secs(lastArrival - tStart), totalRate);
            out("lag:       arrival − write stamp over %d events: p50 %s, p90 %s, p99 %s, max %s", s.puts(),
                    fmtSecs(p50), fmtSecs(p90), fmtSecs(p99), fmtSecs(max));
            if (caughtUp) {
                out("caught up: every key's final value delivered %.2f s after the writers stopped"
                        + " (source writes absorbed: %.0f writes/s)", catchUp, effective);
            } else {
                out("caught up: NO — %d keys still behind %d s after the writers stopped", behind, o.timeoutSeconds());
                failed = true;
            }
            if (s.deletes() > 0 || s.unstamped() > 0) {
                out("unexpected: %d DELETE events and %d values without a stamp on the destination", s.deletes(),
                        s.unstamped());
            }
            SortedMap<String, String> dstFinal = Kv.keys(dstRead, PREFIX);
            SortedMap<String, String> srcNow = Kv.keys(srcRead, PREFIX);
            int equal = 0;
            for (Map.Entry<String, String> e : srcNow.entrySet()) {
                if (e.getValue().equals(dstFinal.get(e.getKey()))) {
                    equal++;
                }
            }
            long extra = dstFinal.keySet().stream().filter(k -> !srcNow.containsKey(k)).count();
            boolean srcUnchanged = srcNow.equals(srcFinal);
            out("final:     %d / %d distinct keys byte-identical on both sides%s%s", equal, srcNow.size(),
                    extra > 0 ? ", " + extra + " extra keys on the destination" : "",
                    srcUnchanged ? "" : "; the SOURCE changed after the writers stopped (written back by the mirror)");
            if (equal != srcNow.size() || extra > 0 || !srcUnchanged) {
                failed = true;
            }
            out("cpu:       %s", CpuMeter.describe(cpu0, cpu1));
            out("src etcd:  %s", EtcdStats.describe(srcStats0, srcStats1, measured));
            out("dst etcd:  %s", EtcdStats.describe(dstStats0, dstStats1, measured));
            out("probe:     a small put every 50 ms: source %s; destination %s", probe.describe(0), probe.describe(1));
            printCounters(counters);
            timeline(written, s, tStart, tStop);
            if (sampler != null) {
                out("profile:   %s", String.join("\n", sampler.report(25)));
            }
            return new LiveResult(writes.get(), writeSeconds, s.puts(), inWindow, windowRate, totalRate, effective,
                    p50, p99, max, catchUp, caughtUp, equal, srcNow.size(), "");
        } catch (RuntimeException | InterruptedException | IOException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            abortIfStopping();
            LOG.error("live mirroring with {} failed", toolName, e);
            out("result:    ERROR: %s", e);
            failed = true;
            return null;
        } finally {
            if (probe != null) {
                probe.close();
            }
            if (sampler != null) {
                sampler.close();
            }
            if (watcher != null) {
                watcher.close();
            }
            closeQuietly(tool);
            if (pair != null) {
                Cleanup.close(pair);
            }
            out("");
        }
    }

    /** Per time slice: source writes, destination events, and the lags of those events. */
    private void timeline(AtomicLongArray written, LagWatcher.Snapshot s, long tStart, long tStop) {
        long last = Arrays.stream(s.arrivals()).max().orElse(tStop);
        double span = Math.max(secs(last - tStart), secs(tStop - tStart));
        int width = Math.max(1, (int) Math.ceil(Math.max(o.seconds() / 10.0, span / 40)));
        int slices = (int) Math.ceil(span / width);
        out("timeline:  %d-s slices from the first write (writers stop at %.1f s)", width, secs(tStop - tStart));
        out("             from    writes  delivered   lag p50    lag p99    lag max");
        for (int i = 0; i < slices; i++) {
            long from = tStart + TimeUnit.SECONDS.toNanos((long) i * width);
            long to = from + TimeUnit.SECONDS.toNanos(width);
            long w = 0;
            for (int k = i * width * 10; k < (i + 1) * width * 10 && k < written.length(); k++) {
                w += written.get(k);
            }
            List<Long> lags = new ArrayList<>();
            for (int k = 0; k < s.puts(); k++) {
                if (s.arrivals()[k] >= from && s.arrivals()[k] < to) {
                    lags.add(s.lags()[k]);
                }
            }
            long[] sorted = lags.stream().mapToLong(Long::longValue).sorted().toArray();
            out("           %5ds  %8d  %9d  %9s  %9s  %9s", i * width, w, sorted.length,
                    sorted.length == 0 ? "-" : fmtSecs(pct(sorted, 50)), sorted.length == 0 ? "-" : fmtSecs(pct(sorted, 99)),
                    sorted.length == 0 ? "-" : fmtSecs(secs(sorted[sorted.length - 1])));
        }
    }

    /**
     * Waits until the source etcd reports a watcher (the benchmark itself watches only the
     * destination): the tool's watch is in place, so its start-up does not count as lag.
     */
    private void awaitSourceWatch(EtcdProcess src, MirrorTool tool) throws InterruptedException {
        long deadline = now() + TimeUnit.SECONDS.toNanos(30);
        while (now() < deadline) {
            String f = tool.failure();
            if (f != null) {
                throw new IllegalStateException(tool.name() + " failed: " + f);
            }
            if (EtcdStats.scrape(src).getOrDefault("etcd_debugging_mvcc_watcher_total", 0.0) >= 1) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(tool.name() + " did not start watching the source within 30 s");
    }

    // ---- summary --------------------------------------------------------------------------

    private void summary() {
        out("== summary ==");
        out("%-16s%-13s%-38s%s", "scenario", "tool", "result", "fedsync/make-mirror");
        InitialResult imm = initial.get(MirrorTool.MAKE_MIRROR);
        InitialResult ifs = initial.get(MirrorTool.FEDSYNC);
        Double initialRatio = null;
        for (Map.Entry<String, InitialResult> e : initial.entrySet()) {
            InitialResult r = e.getValue();
            String result = r.complete() ? String.format("%5.1f s (%.0f k/s)", r.seconds(), r.keysPerSecond())
                    : (r.note().isEmpty() ? "incomplete" : r.note());
            String ratio = "";
            if (e.getKey().equals(MirrorTool.FEDSYNC) && imm != null && imm.complete() && r.complete()) {
                initialRatio = imm.seconds() / r.seconds();
                ratio = String.format("%.1fx", initialRatio);
            }
            out("%-16s%-13s%-38s%s", "initial " + o.keys(), e.getKey(), result, ratio);
        }
        LiveResult lmm = live.get(MirrorTool.MAKE_MIRROR);
        Double liveRatio = null;
        LiveResult lfs = live.get(MirrorTool.FEDSYNC);
        for (Map.Entry<String, LiveResult> e : live.entrySet()) {
            LiveResult r = e.getValue();
            String result = r == null ? "error" : String.format("%.0f k/s p50 %s p99 %s%s", r.totalRate(),
                    fmtSecs(r.p50()), fmtSecs(r.p99()), r.caughtUp() ? "" : " (not caught up)");
            String ratio = "";
            if (e.getKey().equals(MirrorTool.FEDSYNC) && lmm != null && r != null && lmm.totalRate() > 0) {
                liveRatio = r.totalRate() / lmm.totalRate();
                ratio = String.format("%.1fx", liveRatio);
            }
            out("%-16s%-13s%-38s%s", "live " + o.writers() + "w/" + o.seconds() + "s", e.getKey(), result, ratio);
        }
        if (!live.isEmpty()) {
            out("");
            out("live details   tool         writes/s  delivered events  in window k/s  until caught up k/s"
                    + "  caught up after stop  source writes absorbed/s  final keys equal");
            for (Map.Entry<String, LiveResult> e : live.entrySet()) {
                LiveResult r = e.getValue();
                if (r == null) {
                    continue;
                }
                out("               %-12s %8.0f  %16d  %13.0f  %19.0f  %20s  %24s  %d/%d", e.getKey(),
                        r.writes() / r.writeSeconds(), r.events(), r.windowRate(), r.totalRate(),
                        r.caughtUp() ? String.format("%.2f s", r.catchUp()) : "> " + fmt1(r.catchUp()) + " s",
                        r.caughtUp() ? String.format("%.0f", r.effectiveRate()) : "-", r.keysEqual(), r.keysTotal());
            }
            out("(k/s: destination PUT events per second; 'until caught up' = all events / (last event − first"
                    + " write); 'absorbed' = source writes / (last final value delivered − first write).");
            out(" make-mirror applies every source revision; fedsync coalesces writes per key, so it delivers fewer"
                    + " events for the same writes.)");
            if (lmm != null && lfs != null && lmm.caughtUp() && lfs.caughtUp()) {
                out("absorbed source writes/s, fedsync/make-mirror: %.1fx", lfs.effectiveRate() / lmm.effectiveRate());
            }
        }
        out("");
        out("targets:");
        if (initialRatio != null) {
            out("  initial sync >= 4x make-mirror's speed:   %.1fx  %s", initialRatio, initialRatio >= 4 ? "MET" : "MISSED");
        } else if (ifs != null) {
            out("  initial sync >= 4x make-mirror's speed:   n/a (needs both tools)");
        }
        if (liveRatio != null) {
            out("  live keys/s >= 2x make-mirror's:          %.1fx  %s", liveRatio, liveRatio >= 2 ? "MET" : "MISSED");
        } else if (lfs != null) {
            out("  live keys/s >= 2x make-mirror's:          n/a (needs both tools)");
        }
        if (lfs != null) {
            out("  live p99 lag < 1 s (fedsync):             %s  %s", fmtSecs(lfs.p99()), lfs.p99() < 1 ? "MET" : "MISSED");
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    /** Thrown when the JVM is being stopped: the run ends without a summary. */
    private static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped() {
            super("stopped by a signal", null, false, false);
        }
    }

    private static void abortIfStopping() {
        if (Cleanup.stopping()) {
            throw new Stopped();
        }
    }

    private static Map<String, Long> etcdPids(EtcdPair pair) {
        Map<String, Long> pids = new LinkedHashMap<>();
        pids.put("source etcd", pair.src.pid());
        pids.put("destination etcd", pair.dst.pid());
        return pids;
    }

    private void printCounters(MirrorTool tool) {
        printCounters(tool.counters());
    }

    private void printCounters(Map<String, Long> counters) {
        if (!counters.isEmpty()) {
            out("counters:  %s", new TreeMap<>(counters).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(", ")));
        }
    }

    private static String shortName(String tool) {
        return tool.equals(MirrorTool.FEDSYNC) ? "fs" : "mm";
    }

    private static String at(long t, long t0) {
        return t == 0 ? "-" : fmtSecs(secs(t - t0));
    }

    private static double pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return secs(sorted[Math.max(0, Math.min(sorted.length - 1, i))]);
    }

    static double secs(long nanos) {
        return nanos / 1e9;
    }

    static String fmtSecs(double s) {
        if (s < 10) {
            return String.format(Locale.ROOT, "%.2f s", s);
        }
        return String.format(Locale.ROOT, "%.1f s", s);
    }

    private static String fmt1(double s) {
        return String.format(Locale.ROOT, "%.1f", s);
    }

    private static void out(String format, Object... args) {
        if (quiet) {
            return;
        }
        System.out.println(args.length == 0 ? format : String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void closeQuietly(MirrorTool tool) {
        if (tool == null) {
            return;
        }
        try {
            tool.close();
        } catch (RuntimeException e) {
            LOG.warn("stopping {} failed: {}", tool.name(), e.toString());
        }
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Paths.get("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Paths.get("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String memTotal() {
        try (Stream<String> lines = Files.lines(Paths.get("/proc/meminfo"))) {
            return lines.filter(l -> l.startsWith("MemTotal")).findFirst()
                    .map(l -> String.format("%.0f GiB", Long.parseLong(l.replaceAll("\\D", "")) / 1024.0 / 1024.0))
                    .orElse("?");
        } catch (IOException | NumberFormatException e) {
            return "?";
        }
    }
}
