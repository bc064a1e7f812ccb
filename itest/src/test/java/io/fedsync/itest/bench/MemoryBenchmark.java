package io.fedsync.itest.bench;

import static io.fedsync.itest.bench.MirrorBenchmark.out;
import static io.fedsync.itest.bench.Stats.fmt;
import static io.fedsync.itest.bench.Stats.fmtSecs;
import static io.fedsync.itest.bench.Stats.secs;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.Dirs;
import io.fedsync.itest.fixture.FedsyncdLauncher;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The memory benchmark of issue 9 item 5: does fedsyncd mirror 100,000 keys N-way in a 256 MiB
 * heap, and stay there under churn?
 *
 * <ol>
 * <li>Three fresh etcds (host, host2, host3); N ~1 KiB Users loaded into host (Txns of 100 puts,
 * 8 in flight).</li>
 * <li>{@code bin/fedsyncd} launched as a process with {@code FEDSYNC_JAVA_OPTS=-Xmx256m}, mirroring
 * all three; the initial sync is timed from the launch until all three hold the N keys.</li>
 * <li>For M minutes, R operations per second in total (60 % updates, 20 % creates, 20 % deletes)
 * on random keys, each on a random one of the three clusters, while fedsyncd is sampled every
 * ~10 s: heap used after a full GC ({@code jcmd GC.run}, {@code GC.heap_info}), RSS (VmRSS) and
 * whether it is alive.</li>
 * <li>Then it settles, and the three etcds must hold identical data under the prefix (count and a
 * SHA-256 over every key and value).</li>
 * </ol>
 * Exit code: 0 all well, 1 fedsyncd died or ran out of memory, 3 the initial sync timed out or the
 * clusters ended different. Run it with {@code bin/fedsync-memory}.
 */
public final class MemoryBenchmark {

    private static final Logger LOG = LoggerFactory.getLogger(MemoryBenchmark.class);
    private static final String PREFIX = MirrorBenchmark.PREFIX;
    private static final List<String> CLUSTERS = List.of("host", "host2", "host3");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Options o;
    private final List<Sample> samples = new ArrayList<>();
    private final AtomicLong maxRss = new AtomicLong(-1);
    private volatile long lastRss = -1;
    private Path workDir;
    private FedsyncdLauncher daemon;

    private MemoryBenchmark(Options o) {
        this.o = o;
    }

    /** One sample of fedsyncd: seconds since launch, phase, heap after a full GC, RSS. */
    record Sample(double at, String phase, boolean alive, long heapUsed, long heapCommitted, long rss, long ops) {
    }

