package io.fedsync.itest.bench;

import static io.fedsync.itest.bench.Stats.fmt;
import static io.fedsync.itest.bench.Stats.fmtSecs;
import static io.fedsync.itest.bench.Stats.secs;
import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.Dirs;
import io.fedsync.itest.fixture.EtcdBinary;
import io.fedsync.itest.fixture.EtcdProcess;
import io.fedsync.itest.fixture.FedsyncdLauncher;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The benchmark of issues 2 and 11: fedsync against {@code etcdctl make-mirror}, measured from the
 * outside as a user would. Each tool runs as its own process on its own fresh pair of etcds:
 * {@code bin/fedsyncd --config} (a cold JVM, bidirectional, policy hold) and
 * {@code etcdctl make-mirror} (one way).
 *
 * <ol>
 * <li><b>sync</b>: N KubeSphere Users of ~1 KiB preloaded into the source; the clock starts when
 * the tool's process is launched and stops when the destination holds all N (a count-only range
 * every few ms); then every value is checked byte for byte.</li>
 * <li><b>live</b>: once the tool is up, W writers in a separate JVM ({@link LoadGenerator}) put
 * Users stamped with their write time into the source as fast as they can for S seconds; a watch
 * on the destination records every arrival. A write counts as delivered when it, or a newer value
 * of its key, arrives ({@link Deliveries}).</li>
 * </ol>
 * For each: the CPU time of the mirror process, the etcds and the writers (from /proc), and the
 * etcd RPCs the mirror made. {@code --repeat} interleaves the tools and reports medians;
 * {@code --profile} runs fedsyncd under JFR.
 *
 * <p>Run it with {@code bin/fedsync-bench}; it is not a test and never runs in CI. The report goes
 * to stdout, progress and warnings to stderr.
 */
public final class MirrorBenchmark {

    static final String PREFIX = "/registry/iam.kubesphere.io/";
    private static final Logger LOG = LoggerFactory.getLogger(MirrorBenchmark.class);
    private static final long READY_TIMEOUT_SECONDS = 120;

    private final BenchOptions o;
    private final List<String> tools = new ArrayList<>();
    private Path workDir;
    private boolean failed;
    private final Map<String, List<SyncRun>> syncRuns = new LinkedHashMap<>();
    private final Map<String, List<LiveRun>> liveRuns = new LinkedHashMap<>();