    record Options(int keys, double minutes, int rate, String xmx, String javaOpts, int valueBytes, int sampleSeconds,
                   String policy, int timeoutSeconds, boolean keep) {

        static final String USAGE = String.join("\n",
                "usage: fedsync-memory [--keys N] [--minutes M] [--rate R] [--xmx SIZE] [--java-opts OPTS]",
                "                      [--value-bytes B] [--sample-seconds S] [--policy priority|lww|hold]",
                "                      [--timeout-seconds T] [--keep]",
                "",
                "Loads N users into one of three fresh etcds, launches bin/fedsyncd with -Xmx SIZE mirroring all",
                "three, times the initial sync, then writes and deletes at R ops/s for M minutes while sampling",
                "fedsyncd's heap after a full GC and its RSS; at the end the three etcds must be identical.",
                "",
                "  --keys N            users loaded into host before fedsyncd starts (100000)",
                "  --minutes M         how long the churn lasts, fractions allowed (10)",
                "  --rate R            churn operations per second over all three clusters: 60% updates,",
                "                      20% creates, 20% deletes, on random keys (200)",
                "  --xmx SIZE          fedsyncd's maximum heap, passed as -XmxSIZE in FEDSYNC_JAVA_OPTS (256m)",
                "  --java-opts OPTS    more FEDSYNC_JAVA_OPTS for fedsyncd (none)",
                "  --value-bytes B     size of every value, a KubeSphere User padded to B bytes (1024)",
                "  --sample-seconds S  how often fedsyncd's heap (after a full GC) and RSS are sampled (10)",
                "  --policy P          fedsyncd's conflictPolicy; concurrent edits of a key on two clusters are",
                "                      resolved by it (priority host, host2, host3 by default; hold leaves them",
                "                      open, so the clusters may end different)",
                "  --timeout-seconds T give up waiting for the initial sync, or for the clusters to settle, after T s (600)",
                "  --keep              keep the work dir (fedsyncd's log and config) also when all went well",
                "exit code: 0 all well; 1 fedsyncd died or ran out of memory; 3 the initial sync timed out or the",
                "clusters ended different; 2 bad options");

        static Options parse(String[] args) {
            int keys = 100_000;
            double minutes = 10;
            int rate = 200;
            String xmx = "256m";
            String javaOpts = "";
            int valueBytes = 1024;
            int sample = 10;
            String policy = "priority";
            int timeout = 600;
            boolean keep = false;
            List<String> list = new ArrayList<>();
            for (String a : args) {
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    list.add(a.substring(0, eq));
                    list.add(a.substring(eq + 1));
                } else {
                    list.add(a);
                }
            }
            for (int i = 0; i < list.size(); i++) {
                String name = list.get(i);
                switch (name) {
                    case "-h", "--help" -> throw new BenchOptions.UsageException(null);
                    case "--keep" -> keep = true;
                    case "--keys" -> keys = BenchOptions.positive(name, value(list, ++i, name));
                    case "--rate" -> rate = BenchOptions.positive(name, value(list, ++i, name));
                    case "--value-bytes" -> valueBytes = BenchOptions.positive(name, value(list, ++i, name));
                    case "--sample-seconds" -> sample = BenchOptions.positive(name, value(list, ++i, name));
                    case "--timeout-seconds" -> timeout = BenchOptions.positive(name, value(list, ++i, name));
                    case "--java-opts" -> javaOpts = value(list, ++i, name);
                    case "--xmx" -> {
                        xmx = value(list, ++i, name).replaceFirst("^-Xmx", "");
                        if (!xmx.matches("\\d+[kKmMgG]?")) {
                            throw new BenchOptions.UsageException("--xmx takes a size like 256m, not '" + xmx + "'");
                        }
                    }
                    case "--minutes" -> {
                        String v = value(list, ++i, name);
                        try {
                            minutes = Double.parseDouble(v);
                        } catch (NumberFormatException e) {
                            throw new BenchOptions.UsageException("--minutes takes a number, got '" + v + "'");
                        }
                        if (minutes < 0) {
                            throw new BenchOptions.UsageException("--minutes must not be negative");
                        }
                    }
                    case "--policy" -> {
                        policy = value(list, ++i, name).toLowerCase(Locale.ROOT);
                        if (!List.of("priority", "lww", "hold").contains(policy)) {
                            throw new BenchOptions.UsageException("--policy takes priority, lww or hold");
                        }
                    }
                    default -> throw new BenchOptions.UsageException("unknown option '" + name + "'");
                }
            }
            if (valueBytes < 600) {
                throw new BenchOptions.UsageException("--value-bytes must be at least 600");
            }
            return new Options(keys, minutes, rate, xmx, javaOpts, valueBytes, sample, policy, timeout, keep);
        }

        private static String value(List<String> list, int i, String name) {
            if (i >= list.size()) {
                throw new BenchOptions.UsageException(name + " needs a value");
            }
            return list.get(i);
        }

        String fedsyncdJavaOpts() {
            return ("-Xmx" + xmx + " " + javaOpts).trim();
        }
    }

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        Options options;
        try {
            options = Options.parse(args);
        } catch (BenchOptions.UsageException e) {
            if (e.getMessage() != null) {
                System.err.println("fedsync-memory: " + e.getMessage());
            }
            System.err.println(Options.USAGE);
            System.exit(e.getMessage() == null ? 0 : 2);
            return;
        }
        Cleanup.installHook();
        int rc;
        try {
            rc = new MemoryBenchmark(options).run(args);
        } catch (MirrorBenchmark.Stopped e) {
            System.err.println("fedsync-memory: stopped before the end");
            rc = 130;
        } catch (Exception e) {
            if (Cleanup.stopping()) {
                System.err.println("fedsync-memory: stopped before the end");
                rc = 130;
            } else {
                LOG.error("memory benchmark failed", e);
                rc = 1;
            }
        } finally {
            Cleanup.closeAll();
        }
        System.out.flush();
        System.exit(rc);
    }

    private int run(String[] args) throws IOException, InterruptedException {
        workDir = MirrorBenchmark.newWorkDir("fedsync-memory-");
        int[] rc = {1}; // until the end is reached: keep the work dir of a failed run
        Cleanup.register("work dir " + workDir, () -> {
            if (rc[0] != 0 || o.keep()) {
                System.err.println("fedsync-memory: work dir kept: " + workDir);
            } else {
                Dirs.deleteRecursively(workDir);
            }
        });
        out("fedsync memory benchmark: bin/fedsyncd mirroring three etcds, %d keys, then churn", o.keys());
        out("command:   %s", MirrorBenchmark.commandLine(args, MemoryBenchmark.class));
        out("options:   keys %d, value bytes %d, churn %s min at %d ops/s, policy %s, samples every %d s",
                o.keys(), o.valueBytes(), fmt(o.minutes()), o.rate(), o.policy(), o.sampleSeconds());
        MirrorBenchmark.machine();
        out("work dir:  %s", workDir);
        out("");

        EtcdGroup etcds = EtcdGroup.start(workDir, "mem", 3);
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(etcds.client(i));
        }
        long t = System.nanoTime();
        PrefixData.preload(clients.get(0), users(o.keys(), o.valueBytes()), 8);
        long loaded = Kv.count(clients.get(0), PREFIX);
        out("preload:   %d keys into host with Txns of %d puts, 8 in flight, in %.2f s", loaded, PrefixData.TXN_PUTS,
                secs(System.nanoTime() - t));
        if (loaded != o.keys()) {
            throw new IllegalStateException("host holds " + loaded + " keys after the preload, expected " + o.keys());
        }

        FedsyncdProcess.Builder config = FedsyncdProcess.builder(workDir.resolve("fedsyncd"))
                .prefixes(List.of(PREFIX));
        for (int i = 0; i < 3; i++) {
            config.cluster(CLUSTERS.get(i), etcds.get(i));
        }
        config.policy(o.policy(), o.policy().equals("priority") ? CLUSTERS.toArray(String[]::new) : new String[0]);
        daemon = Cleanup.register("fedsyncd", FedsyncdLauncher.launch(workDir.resolve("fedsyncd"), config,
                o.fedsyncdJavaOpts()));
        long t0 = daemon.launchedAtNanos();
        out("fedsyncd:  %s (pid %d)", daemon.describe(), daemon.pid());
        Thread rssThread = rssSampler();

        // Initial sync: from the launch until all three hold every key.
        long deadline = t0 + TimeUnit.SECONDS.toNanos(o.timeoutSeconds());
        double syncSeconds = Double.NaN;
        long nextLog = t0 + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && daemon.isAlive()) {
            long c1 = Kv.count(clients.get(1), PREFIX);
            long c2 = Kv.count(clients.get(2), PREFIX);
            if (c1 >= o.keys() && c2 >= o.keys()) {
                syncSeconds = secs(System.nanoTime() - t0);
                break;
            }
            if (System.nanoTime() > nextLog) {
                LOG.info("initial sync: host2 holds {}, host3 {} of {} keys after {} s", c1, c2, o.keys(),
                        fmt(secs(System.nanoTime() - t0)));
                nextLog += TimeUnit.SECONDS.toNanos(10);
            }
            // Not faster: a count over 100,000 keys walks etcd's whole index.
            Thread.sleep(200);
        }
        if (Double.isNaN(syncSeconds)) {
            out("initial sync: %s", daemon.isAlive() ? "TIMEOUT after " + o.timeoutSeconds() + " s"
                    : "fedsyncd DIED (exit " + daemon.exitCode().orElse(-1) + ")");
        } else {
            out("initial sync: host2 and host3 held all %d keys %s after the launch (%s keys/s per cluster);"
                    + " max RSS so far %s", o.keys(), fmtSecs(syncSeconds), fmt(o.keys() / syncSeconds),
                    mib(maxRss.get()));
        }
        out("");
        out("samples:   heap used after a full GC (jcmd GC.run + GC.heap_info), committed heap, RSS (VmRSS)");
        out("%10s  %-7s  %-6s %12s %12s %10s %9s", "t", "phase", "alive", "heap used", "committed", "RSS", "ops");
        sample("synced", 0);

        // Churn.
        Churn churn = new Churn(clients, o.keys(), o.valueBytes());
        long churnNanos = (long) (o.minutes() * 60e9);
        if (daemon.isAlive() && !Double.isNaN(syncSeconds) && churnNanos > 0) {
            churn.start(o.rate());
            long start = System.nanoTime();
            long next = start + TimeUnit.SECONDS.toNanos(o.sampleSeconds());
            while (System.nanoTime() - start < churnNanos && daemon.isAlive()) {
                long sleep = Math.min(next, start + churnNanos) - System.nanoTime();
                if (sleep > 0) {
                    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(sleep) + 1);
                }
                if (System.nanoTime() >= next) {
                    sample("churn", churn.done());
                    next += TimeUnit.SECONDS.toNanos(o.sampleSeconds());
                }
            }
            churn.stop();
            out("churn:     %s", churn.describe(secs(System.nanoTime() - start)));
        }

        // Settle: the three clusters identical.
        String identical = "not checked (fedsyncd is not running)";
        boolean same = false;
        double settled = Double.NaN;
        if (daemon.isAlive() && !Double.isNaN(syncSeconds)) {
            long stopAt = System.nanoTime();
            long settleDeadline = stopAt + TimeUnit.SECONDS.toNanos(o.timeoutSeconds());
            List<PrefixData.Digest> digests = List.of();
            while (System.nanoTime() < settleDeadline && daemon.isAlive()) {
                long c0 = Kv.count(clients.get(0), PREFIX);
                if (c0 == Kv.count(clients.get(1), PREFIX) && c0 == Kv.count(clients.get(2), PREFIX)) {
                    digests = clients.stream().map(c -> PrefixData.digest(c, PREFIX)).toList();
                    if (digests.stream().distinct().count() == 1) {
                        same = true;
                        settled = secs(System.nanoTime() - stopAt);
                        break;
                    }
                }
                Thread.sleep(2000);
            }
            if (same) {
                identical = String.format("IDENTICAL: %s on each (settled %s after the churn stopped)",
                        digests.get(0), fmtSecs(settled));
            } else {
                if (digests.isEmpty()) {
                    digests = clients.stream().map(c -> PrefixData.digest(c, PREFIX)).toList();
                }
                List<PrefixData.Digest> d = digests;
                identical = "DIFFERENT after " + o.timeoutSeconds() + " s: " + String.join("; ",
                        java.util.stream.IntStream.range(0, 3).mapToObj(i -> CLUSTERS.get(i) + " " + d.get(i)).toList());
            }
            sample("settled", churn.done());
        }
        rssThread.interrupt();

        // Verdict.
        boolean alive = daemon.isAlive();
        List<String> oom = daemon.logLinesContaining("OutOfMemoryError");
        String conflicts = conflictSummary();
        String problems = daemon.status().map(s -> s.path("problems").size() + " problems").orElse("status unavailable");
        if (alive) {
            daemon.stop(Duration.ofSeconds(30));
        }
        List<Sample> ok = samples.stream().filter(s -> s.heapUsed() >= 0).toList();
        long maxHeap = ok.stream().mapToLong(Sample::heapUsed).max().orElse(-1);
        long lastHeap = ok.isEmpty() ? -1 : ok.get(ok.size() - 1).heapUsed();
        out("");
        out("== summary ==");
        out("initial sync:        %s", Double.isNaN(syncSeconds) ? "NOT COMPLETE"
                : String.format(Locale.ROOT, "%s for %d keys to host2 and host3 (from the launch of bin/fedsyncd)",
                        fmtSecs(syncSeconds), o.keys()));
        out("heap after full GC:  max %s, last %s (-Xmx%s; %d samples)", mib(maxHeap), mib(lastHeap), o.xmx(), ok.size());
        out("RSS:                 max %s, last %s", mib(maxRss.get()), mib(lastRss));
        out("out of memory:       %s", oom.isEmpty() ? "no" : "YES: " + oom.get(0).trim());
        out("fedsyncd:            %s", alive ? "alive to the end" : "DIED (exit " + daemon.exitCode().orElse(-1)
                + "); log " + daemon.logFile() + ":\n" + daemon.logTail(15));
        out("clusters:            %s", identical);
        out("fedsyncd reported:   %s; %s", conflicts, problems);
        rc[0] = !alive || !oom.isEmpty() ? 1 : Double.isNaN(syncSeconds) || !same ? 3 : 0;
        Cleanup.close(etcds);
        return rc[0];
    }

    /** Users bench-user-000000 … as (key, value) pairs, made as they are consumed. */
    private static Iterator<Map.Entry<String, byte[]>> users(int count, int valueBytes) {
        return new Iterator<>() {
            private int i;

            @Override
            public boolean hasNext() {
                return i < count;
            }

            @Override
            public Map.Entry<String, byte[]> next() {
                if (i >= count) {
                    throw new NoSuchElementException();
                }
                String name = StampedValues.userName(i++);
                return Map.entry(KubeObjects.userKey(name),
                        KubeObjects.userPadded(name, name + "@example.com", valueBytes).getBytes(UTF_8));
            }
        };
    }

    private void sample(String phase, long ops) {
        double at = secs(System.nanoTime() - daemon.launchedAtNanos());
        boolean alive = daemon.isAlive();
        HeapProbe.Heap heap = alive ? HeapProbe.afterFullGc(daemon.pid()) : new HeapProbe.Heap(-1, -1, "gone");
        long rss = alive ? CpuMeter.rssBytes(daemon.pid()) : -1;
        if (rss > 0) {
            maxRss.accumulateAndGet(rss, Math::max);
            lastRss = rss;
        }
        if (alive && !heap.ok()) {
            LOG.warn("could not read fedsyncd's heap: {}", heap.text());
        }
        Sample s = new Sample(at, phase, alive, heap.usedBytes(), heap.committedBytes(), rss, ops);
        samples.add(s);
        out("%9.0fs  %-7s  %-6s %12s %12s %10s %9d", at, phase, alive ? "yes" : "NO", mib(s.heapUsed()),
                mib(s.heapCommitted()), mib(rss), ops);
    }

    /** VmRSS once a second for the whole run (cheap: a read of /proc), for the maximum. */
    private Thread rssSampler() {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted() && daemon.isAlive()) {
                long rss = CpuMeter.rssBytes(daemon.pid());
                if (rss > 0) {
                    maxRss.accumulateAndGet(rss, Math::max);
                    lastRss = rss;
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "memory-rss-sampler");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private String conflictSummary() {
        Map<String, Integer> byState = new TreeMap<>();
        int count = 0;
        String token = null;
        try {
            do {
                FedsyncdProcess.Response r = daemon.get("/api/v1/conflicts?limit=1000" + (token == null ? ""
                        : "&continue=" + java.net.URLEncoder.encode(token, java.nio.charset.StandardCharsets.UTF_8)),
                        Duration.ofSeconds(30));
                if (r.status() != 200) {
                    return "conflicts unavailable (" + r.status() + ")";
                }
                JsonNode page = JSON.readTree(r.body());
                JsonNode items = page.path("items");
                count += items.size();
                items.forEach(c -> byState.merge(c.path("state").asText("?"), 1, Integer::sum));
                JsonNode next = page.path("metadata").path("continue");
                token = next.isTextual() ? next.asText() : null;
            } while (token != null);
            return count + " conflict records" + (byState.isEmpty() ? ""
                    : " (" + byState.entrySet().stream().map(e -> e.getValue() + " " + e.getKey())
                    .collect(Collectors.joining(", ")) + ")");
        } catch (IOException e) {
            return "conflicts unreadable";
        }
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /**
     * Paced writes and deletes over the three clusters: every 1/R s one operation on a random
     * cluster; at most 64 in flight (when etcd falls behind, operations are skipped and counted).
     */
    private static final class Churn {
        private final List<Client> clients;
        private final int valueBytes;
        private final AtomicInteger nextKey;
        private final int initialKeys;
        private final AtomicLong updates = new AtomicLong();
        private final AtomicLong creates = new AtomicLong();
        private final AtomicLong deletes = new AtomicLong();
        private final AtomicLong failed = new AtomicLong();
        private final AtomicLong skipped = new AtomicLong();
        private final AtomicLong serial = new AtomicLong();
        private final Semaphore inFlight = new Semaphore(64);
        private Thread thread;
        private volatile boolean running;

        Churn(List<Client> clients, int keys, int valueBytes) {
            this.clients = clients;
            this.valueBytes = valueBytes;
            this.initialKeys = keys;
            this.nextKey = new AtomicInteger(keys);
        }

        void start(int rate) {
            running = true;
            long period = TimeUnit.SECONDS.toNanos(1) / rate;
            thread = new Thread(() -> {
                long next = System.nanoTime();
                while (running) {
                    next += period;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        try {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    if (!inFlight.tryAcquire()) {
                        skipped.incrementAndGet();
                        continue;
                    }
                    one().whenComplete((r, t) -> {
                        if (t != null && failed.incrementAndGet() <= 3) {
                            LOG.warn("a churn operation failed: {}", t.toString());
                        }
                        inFlight.release();
                    });
                }
            }, "memory-churn");
            thread.setDaemon(true);
            thread.start();
        }

        private CompletableFuture<?> one() {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            Client c = clients.get(rnd.nextInt(clients.size()));
            int roll = rnd.nextInt(100);
            if (roll < 20) {
                int i = nextKey.getAndIncrement();
                creates.incrementAndGet();
                return put(c, i);
            }
            int i = rnd.nextInt(nextKey.get());
            if (roll < 40) {
                deletes.incrementAndGet();
                return c.getKVClient().delete(Kv.bytes(KubeObjects.userKey(StampedValues.userName(i))));
            }
            updates.incrementAndGet();
            return put(c, i);
        }

        private CompletableFuture<?> put(Client c, int i) {
            String name = StampedValues.userName(i);
            String value = KubeObjects.userPadded(name, name + "+" + serial.incrementAndGet() + "@example.com",
                    valueBytes);
            return c.getKVClient().put(Kv.bytes(KubeObjects.userKey(name)), Kv.bytes(value));
        }

        long done() {
            return updates.get() + creates.get() + deletes.get();
        }

        /** Stops issuing and waits for what is in flight. */
        void stop() throws InterruptedException {
            running = false;
            if (thread != null) {
                thread.interrupt();
                thread.join(5000);
            }
            if (inFlight.tryAcquire(64, 30, TimeUnit.SECONDS)) {
                inFlight.release(64);
            }
        }

        String describe(double seconds) {
            return String.format(Locale.ROOT, "%d operations in %.0f s = %s/s (%d updates (puts on random keys ever used),"
                            + " %d creates, %d deletes;"
                            + " %d failed, %d skipped because 64 were in flight); keys ever used: %d (%d initial)",
                    done(), seconds, fmt(done() / seconds), updates.get(), creates.get(), deletes.get(), failed.get(),
                    skipped.get(), nextKey.get(), initialKeys);
        }
    }
}