    private MirrorBenchmark(BenchOptions o) {
        this.o = o;
        tools.addAll(o.tools());
        for (String t : tools) {
            syncRuns.put(t, new ArrayList<>());
            liveRuns.put(t, new ArrayList<>());
        }
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

    /** Runs every scenario with these options and prints the summary; 0 when every run passed, else 1. */
    static int run(BenchOptions options, String[] args) throws IOException {
        return new MirrorBenchmark(options).run(args);
    }

    private int run(String[] args) throws IOException {
        workDir = newWorkDir("fedsync-bench-");
        Cleanup.register("work dir " + workDir, () -> {
            if (failed || o.keep() || o.profile()) {
                System.err.println("fedsync-bench: work dir kept: " + workDir);
            } else {
                Dirs.deleteRecursively(workDir);
            }
        });
        header(args);
        Map<String, byte[]> syncValues = new LinkedHashMap<>();
        if (o.sync()) {
            for (int i = 0; i < o.keys(); i++) {
                String name = StampedValues.userName(i);
                syncValues.put(KubeObjects.userKey(name),
                        KubeObjects.userPadded(name, name + "@example.com", o.valueBytes()).getBytes(UTF_8));
            }
        }
        for (int r = 1; r <= o.repeat(); r++) {
            if (o.sync()) {
                for (String tool : tools) {
                    syncRuns.get(tool).add(sync(tool, r, syncValues));
                }
            }
            if (o.live()) {
                for (String tool : tools) {
                    liveRuns.get(tool).add(live(tool, r));
                }
            }
        }
        summary();
        return failed ? 1 : 0;
    }

    static Path newWorkDir(String prefix) throws IOException {
        String base = System.getProperty(EtcdProcess.WORK_DIR_PROPERTY);
        Path parent = base != null && !base.isBlank() ? Paths.get(base) : Paths.get(System.getProperty("java.io.tmpdir"));
        Files.createDirectories(parent);
        return Files.createTempDirectory(parent, prefix).toAbsolutePath();
    }

    // ---- header ---------------------------------------------------------------------------

    private void header(String[] args) {
        out("fedsync benchmark: bin/fedsyncd vs etcdctl make-mirror, each as its own process on fresh etcds");
        out("command:   %s", commandLine(args, MirrorBenchmark.class));
        out("options:   keys %d, value bytes %d, writers %d, seconds %d, repeat %d, scenarios %s, tools %s%s",
                o.keys(), o.valueBytes(), o.writers(), o.seconds(), o.repeat(),
                (o.sync() ? "sync " : "") + (o.live() ? "live" : ""), String.join(" ", tools),
                o.profile() ? ", fedsyncd under JFR (--profile: its figures include the recorder's cost)" : "");
        if (o.fedsync()) {
            out("fedsyncd:  %s --config <generated> (FEDSYNC_JAVA_OPTS='%s'; policy hold; clusters host = source,"
                    + " host2 = destination)", FedsyncdLauncher.script(), o.fedsyncdJavaOpts());
        }
        if (o.makeMirror()) {
            out("mirror:    etcdctl %s at %s, make-mirror --prefix=%s <destination>", MirrorTool.MakeMirror.version(),
                    MirrorTool.MakeMirror.etcdctl(), PREFIX);
        }
        machine();
        out("work dir:  %s", workDir);
        out("");
    }

    static String commandLine(String[] args, Class<?> main) {
        String command = System.getenv("FEDSYNC_BENCH_COMMAND");
        if (command == null || command.isBlank()) {
            command = "java " + main.getName() + " " + String.join(" ", args);
        }
        return command.trim();
    }

    static void machine() {
        out("machine:   nproc %d, %s, %s RAM, Linux %s, Java %s (fedsyncd: %s)", Runtime.getRuntime().availableProcessors(),
                cpuModel(), memTotal(), System.getProperty("os.version"), System.getProperty("java.version"), javaOnPath());
        out("etcd:      %s", EtcdBinary.describe());
        out("load:      %s (1/5/15-min load average before the run; other processes compete for the same cores)",
                loadAverage());
        out("cds:       %s", FedsyncdLauncher.cdsState());
    }

    // ---- sync -----------------------------------------------------------------------------

    /** One initial sync. Times in seconds, CPU in CPU-seconds. */
    record SyncRun(String tool, int run, boolean ok, String note, int keys, double seconds, double firstKey,
                   double apiUp, double mirrorCpu, double etcdCpu, double benchCpu, long mirrorRpcs) {
        double keysPerSecond() {
            return keys / seconds;
        }

        double cpuMsPer1000() {
            return 1e6 * mirrorCpu / keys;
        }

        double etcdCpuMsPer1000() {
            return 1e6 * etcdCpu / keys;
        }

        double rpcsPerKey() {
            return mirrorRpcs / (double) keys;
        }

        static SyncRun failed(String tool, int run, String note) {
            return new SyncRun(tool, run, false, note, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, 0);
        }
    }

    private SyncRun sync(String toolName, int run, Map<String, byte[]> values) {
        int n = values.size();
        String tag = String.format("r%d-sync-%s", run, shortName(toolName));
        out("== sync, run %d: %s, %d keys of %d bytes ==", run, toolName, n, o.valueBytes());
        EtcdGroup etcds = null;
        MirrorTool tool = null;
        ApiWatch api = null;
        long[] window = new long[2];
        try {
            etcds = EtcdGroup.start(workDir, tag, 2);
            Client src = etcds.client(0);
            Client dst = etcds.client(1);
            long t = System.nanoTime();
            PrefixData.preload(src, values.entrySet().iterator(), 8);
            long loaded = Kv.count(src, PREFIX);
            out("preload:   %d keys into the source with Txns of %d puts, 8 in flight, in %.2f s", loaded,
                    PrefixData.TXN_PUTS, secs(System.nanoTime() - t));
            if (loaded != n) {
                throw new IllegalStateException("source holds " + loaded + " keys after the preload, expected " + n);
            }
            Map<String, Long> pids = etcds.pids(List.of("source etcd", "destination etcd"));
            pids.put("benchmark JVM", ProcessHandle.current().pid());
            Map<String, Double> srcStats0 = EtcdStats.scrape(etcds.get(0));
            Map<String, Double> dstStats0 = EtcdStats.scrape(etcds.get(1));
            CpuMeter.Sample cpu0 = CpuMeter.sample(pids);
            tool = MirrorTool.create(toolName, PREFIX, fedsyncdOpts(tag, toolName));
            long t0 = System.nanoTime();
            window[0] = BenchClock.now();
            tool.launch(etcds.get(0), etcds.get(1), workDir.resolve(tag));
            pids.putAll(tool.pids());
            if (tool instanceof MirrorTool.Fedsyncd f) {
                api = new ApiWatch(f.daemon(), t0);
            }
            long[] quarters = new long[3];
            long firstKey = 0;
            long deadline = t0 + TimeUnit.SECONDS.toNanos(o.timeoutSeconds());
            long count;
            long polls = 0;
            long nextLog = t0 + TimeUnit.SECONDS.toNanos(5);
            while (true) {
                count = Kv.count(dst, PREFIX);
                polls++;
                long now = System.nanoTime();
                if (count >= n) {
                    break;
                }
                if (firstKey == 0 && count > 0) {
                    firstKey = now;
                }
                for (int q = 0; q < 3; q++) {
                    if (quarters[q] == 0 && count >= (long) n * (q + 1) / 4) {
                        quarters[q] = now;
                    }
                }
                String f = tool.failure();
                if (f != null) {
                    throw new IllegalStateException(toolName + " failed: " + f);
                }
                if (now > deadline) {
                    break;
                }
                if (now > nextLog) {
                    LOG.info("{}: destination holds {} / {} keys after {} s", toolName, count, n,
                            fmt(secs(now - t0)));
                    nextLog += TimeUnit.SECONDS.toNanos(5);
                }
                sleepMillis(o.pollMillis());
            }
            long t1 = System.nanoTime();
            window[1] = BenchClock.now();
            CpuMeter.Sample cpu1 = CpuMeter.sample(pids);
            Map<String, Double> srcStats1 = EtcdStats.scrape(etcds.get(0));
            Map<String, Double> dstStats1 = EtcdStats.scrape(etcds.get(1));
            if (firstKey == 0) {
                firstKey = t1;
            }
            double seconds = secs(t1 - t0);
            out("mirror:    %s", tool.describe());
            if (count < n) {
                out("result:    TIMEOUT: destination holds %d / %d keys after %.1f s", count, n, seconds);
                out("log:       %s", tool.logTail(10));
                failed = true;
                return SyncRun.failed(toolName, run, "timeout");
            }
            double apiUp = api == null ? Double.NaN : api.upSeconds();
            out("result:    destination held all %d keys %s after the launch (%s keys/s); first key at %s, 25%% at %s,"
                    + " 50%% at %s, 75%% at %s%s", n, fmtSecs(seconds), fmt(n / seconds), fmtSecs(secs(firstKey - t0)),
                    at(quarters[0], t0), at(quarters[1], t0), at(quarters[2], t0),
                    Double.isNaN(apiUp) ? "" : "; its HTTP API first answered at " + fmtSecs(apiUp));
            String check = compareUntilEqual(values, dst, t1 + TimeUnit.SECONDS.toNanos(10));
            out("values:    %s", check);
            Map<String, Double> cpu = CpuMeter.seconds(cpu0, cpu1);
            double mirrorCpu = tool.pids().keySet().stream().mapToDouble(cpu::get).sum();
            double etcdCpu = cpu.get("source etcd") + cpu.get("destination etcd");
            out("cpu:       %s", CpuMeter.describe(cpu0, cpu1));
            out("           %s: %.2f CPU-s = %s ms per 1,000 keys; etcds %.2f CPU-s = %s ms per 1,000 keys", toolName,
                    mirrorCpu, fmt(1e6 * mirrorCpu / n), etcdCpu, fmt(1e6 * etcdCpu / n));
            Map<String, Long> srcRpcs = EtcdStats.rpcs(srcStats0, srcStats1, Map.of());
            Map<String, Long> dstRpcs = EtcdStats.rpcs(dstStats0, dstStats1, Map.of("Range", polls));
            long mirrorRpcs = EtcdStats.total(srcRpcs) + EtcdStats.total(dstRpcs);
            out("rpcs:      by the mirror: source %s; destination %s (the benchmark's %d count polls left out)"
                    + " = %s RPCs per key", EtcdStats.describeRpcs(srcRpcs), EtcdStats.describeRpcs(dstRpcs), polls,
                    fmt(mirrorRpcs / (double) n));
            out("src etcd:  %s", EtcdStats.describe(srcStats0, srcStats1, seconds));
            out("dst etcd:  %s", EtcdStats.describe(dstStats0, dstStats1, seconds));
            printCounters(tool);
            boolean equal = check.startsWith("all");
            if (!equal) {
                failed = true;
            }
            return new SyncRun(toolName, run, equal, equal ? "" : "values differ", n, seconds, secs(firstKey - t0),
                    apiUp, mirrorCpu, etcdCpu, cpu.get("benchmark JVM"), mirrorRpcs);
        } catch (RuntimeException | IOException e) {
            abortIfStopping();
            LOG.error("sync with {} failed", toolName, e);
            out("result:    ERROR: %s", e);
            failed = true;
            return SyncRun.failed(toolName, run, "error: " + e.getMessage());
        } finally {
            if (api != null) {
                api.close();
            }
            stopAndProfile(tool, tag, window);
            if (etcds != null) {
                Cleanup.close(etcds);
            }
            out("");
        }
    }

    /** Compares every value; if some differ (a write still on its way), compares again until the deadline. */
    private String compareUntilEqual(Map<String, byte[]> expected, Client dst, long deadline) {
        long countedAt = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            long readAt = System.nanoTime();
            SortedMap<String, PrefixData.Entry> got = PrefixData.read(dst, PREFIX);
            int differ = 0;
            for (Map.Entry<String, byte[]> e : expected.entrySet()) {
                PrefixData.Entry g = got.get(e.getKey());
                if (g == null || !Arrays.equals(e.getValue(), g.value())) {
                    differ++;
                }
            }
            long extra = got.keySet().stream().filter(k -> !expected.containsKey(k)).count();
            if (differ == 0 && extra == 0) {
                return attempt == 1 ? String.format("all %d byte-identical to the source", expected.size())
                        : String.format("all %d byte-identical to the source in a read %.2f s after the count was"
                                + " reached (%d earlier reads differed)", expected.size(), secs(readAt - countedAt),
                                attempt - 1);
            }
            if (System.nanoTime() > deadline) {
                return String.format("MISMATCH: %d of %d differ or are missing, %d unexpected keys", differ,
                        expected.size(), extra);
            }
            sleepMillis(200);
        }
    }

    /** Polls fedsyncd's /api/v1/status from launch until it first answers, on a thread of its own. */
    private static final class ApiWatch implements AutoCloseable {
        private final Thread thread;
        private volatile long upAt;
        private final long t0;

        ApiWatch(FedsyncdLauncher daemon, long t0) {
            this.t0 = t0;
            thread = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted() && daemon.isAlive()) {
                    if (daemon.get("/api/v1/status", java.time.Duration.ofSeconds(2)).status() == 200) {
                        upAt = System.nanoTime();
                        return;
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-api-watch");
            thread.setDaemon(true);
            thread.start();
        }

        double upSeconds() {
            return upAt == 0 ? Double.NaN : secs(upAt - t0);
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }

    // ---- live -----------------------------------------------------------------------------

    /** One live run. Rates per second, times in seconds, CPU in CPU-seconds. */
    record LiveRun(String tool, int run, boolean ok, String note, long writes, double writeSeconds,
                   double putP50, double putP99, double deliveredPct, long eventsInRun, double writesDeliveredInRun,
                   double lagP50, double lagP99, double lagMax, double eventLagP99, double catchUp, long events,
                   double mirrorCpu, double etcdCpu, double writersCpu, long mirrorRpcs) {
        double writersRate() {
            return writes / writeSeconds;
        }

        double eventsPerSecond() {
            return eventsInRun / writeSeconds;
        }

        double deliveredPerSecond() {
            return writesDeliveredInRun / writeSeconds;
        }

        double cpuMsPer1000() {
            return 1e6 * mirrorCpu / writes;
        }

        double cpuMsPer1000Events() {
            return events == 0 ? Double.NaN : 1e6 * mirrorCpu / events;
        }

        double etcdCpuMsPer1000() {
            return 1e6 * etcdCpu / writes;
        }

        double rpcsPerWrite() {
            return mirrorRpcs / (double) writes;
        }

        static LiveRun failed(String tool, int run, String note) {
            double x = Double.NaN;
            return new LiveRun(tool, run, false, note, 0, x, x, x, x, 0, x, x, x, x, x, x, 0, x, x, x, 0);
        }
    }

    private LiveRun live(String toolName, int run) {
        String tag = String.format("r%d-live-%s", run, shortName(toolName));
        out("== live, run %d: %s, %d writers for %d s into the source, values of %d bytes, key pool %d ==", run,
                toolName, o.writers(), o.seconds(), o.valueBytes(), o.keys());
        EtcdGroup etcds = null;
        MirrorTool tool = null;
        LagWatcher watcher = null;
        LoadGeneratorProcess writers = null;
        long[] window = new long[2];
        try {
            etcds = EtcdGroup.start(workDir, tag, 2);
            Client srcRead = etcds.client(0);
            Client dstRead = etcds.client(1);
            watcher = new LagWatcher(etcds.client(1), PREFIX);
            tool = MirrorTool.create(toolName, PREFIX, fedsyncdOpts(tag, toolName));
            long t0 = System.nanoTime();
            tool.launch(etcds.get(0), etcds.get(1), workDir.resolve(tag));
            awaitReady(etcds.get(0), tool);
            out("mirror:    %s (up %.1f s after the launch)", tool.describe(), secs(System.nanoTime() - t0));
            writers = LoadGeneratorProcess.launch(workDir.resolve(tag), etcds.get(0).endpoint(), o.writers(),
                    o.seconds(), o.keys(), o.valueBytes());
            writers.awaitReady();
            Map<String, Long> pids = new LinkedHashMap<>();
            pids.putAll(tool.pids());
            pids.putAll(etcds.pids(List.of("source etcd", "destination etcd")));
            pids.put("benchmark JVM", ProcessHandle.current().pid());
            Map<String, Double> srcStats0 = EtcdStats.scrape(etcds.get(0));
            Map<String, Double> dstStats0 = EtcdStats.scrape(etcds.get(1));
            CpuMeter.Sample cpu0 = CpuMeter.sample(pids);
            writers.go();
            long goAt = BenchClock.now();
            window[0] = goAt;
            Thread progress = progress(toolName, watcher, goAt);
            LoadGenerator.Result w;
            try {
                w = writers.awaitDone(o.seconds() + 120L);
            } finally {
                progress.interrupt();
            }
            Cleanup.close(writers);
            long tStart = w.start();
            long tStop = w.stop();
            double writeSeconds = secs(tStop - tStart);
            SortedMap<String, PrefixData.Entry> srcFinal = PrefixData.read(srcRead, PREFIX);
            Map<String, Long> expected = new HashMap<>();
            srcFinal.forEach((k, v) -> expected.put(k, StampedValues.stampOf(v.value())));
            long[] putLatency = new long[w.writes()];
            for (int i = 0; i < w.writes(); i++) {
                putLatency[i] = w.acks()[i] - w.stamps()[i];
            }
            long[] putSorted = Stats.sorted(putLatency);
            out("writers:   %d puts in %.2f s = %s puts/s into the source (%d failed); put latency p50 %s, p99 %s;"
                    + " %d distinct keys", w.writes(), writeSeconds, fmt(w.writes() / writeSeconds), w.failed(),
                    fmtMs(Stats.percentile(putSorted, 50)), fmtMs(Stats.percentile(putSorted, 99)), srcFinal.size());
            writers.warnings().stream().limit(3).forEach(l -> out("           writers said: %s", l));

            // Catching up: every key's final value delivered to the destination.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.timeoutSeconds());
            int behind;
            long nextLog = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((behind = watcher.behind(expected)) > 0) {
                String f = tool.failure();
                if (f != null) {
                    throw new IllegalStateException(toolName + " failed: " + f);
                }
                if (watcher.error() != null) {
                    throw new IllegalStateException("the destination watch failed: " + watcher.error());
                }
                if (System.nanoTime() > deadline) {
                    break;
                }
                if (System.nanoTime() > nextLog) {
                    LOG.info("{}: {} keys not caught up yet, {} events delivered, {} s after the writers stopped",
                            toolName, behind, watcher.puts(), fmt(secs(BenchClock.now() - tStop)));
                    nextLog += TimeUnit.SECONDS.toNanos(5);
                }
                sleepMillis(20);
            }
            boolean caughtUp = behind == 0;
            long caughtUpAt = BenchClock.now();
            LagWatcher.Snapshot atCatchUp = watcher.snapshot();
            if (caughtUp) {
                caughtUpAt = Arrays.stream(atCatchUp.arrivals()).max().orElse(tStop);
            }
            CpuMeter.Sample cpu1 = CpuMeter.sample(pids);
            window[1] = BenchClock.now();
            Map<String, Double> srcStats1 = EtcdStats.scrape(etcds.get(0));
            Map<String, Double> dstStats1 = EtcdStats.scrape(etcds.get(1));
            Map<String, Long> counters = tool.counters();
            // A little longer: late duplicates would show as events after the final values.
            sleepMillis(300);
            LagWatcher.Snapshot s = watcher.snapshot();
            double catchUp = caughtUp ? Math.max(0, secs(caughtUpAt - tStop)) : Double.POSITIVE_INFINITY;

            Deliveries d = Deliveries.compute(w, s);
            long deliveredInRun = 0;
            long undelivered = 0;
            // A write that never arrived has an infinite lag: it counts in the percentiles.
            long[] writeLags = new long[w.writes()];
            for (int i = 0; i < w.writes(); i++) {
                long at = d.deliveredAt[i];
                if (at < 0) {
                    undelivered++;
                    writeLags[i] = Long.MAX_VALUE;
                    continue;
                }
                if (at <= tStop) {
                    deliveredInRun++;
                }
                writeLags[i] = at - w.stamps()[i];
            }
            long[] lagSorted = Stats.sorted(writeLags);
            long[] eventLags = new long[s.puts()];
            long eventsInRun = 0;
            for (int e = 0; e < s.puts(); e++) {
                eventLags[e] = s.arrivals()[e] - s.stamps()[e];
                if (s.arrivals()[e] <= tStop) {
                    eventsInRun++;
                }
            }
            long[] eventLagSorted = Stats.sorted(eventLags);
            double deliveredPct = w.writes() == 0 ? Double.NaN : 100.0 * deliveredInRun / w.writes();
            double lagP50 = Stats.percentileSecs(lagSorted, 50);
            double lagP99 = Stats.percentileSecs(lagSorted, 99);
            double lagMax = Stats.percentileSecs(lagSorted, 100);
            double eventLagP50 = Stats.percentileSecs(eventLagSorted, 50);
            double eventLagP99 = Stats.percentileSecs(eventLagSorted, 99);

            out("delivered: during the run %d of the %d writes (%.1f%%) had arrived on the destination (they or a newer"
                    + " value of their key) = %s writes/s; destination PUT events during the run: %d = %s/s;"
                    + " all events: %d (%.2f per write)", deliveredInRun, w.writes(), deliveredPct,
                    fmt(deliveredInRun / writeSeconds), eventsInRun, fmt(eventsInRun / writeSeconds), s.puts(),
                    s.puts() / (double) Math.max(1, w.writes()));
            out("lag:       per write, until it or a newer value of its key arrived: p50 %s, p90 %s, p99 %s, max %s%s",
                    fmtSecs(lagP50), fmtSecs(Stats.percentileSecs(lagSorted, 90)), fmtSecs(lagP99),
                    fmtSecs(lagMax), undelivered > 0 ? String.format(" (%d writes never delivered: lag 'never')", undelivered) : "");
            out("           per destination event (arrival − stamp): p50 %s, p99 %s", fmtSecs(eventLagP50),
                    fmtSecs(eventLagP99));
            if (caughtUp) {
                out("caught up: every key's final value on the destination %s after the writers stopped",
                        fmtSecs(catchUp));
            } else {
                out("caught up: NO — %d keys still behind %d s after the writers stopped", behind, o.timeoutSeconds());
                failed = true;
            }
            if (s.deletes() > 0 || s.unstamped() > 0) {
                out("unexpected: %d DELETE events and %d values without a stamp on the destination", s.deletes(),
                        s.unstamped());
            }
            SortedMap<String, PrefixData.Entry> dstFinal = PrefixData.read(dstRead, PREFIX);
            SortedMap<String, PrefixData.Entry> srcNow = PrefixData.read(srcRead, PREFIX);
            int equal = 0;
            boolean srcUnchanged = srcNow.size() == srcFinal.size();
            for (Map.Entry<String, PrefixData.Entry> e : srcNow.entrySet()) {
                PrefixData.Entry dv = dstFinal.get(e.getKey());
                if (dv != null && Arrays.equals(e.getValue().value(), dv.value())) {
                    equal++;
                }
                PrefixData.Entry before = srcFinal.get(e.getKey());
                if (before == null || !Arrays.equals(before.value(), e.getValue().value())) {
                    srcUnchanged = false;
                }
            }
            long extra = dstFinal.keySet().stream().filter(k -> !srcNow.containsKey(k)).count();
            out("final:     %d / %d keys byte-identical on both sides%s%s", equal, srcNow.size(),
                    extra > 0 ? ", " + extra + " extra keys on the destination" : "",
                    srcUnchanged ? "" : "; the SOURCE changed after the writers stopped (written back by the mirror)");
            boolean ok = caughtUp && equal == srcNow.size() && extra == 0 && srcUnchanged;
            if (!ok) {
                failed = true;
            }
            Map<String, Double> cpu = CpuMeter.seconds(cpu0, cpu1);
            double mirrorCpu = tool.pids().keySet().stream().mapToDouble(cpu::get).sum();
            double etcdCpu = cpu.get("source etcd") + cpu.get("destination etcd");
            double writersCpu = w.cpuNanos() / 1e9;
            out("cpu:       from the first write until caught up, %s; writers' JVM %.2f s while writing",
                    CpuMeter.describe(cpu0, cpu1), writersCpu);
            out("           %s: %.2f CPU-s = %s ms per 1,000 writes (%s ms per 1,000 destination events);"
                    + " etcds %s ms per 1,000 writes", toolName, mirrorCpu, fmt(1e6 * mirrorCpu / w.writes()),
                    fmt(s.puts() == 0 ? Double.NaN : 1e6 * mirrorCpu / s.puts()), fmt(1e6 * etcdCpu / w.writes()));
            Map<String, Long> srcOwn = Map.of("Put", w.attempts(), "Range", PrefixData.pages(srcFinal.size()));
            Map<String, Long> srcRpcs = EtcdStats.rpcs(srcStats0, srcStats1, srcOwn);
            Map<String, Long> dstRpcs = EtcdStats.rpcs(dstStats0, dstStats1, Map.of());
            long mirrorRpcs = EtcdStats.total(srcRpcs) + EtcdStats.total(dstRpcs);
            out("rpcs:      by the mirror: source %s; destination %s (the writers' puts and the benchmark's reads left"
                    + " out) = %s RPCs per write", EtcdStats.describeRpcs(srcRpcs), EtcdStats.describeRpcs(dstRpcs),
                    fmt(mirrorRpcs / (double) w.writes()));
            double measured = secs(cpu1.wallNanos() - cpu0.wallNanos());
            out("src etcd:  %s", EtcdStats.describe(srcStats0, srcStats1, measured));
            out("dst etcd:  %s", EtcdStats.describe(dstStats0, dstStats1, measured));
            printCounters(counters);
            timeline(w, d, s, tStart, tStop);
            String note = !caughtUp ? "not caught up" : !srcUnchanged ? "source changed" : "sides differ";
            return new LiveRun(toolName, run, ok, ok ? "" : note, w.writes(), writeSeconds,
                    Stats.percentile(putSorted, 50) / 1e9, Stats.percentile(putSorted, 99) / 1e9, deliveredPct,
                    eventsInRun, deliveredInRun, lagP50, lagP99, lagMax, eventLagP99, catchUp, s.puts(), mirrorCpu,
                    etcdCpu, writersCpu, mirrorRpcs);
        } catch (RuntimeException | InterruptedException | IOException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            abortIfStopping();
            LOG.error("live mirroring with {} failed", toolName, e);
            out("result:    ERROR: %s", e);
            failed = true;
            return LiveRun.failed(toolName, run, "error: " + e.getMessage());
        } finally {
            if (writers != null) {
                Cleanup.close(writers);
            }
            if (watcher != null) {
                watcher.close();
            }
            stopAndProfile(tool, tag, window);
            if (etcds != null) {
                Cleanup.close(etcds);
            }
            out("");
        }
    }

    /** Logs writes and arrivals every 5 s while the writers write. */
    private static Thread progress(String toolName, LagWatcher watcher, long goAt) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    Thread.sleep(5000);
                    LOG.info("{}: {} events on the destination {} s after the writers started", toolName,
                            watcher.puts(), fmt(secs(BenchClock.now() - goAt)));
                }
            } catch (InterruptedException e) {
                // done
            }
        }, "bench-progress");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Waits until the tool is up and watching: fedsync says every cluster is live, and the source
     * etcd reports a watcher (the benchmark itself watches only the destination), so the tool's
     * start-up does not count as lag.
     */
    private void awaitReady(EtcdProcess src, MirrorTool tool) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            String f = tool.failure();
            if (f != null) {
                throw new IllegalStateException(tool.name() + " failed: " + f);
            }
            if (EtcdStats.scrape(src).getOrDefault("etcd_debugging_mvcc_watcher_total", 0.0) >= 1 && tool.saysReady()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(tool.name() + " was not up and watching the source within "
                + READY_TIMEOUT_SECONDS + " s; its log: " + tool.logTail(10));
    }

    /** Per time slice from the first write: writes, destination events, lags of the writes made in it. */
    private void timeline(LoadGenerator.Result w, Deliveries d, LagWatcher.Snapshot s, long tStart, long tStop) {
        long last = tStop;
        for (long a : s.arrivals()) {
            last = Math.max(last, a);
        }
        double span = secs(last - tStart);
        int width = Math.max(1, (int) Math.ceil(Math.max(o.seconds() / 10.0, span / 30)));
        int slices = (int) Math.ceil(span / width);
        long sliceNanos = TimeUnit.SECONDS.toNanos(width);
        long[] writes = new long[slices + 1];
        long[] events = new long[slices + 1];
        List<List<Long>> lags = new ArrayList<>();
        for (int i = 0; i <= slices; i++) {
            lags.add(new ArrayList<>());
        }
        for (int i = 0; i < w.writes(); i++) {
            int k = (int) Math.min(slices, Math.max(0, (w.stamps()[i] - tStart) / sliceNanos));
            writes[k]++;
            lags.get(k).add(d.deliveredAt[i] < 0 ? Long.MAX_VALUE : d.deliveredAt[i] - w.stamps()[i]);
        }
        for (long a : s.arrivals()) {
            events[(int) Math.min(slices, Math.max(0, (a - tStart) / sliceNanos))]++;
        }
        out("timeline:  %d-s slices from the first write (writers stop at %.1f s); lags of the writes made in the slice",
                width, secs(tStop - tStart));
        out("             from    writes  dst events   lag p50    lag p99");
        for (int i = 0; i < slices; i++) {
            long[] l = lags.get(i).stream().mapToLong(Long::longValue).sorted().toArray();
            out("           %5ds  %8d  %10d  %9s  %9s", i * width, writes[i], events[i], lagText(l, 50), lagText(l, 99));
        }
    }

    private static String lagText(long[] sorted, double p) {
        if (sorted.length == 0) {
            return "-";
        }
        return fmtSecs(Stats.percentileSecs(sorted, p));
    }

    // ---- fedsyncd options, profile ----------------------------------------------------------

    private String fedsyncdOpts(String tag, String toolName) {
        String opts = o.fedsyncdJavaOpts().trim();
        // One recording file per run: only a single fedsyncd is profiled, never a group of replicas.
        if (o.profile() && toolName.equals(MirrorTool.FEDSYNC)) {
            Path jfr = workDir.resolve(tag).resolve("fedsyncd.jfr");
            opts = (opts + " -XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true").trim();
        }
        return opts;
    }

    /** Stops the tool; with --profile, prints the hot methods of fedsyncd within {@code window} (from, to). */
    private void stopAndProfile(MirrorTool tool, String tag, long[] window) {
        if (tool == null) {
            return;
        }
        try {
            tool.close();
        } catch (RuntimeException e) {
            LOG.warn("stopping {} failed: {}", tool.name(), e.toString());
        }
        if (o.profile() && tool instanceof MirrorTool.Fedsyncd) {
            Path jfr = workDir.resolve(tag).resolve("fedsyncd.jfr");
            if (!Files.exists(jfr)) {
                out("profile:   no recording at %s (fedsyncd did not exit cleanly?)", jfr);
                return;
            }
            out("profile:   %s (%s; all of it: jfr print --events jdk.ExecutionSample %s)", jfr,
                    tag.contains("-live-") ? "samples from the first write until caught up"
                            : "samples from the launch until the destination held every key", jfr.getFileName());
            for (String line : JfrReport.report(jfr, 20, window[0], window[1])) {
                out("           %s", line);
            }
        }
    }

    // ---- summary --------------------------------------------------------------------------

    private record Row<R>(String label, ToDoubleFunction<R> value, boolean seconds) {
    }

    private void summary() {
        out("== summary: %s; medians%s ==",
                o.repeat() == 1 ? "one run per tool" : o.repeat() + " runs per tool, the tools interleaved",
                tools.size() > 1 ? "; " + ratioLabel() + " = ratio of the medians" : "");
        if (o.sync()) {
            out("%s", columns(String.format(Locale.ROOT, "sync of %d keys (from launch)", o.keys())));
            List<Row<SyncRun>> rows = List.of(
                    new Row<>("time to all keys", SyncRun::seconds, true),
                    new Row<>("keys/s", SyncRun::keysPerSecond, false),
                    new Row<>("first key on destination", SyncRun::firstKey, true),
                    new Row<>("mirror CPU-s", SyncRun::mirrorCpu, false),
                    new Row<>("mirror CPU ms / 1,000 keys", SyncRun::cpuMsPer1000, false),
                    new Row<>("etcds' CPU ms / 1,000 keys", SyncRun::etcdCpuMsPer1000, false),
                    new Row<>("mirror RPCs / key", SyncRun::rpcsPerKey, false));
            table(rows, syncRuns, SyncRun::ok);
        }
        if (o.live()) {
            out("%s", columns(String.format(Locale.ROOT, "live, %d writers for %d s", o.writers(), o.seconds())));
            List<Row<LiveRun>> rows = List.of(
                    new Row<>("writers' rate, puts/s", LiveRun::writersRate, false),
                    new Row<>("writers' put p99", LiveRun::putP99, true),
                    new Row<>("delivered during run, %", LiveRun::deliveredPct, false),
                    new Row<>("writes delivered/s in run", LiveRun::deliveredPerSecond, false),
                    new Row<>("dst events/s in run", LiveRun::eventsPerSecond, false),
                    new Row<>("lag p50 (per write)", LiveRun::lagP50, true),
                    new Row<>("lag p99 (per write)", LiveRun::lagP99, true),
                    new Row<>("lag p99 (per dst event)", LiveRun::eventLagP99, true),
                    new Row<>("catch-up after writers stop", LiveRun::catchUp, true),
                    new Row<>("mirror CPU-s", LiveRun::mirrorCpu, false),
                    new Row<>("mirror CPU ms / 1,000 writes", LiveRun::cpuMsPer1000, false),
                    new Row<>("mirror CPU ms / 1,000 events", LiveRun::cpuMsPer1000Events, false),
                    new Row<>("etcds' CPU ms / 1,000 writes", LiveRun::etcdCpuMsPer1000, false),
                    new Row<>("mirror RPCs / write", LiveRun::rpcsPerWrite, false));
            // Live runs count also when they failed a check (not caught up, sides different): what was
            // measured stands, and a write that never arrived has lag 'never'.
            table(rows, liveRuns, r -> r.writes() > 0);
            out("(a write is delivered when it or a newer value of its key has arrived on the destination; make-mirror"
                    + " copies every revision, fedsync may coalesce writes of a key, so compare writes, not events)");
        }
        List<String> failures = new ArrayList<>();
        syncRuns.values().forEach(l -> l.stream().filter(r -> !r.ok()).forEach(r -> failures.add(
                String.format("sync %s run %d: %s (left out of the medians)", r.tool(), r.run(), r.note()))));
        liveRuns.values().forEach(l -> l.stream().filter(r -> !r.ok()).forEach(r -> failures.add(
                String.format("live %s run %d: %s%s", r.tool(), r.run(), r.note(),
                        r.writes() > 0 ? " (its figures are in the medians)" : " (left out of the medians)"))));
        if (!failures.isEmpty()) {
            out("FAILED runs: %s", String.join("; ", failures));
        }
        out("");
        targets();
    }

    /** The header of a table: its title, then one column per tool and the ratio of the last to the first. */
    private String columns(String title) {
        StringBuilder line = new StringBuilder(String.format("%-32s", title));
        tools.forEach(t -> line.append(String.format(" %-24s", t)));
        if (tools.size() > 1) {
            line.append(' ').append(ratioLabel());
        }
        return line.toString();
    }

    private String ratioLabel() {
        return tools.get(tools.size() - 1) + "/" + tools.get(0);
    }

    private <R> void table(List<Row<R>> rows, Map<String, List<R>> runs, java.util.function.Predicate<R> ok) {
        for (Row<R> row : rows) {
            StringBuilder line = new StringBuilder(String.format("  %-30s", row.label()));
            double[] medians = new double[tools.size()];
            for (int col = 0; col < tools.size(); col++) {
                List<R> list = runs.getOrDefault(tools.get(col), List.of());
                List<Double> values = list.stream().map(r -> ok.test(r) ? row.value().applyAsDouble(r) : Double.NaN)
                        .toList();
                double m = Stats.median(values);
                medians[col] = m;
                String cell = row.seconds() ? fmtSecs(m) : fmt(m);
                if (values.size() > 1) {
                    cell += " [" + values.stream().map(v -> row.seconds() ? fmtSecs(v).replace(" s", "") : fmt(v))
                            .collect(Collectors.joining(" ")) + "]";
                }
                line.append(String.format(" %-24s", cell));
            }
            double first = medians[0];
            double last = medians[medians.length - 1];
            if (tools.size() > 1 && !Double.isNaN(first) && !Double.isNaN(last) && first != 0) {
                line.append(String.format(Locale.ROOT, " %.2f", last / first));
            }
            out("%s", line.toString().stripTrailing());
        }
    }

    private void targets() {
        if (has(MirrorTool.FEDSYNC) && has(MirrorTool.MAKE_MIRROR)) {
            againstMakeMirror();
        }
        if (has(MirrorTool.FEDSYNC) && o.live()) {
            for (String group : tools.stream().filter(t -> MirrorTool.replicasOf(t) > 0).toList()) {
                double one = liveMedian(MirrorTool.FEDSYNC, LiveRun::deliveredPerSecond);
                double many = liveMedian(group, LiveRun::deliveredPerSecond);
                double change = 100 * (many / one - 1);
                out("target (issue 12), on the medians:");
                target(String.format(Locale.ROOT, "live: %d replicas deliver within 10%% of one fedsyncd's writes/s",
                                MirrorTool.replicasOf(group)),
                        String.format(Locale.ROOT, "%s vs %s/s = %+.1f%%", fmt(many), fmt(one), change), change,
                        change >= -10, String.format(Locale.ROOT, "by %.1f points", -10 - change));
            }
        }
    }

    private void againstMakeMirror() {
        out("targets (issue 11), on the medians:");
        double fsDelivered = liveMedian(MirrorTool.FEDSYNC, LiveRun::deliveredPct);
        double fsP99 = liveMedian(MirrorTool.FEDSYNC, LiveRun::lagP99);
        double fsRate = liveMedian(MirrorTool.FEDSYNC, LiveRun::writersRate);
        double mmRate = liveMedian(MirrorTool.MAKE_MIRROR, LiveRun::writersRate);
        double fsSync = syncMedian(MirrorTool.FEDSYNC, SyncRun::seconds);
        double mmSync = syncMedian(MirrorTool.MAKE_MIRROR, SyncRun::seconds);
        if (o.live()) {
            target("live: fedsync delivers >= 95% of the writes during the run", fmt(fsDelivered) + "%", fsDelivered,
                    fsDelivered >= 95, String.format(Locale.ROOT, "by %.1f points", 95 - fsDelivered));
            target("live: fedsync p99 lag < 1 s", fmtSecs(fsP99), fsP99, fsP99 < 1,
                    Double.isInfinite(fsP99) ? "(over 1 % of the writes never arrived)"
                            : String.format(Locale.ROOT, "by %s (%.1fx the target)", fmtSecs(fsP99 - 1), fsP99));
            double change = 100 * (fsRate / mmRate - 1);
            target("live: writers' rate with fedsync within 20% of make-mirror's",
                    String.format(Locale.ROOT, "%s vs %s puts/s = %+.1f%%", fmt(fsRate), fmt(mmRate), change), change,
                    change >= -20, String.format(Locale.ROOT, "by %.1f points", -20 - change));
        }
        if (o.sync()) {
            double r = fsSync / mmSync;
            target("sync: fedsync time <= 0.25 x make-mirror's", String.format(Locale.ROOT, "%s vs %s = %.2fx",
                    fmtSecs(fsSync), fmtSecs(mmSync), r), r, r <= 0.25,
                    String.format(Locale.ROOT, "by %.1fx (needs <= %s)", r / 0.25, fmtSecs(0.25 * mmSync)));
            double c = syncMedian(MirrorTool.FEDSYNC, SyncRun::cpuMsPer1000)
                    / syncMedian(MirrorTool.MAKE_MIRROR, SyncRun::cpuMsPer1000);
            target("cost, sync: fedsync CPU per 1,000 keys <= make-mirror's", String.format(Locale.ROOT, "%s vs %s ms = %.2fx",
                    fmt(syncMedian(MirrorTool.FEDSYNC, SyncRun::cpuMsPer1000)),
                    fmt(syncMedian(MirrorTool.MAKE_MIRROR, SyncRun::cpuMsPer1000)), c), c, c <= 1,
                    String.format(Locale.ROOT, "by %.2fx", c));
        }
        if (o.live()) {
            double f = liveMedian(MirrorTool.FEDSYNC, LiveRun::cpuMsPer1000);
            double m = liveMedian(MirrorTool.MAKE_MIRROR, LiveRun::cpuMsPer1000);
            target("cost, live: fedsync CPU per 1,000 writes <= make-mirror's", String.format(Locale.ROOT,
                    "%s vs %s ms = %.2fx", fmt(f), fmt(m), f / m), f / m, f / m <= 1,
                    String.format(Locale.ROOT, "by %.2fx", f / m));
        }
    }

    private void target(String what, String value, double v, boolean met, String missedBy) {
        String verdict = Double.isNaN(v)
                ? (what.contains("make-mirror") ? "n/a (needs successful runs of both tools)"
                        : "n/a (no successful fedsync run)")
                : met ? "MET" : "MISSED " + missedBy;
        out("  %-62s %-32s %s", what, Double.isNaN(v) ? "-" : value, verdict);
    }

    private double liveMedian(String tool, ToDoubleFunction<LiveRun> f) {
        return Stats.median(liveRuns.getOrDefault(tool, List.of()).stream()
                .map(r -> r.writes() > 0 ? f.applyAsDouble(r) : Double.NaN).toList());
    }

    private double syncMedian(String tool, ToDoubleFunction<SyncRun> f) {
        return Stats.median(syncRuns.getOrDefault(tool, List.of()).stream()
                .map(r -> r.ok() ? f.applyAsDouble(r) : Double.NaN).toList());
    }

    private boolean has(String tool) {
        return tools.contains(tool);
    }


    // ---- helpers --------------------------------------------------------------------------

    /** Thrown when the JVM is being stopped: the run ends without a summary. */
    static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped() {
            super("stopped by a signal", null, false, false);
        }
    }

    static void abortIfStopping() {
        if (Cleanup.stopping()) {
            throw new Stopped();
        }
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
        return tool.equals(MirrorTool.MAKE_MIRROR) ? "mm" : tool.replace("fedsync", "fs").replace("-", "");
    }

    private static String at(long t, long t0) {
        return t == 0 ? "-" : fmtSecs(secs(t - t0));
    }

    private static String fmtMs(double nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }

    static void out(String format, Object... args) {
        System.out.println(args.length == 0 ? format : String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String javaOnPath() {
        try {
            Process p = new ProcessBuilder("java", "-version").redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readAllBytes(), UTF_8).lines().findFirst().orElse("?");
            p.waitFor(10, TimeUnit.SECONDS);
            return "java on PATH: " + first.trim();
        } catch (IOException | InterruptedException e) {
            return "java on PATH: unknown";
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
