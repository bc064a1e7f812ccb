package io.fedsync.itest.bench;

import static io.fedsync.itest.bench.MirrorBenchmark.out;
import static io.fedsync.itest.bench.MirrorBenchmark.sleepMillis;
import static io.fedsync.itest.bench.Stats.fmt;
import static io.fedsync.itest.bench.Stats.fmtSecs;
import static io.fedsync.itest.bench.Stats.secs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.Client;
import io.fedsync.federation.FederatedKind;
import io.fedsync.federation.Profile;
import io.fedsync.itest.fixture.Dirs;
import io.fedsync.itest.fixture.FedsyncdLauncher;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.kube.KubeApiStandIn;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.Config;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesApi;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import io.kubernetes.client.util.generic.dynamic.Dynamics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The federation benchmark of issue 14, item 8: "1,000 users created on a host, 5 members: time
 * until all are on every member, and p99 from host write to member write. Target: p99 < 1 s."
 * Measured from the outside, as a user would, on every run from scratch:
 *
 * <ol>
 * <li>fresh etcd processes for {@code host}, {@code host2} and N members, and a Kubernetes API
 * stand-in ({@link KubeApiStandIn}, a test fixture) over each, <b>in this JVM</b>; every cluster
 * gets the namespaces {@code kube-system} and {@code kubesphere-system} and the ConfigMap
 * {@code kubesphere-config} (one jwtSecret everywhere, clusterRole host or member);</li>
 * <li>{@code bin/fedsyncd} (a cold JVM) mirroring host↔host2 and federating; the members joined
 * with {@code bin/fedsyncctl join NAME --kubeconfig FILE}, each a process of its own; a probe user
 * created on host must reach every member before the clock starts;</li>
 * <li>U users created on host through its API by a bounded pool of client threads in this JVM
 * (client-java's DynamicKubernetesApi), each create's start and return recorded;</li>
 * <li>etcd watches on host, host2 and every member record when each user's first PUT event is
 * received here; <b>host write time = when host's etcd watch event was received</b> (the same
 * mechanism as the member's arrival), so the latency is from host's etcd to the member's etcd.</li>
 * </ol>
 * Reported per run and as medians over {@code --repeat}: time from the first create to all users
 * on all members, latency per (user, member) p50/p90/p99/max, member writes per second, fedsyncd's
 * CPU per 1,000 member writes, PUT events per user and member (1.0 unless something is written
 * twice) and the users the mirror copied to host2.
 *
 * <p>Run it with {@code bin/fedsync-federation-bench}; it is not a test and never runs in CI.
 */
public final class FederationBenchmark {

    /** How long fedsyncd's idle CPU is measured before the creates. */
    private static final long IDLE_MILLIS = 5_000;


    static final FederatedKind USERS = Profile.KUBESPHERE_V3.kinds().get(0);
    /** Names of the measured users; anything else in the users' prefix (the probe) is counted apart. */
    static final String STEM = "bench-u-";
    private static final Logger LOG = LoggerFactory.getLogger(FederationBenchmark.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SETUP_TIMEOUT = Duration.ofSeconds(120);

    private final FederationBenchOptions o;
    private final String secret = "bench-jwt-" + UUID.randomUUID().toString().replace("-", "");
    private Path workDir;
    private boolean failed;
    private final List<Run> runs = new ArrayList<>();

    private FederationBenchmark(FederationBenchOptions o) {
        this.o = o;
    }

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        FederationBenchOptions options;
        try {
            options = FederationBenchOptions.parse(args);
        } catch (BenchOptions.UsageException e) {
            if (e.getMessage() != null) {
                System.err.println("fedsync-federation-bench: " + e.getMessage());
            }
            System.err.println(FederationBenchOptions.USAGE);
            System.exit(e.getMessage() == null ? 0 : 2);
            return;
        }
        Cleanup.installHook();
        int rc;
        try {
            rc = new FederationBenchmark(options).run(args);
        } catch (MirrorBenchmark.Stopped e) {
            System.err.println("fedsync-federation-bench: stopped before the end; no summary");
            rc = 130;
        } catch (Exception e) {
            if (Cleanup.stopping()) {
                System.err.println("fedsync-federation-bench: stopped before the end; no summary");
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
        workDir = MirrorBenchmark.newWorkDir("fedsync-fedbench-");
        Cleanup.register("work dir " + workDir, () -> {
            if (failed || o.keep() || o.profile()) {
                System.err.println("fedsync-federation-bench: work dir kept: " + workDir);
            } else {
                Dirs.deleteRecursively(workDir);
            }
        });
        header(args);
        for (int r = 1; r <= o.repeat(); r++) {
            Run run = runOnce(r);
            runs.add(run);
            if (!run.ok()) {
                failed = true;
            }
        }
        summary();
        return failed ? 1 : 0;
    }

    private void header(String[] args) {
        out("fedsync federation benchmark (issue 14, item 8): users created on a host, pushed by bin/fedsyncd to joined"
                + " members");
        out("command:   %s", MirrorBenchmark.commandLine(args, FederationBenchmark.class));
        out("options:   users %d, members %d, repeat %d, %d client threads%s, federation.resync %s%s, settle %d s%s",
                o.users(), o.members(), o.repeat(), o.clients(),
                o.rate() > 0 ? " at " + o.rate() + " creates/s" : " as fast as host's API answers", o.resync(),
                o.workers() > 0 ? ", federation.workers " + o.workers() : " (federation.workers: fedsyncd's default)",
                o.settleSeconds(),
                o.profile() ? ", fedsyncd under JFR (--profile: its figures include the recorder's cost)" : "");
        out("setup:     per run fresh etcds for host, host2, member1..member%d; a Kubernetes API stand-in (test fixture)"
                + " over each, all in the benchmark's JVM; bin/fedsyncd (cold JVM, FEDSYNC_JAVA_OPTS='%s', policy hold)"
                + " mirroring host<->host2 and federating; members joined with bin/fedsyncctl join", o.members(),
                o.fedsyncdJavaOpts());
        out("measured:  host write = host etcd watch event received; member write = member etcd watch event received"
                + " (prefix %s), both in the benchmark's JVM", USERS.registryPrefix());
        MirrorBenchmark.machine();
        out("work dir:  %s", workDir);
        out("");
    }

    // ---- one run --------------------------------------------------------------------------

    /** One run; times in seconds, CPU in CPU-seconds. */
    record Run(int run, boolean ok, String note, int users, int members, int createFailures, double createSeconds,
               double createP50, double createP99, double allOnAll, double latP50, double latP90, double latP99,
               double latMax, double latP99FromReturn, double pushesPerSecond, double fedsyncdCpu,
               double cpuMsPer1000, double cpuPerMemberEtcd, double writesPerUserMember, long usersWrittenTwice,
               int host2Users, long host2Writes, double host2P99, double joinSeconds, double probeSeconds, double apiP99,
               double afterApiP99, double afterBothP99) {

        double createsPerSecond() {
            return (users - createFailures) / createSeconds;
        }

        static Run failed(int run, String note) {
            double x = Double.NaN;
            return new Run(run, false, note, 0, 0, 0, x, x, x, x, x, x, x, x, x, x, x, x, x, x, 0, 0, 0, x, x, x, x, x, x);
        }
    }

    private static List<String> clusterNames(int members) {
        List<String> names = new ArrayList<>(List.of("host", "host2"));
        for (int i = 1; i <= members; i++) {
            names.add("member" + i);
        }
        return names;
    }

    private Run runOnce(int r) {
        String tag = "r" + r;
        Path runDir = workDir.resolve(tag);
        List<String> names = clusterNames(o.members());
        int n = o.members();
        int u = o.users();
        out("== run %d: %d users on host, %d members ==", r, u, n);
        FedsyncdLauncher daemon = null;
        long[] window = new long[2];
        try {
            long t = System.nanoTime();
            EtcdGroup etcds = EtcdGroup.start(workDir, tag, names.size());
            Map<String, Path> kubeconfigs = new LinkedHashMap<>();
            Map<String, KubeApiStandIn> apis = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                KubeApiStandIn api = Cleanup.register("API stand-in " + name + " " + tag, KubeApiStandIn.builder()
                        .name(name).etcd(etcds.get(i).clientBuilder()).build().start());
                apis.put(name, api);
                kubeconfigs.put(name, api.writeKubeconfig(runDir.resolve("kube").resolve(name + ".kubeconfig")));
                installKubeSphere(name, kubeconfigs.get(name));
            }
            out("clusters:  %d etcds, API stand-ins, kube-system + kubesphere-system/kubesphere-config in %.1f s",
                    names.size(), secs(System.nanoTime() - t));

            String prefix = USERS.registryPrefix();
            ArrivalWatch hostWatch = Cleanup.register("watch host", new ArrivalWatch("host", etcds.client(0), prefix,
                    STEM));
            ArrivalWatch host2Watch = Cleanup.register("watch host2", new ArrivalWatch("host2", etcds.client(1),
                    prefix, STEM));
            List<ArrivalWatch> memberWatches = new ArrayList<>();
            for (int i = 2; i < names.size(); i++) {
                memberWatches.add(Cleanup.register("watch " + names.get(i), new ArrivalWatch(names.get(i),
                        etcds.client(i), prefix, STEM)));
            }

            List<String> fed = new ArrayList<>(List.of("profile: kubesphere-v3", "resync: " + o.resync()));
            if (o.workers() > 0) {
                fed.add("workers: " + o.workers());
            }
            FedsyncdProcess.Builder config = FedsyncdProcess.builder(runDir.resolve("fedsyncd")).nodeId("bench")
                    .cluster("host", etcds.get(0)).cluster("host2", etcds.get(1))
                    .kubeconfig("host", kubeconfigs.get("host")).kubeconfig("host2", kubeconfigs.get("host2"))
                    .policy("hold").federation(fed.toArray(String[]::new));
            long launched = System.nanoTime();
            daemon = Cleanup.register("fedsyncd " + tag, FedsyncdLauncher.launch(runDir.resolve("fedsyncd"), config,
                    fedsyncdOpts(tag)));
            awaitFederationRunning(daemon);
            out("fedsyncd:  %s; mirroring and federating %.1f s after the launch (pid %d)", daemon.describe(),
                    secs(System.nanoTime() - launched), daemon.pid());

            long joinStart = System.nanoTime();
            List<String> joins = new ArrayList<>();
            for (int i = 2; i < names.size(); i++) {
                String m = names.get(i);
                long j = System.nanoTime();
                FedsyncdProcess.Result res = FedsyncdProcess.fedsyncctl(SETUP_TIMEOUT, "--server", daemon.url(""),
                        "join", m, "--kubeconfig", kubeconfigs.get(m).toString());
                if (res.exitCode() != 0) {
                    throw new IllegalStateException("fedsyncctl join " + m + " exited " + res.exitCode() + ": "
                            + res.stdout() + res.stderr());
                }
                joins.add(String.format(Locale.ROOT, "%s %.1f s", m, secs(System.nanoTime() - j)));
            }
            double joinSeconds = secs(System.nanoTime() - joinStart);
            out("joins:     bin/fedsyncctl join, one after the other, %.1f s in all (%s)", joinSeconds,
                    String.join(", ", joins));

            ApiClient hostClient = Config.fromConfig(kubeconfigs.get("host").toString());
            hostClient.setReadTimeout(60_000);
            DynamicKubernetesApi hostUsers = new DynamicKubernetesApi(USERS.group(), USERS.version(), USERS.plural(),
                    hostClient);
            double probeSeconds = probe(hostUsers, etcds, names, "probe-" + tag);
            out("probe:     a first user created on host was on host2 and every member %.2f s later (the clock starts"
                    + " after it)", probeSeconds);

            // What fedsyncd's host caches read: host's API watch stream (a diagnostic split of the latency).
            ApiWatch hostApiWatch = Cleanup.register("API watch host", new ApiWatch(apis.get("host").url() + "/apis/"
                    + USERS.group() + "/" + USERS.version() + "/" + USERS.plural(), STEM,
                    Long.toString(Kv.revision(etcds.client(0)))));

            // The measured part.
            List<DynamicKubernetesObject> objects = new ArrayList<>(u);
            List<String> userNames = new ArrayList<>(u);
            for (int i = 0; i < u; i++) {
                String name = String.format(Locale.ROOT, "%s%05d", STEM, i);
                userNames.add(name);
                objects.add(userObject(name));
            }
            Map<String, Long> pids = new LinkedHashMap<>();
            pids.put("fedsyncd", daemon.pid());
            pids.putAll(etcds.pids(names.stream().map(x -> x + " etcd").toList()));
            pids.put("benchmark JVM (API stand-ins, clients, watches)", ProcessHandle.current().pid());
            // fedsyncd with nothing to do (the mirror and federation idle, host caches and resyncs running):
            // what it costs between bursts, and how much of the measured CPU below is not the burst's.
            CpuMeter.Sample idle0 = CpuMeter.sample(Map.of("fedsyncd", daemon.pid()));
            sleepMillis(IDLE_MILLIS);
            double idleCpu = CpuMeter.seconds(idle0, CpuMeter.sample(Map.of("fedsyncd", daemon.pid())))
                    .getOrDefault("fedsyncd", Double.NaN);
            out("idle:      fedsyncd used %.0f ms of CPU in %.0f s with nothing to copy or push (%.1f%% of a core)",
                    1000 * idleCpu, IDLE_MILLIS / 1000.0, 100 * idleCpu / (IDLE_MILLIS / 1000.0));
            CpuMeter.Sample cpu0 = CpuMeter.sample(pids);
            Map<String, Double> hostStats0 = EtcdStats.scrape(etcds.get(0));
            Map<String, Double> host2Stats0 = EtcdStats.scrape(etcds.get(1));
            long[] starts = new long[u];
            long[] returns = new long[u];
            AtomicInteger createFailures = new AtomicInteger();
            AtomicReference<String> firstFailure = new AtomicReference<>();
            window[0] = BenchClock.now();
            ExecutorService pool = Executors.newFixedThreadPool(o.clients(), runnable -> {
                Thread th = new Thread(runnable, "bench-create");
                th.setDaemon(true);
                return th;
            });
            AtomicInteger next = new AtomicInteger();
            long createT0 = BenchClock.now();
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < o.clients(); c++) {
                futures.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < u) {
                        if (o.rate() > 0) {
                            long due = createT0 + (long) (i * 1e9 / o.rate());
                            long wait = due - BenchClock.now();
                            if (wait > 0) {
                                sleepMillis(TimeUnit.NANOSECONDS.toMillis(wait));
                            }
                        }
                        starts[i] = BenchClock.now();
                        KubernetesApiResponse<DynamicKubernetesObject> res;
                        try {
                            res = hostUsers.create(objects.get(i));
                        } catch (RuntimeException e) {
                            res = null;
                            firstFailure.compareAndSet(null, e.toString());
                        }
                        returns[i] = BenchClock.now();
                        if (res == null || !res.isSuccess()) {
                            createFailures.incrementAndGet();
                            if (res != null) {
                                firstFailure.compareAndSet(null, res.getHttpStatusCode() + " " + res.getStatus());
                            }
                        }
                    }
                }));
            }
            Thread progress = progress(memberWatches, host2Watch, u, createT0);
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            long createdAll = BenchClock.now();
            long firstStart = java.util.Arrays.stream(starts).min().orElse(createT0);
            long lastReturn = java.util.Arrays.stream(returns).max().orElse(createdAll);
            long[] createLat = new long[u];
            for (int i = 0; i < u; i++) {
                createLat[i] = returns[i] - starts[i];
            }
            long[] createSorted = Stats.sorted(createLat);
            double createSeconds = secs(lastReturn - firstStart);
            out("creates:   %d users on host in %.2f s = %s creates/s by %d client threads (%d failed%s); create"
                    + " p50 %s, p99 %s", u, createSeconds, fmt((u - createFailures.get()) / createSeconds), o.clients(),
                    createFailures.get(), firstFailure.get() == null ? "" : ", first: " + firstFailure.get(),
                    fmtMs(Stats.percentile(createSorted, 50)), fmtMs(Stats.percentile(createSorted, 99)));
            int expected = u - createFailures.get();

            // Until every user is on every member and on host2.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.timeoutSeconds());
            boolean complete;
            while (true) {
                complete = host2Watch.arrived() >= expected && memberWatches.stream().allMatch(w -> w.arrived() >= expected);
                if (complete || System.nanoTime() > deadline || !daemon.isAlive()) {
                    break;
                }
                for (ArrivalWatch w : memberWatches) {
                    if (w.error() != null) {
                        throw new IllegalStateException("the watch on " + w.label() + " failed", w.error());
                    }
                }
                MirrorBenchmark.abortIfStopping();
                sleepMillis(20);
            }
            progress.interrupt();
            window[1] = BenchClock.now();
            CpuMeter.Sample cpu1 = CpuMeter.sample(pids);
            Map<String, Double> hostStats1 = EtcdStats.scrape(etcds.get(0));
            Map<String, Double> host2Stats1 = EtcdStats.scrape(etcds.get(1));
            if (!complete) {
                out("result:    %s: host2 holds %d, members %s of %d users after %d s", daemon.isAlive() ? "TIMEOUT"
                                : "FEDSYNCD EXITED", host2Watch.arrived(),
                        memberWatches.stream().map(w -> w.label() + " " + w.arrived()).collect(Collectors.joining(", ")),
                        expected, o.timeoutSeconds());
                out("log:       %s", daemon.logTail(15).replace("\n", "\n           "));
            }
            // Keep counting: a second write of a user to a member, or a write-back, shows here.
            sleepMillis(TimeUnit.SECONDS.toMillis(o.settleSeconds()));

            // ---- figures ----
            long[] hostAt = new long[u];
            int fallbacks = 0;
            for (int i = 0; i < u; i++) {
                hostAt[i] = hostWatch.arrival(userNames.get(i));
                if (hostAt[i] == 0) {
                    hostAt[i] = returns[i];
                    fallbacks++;
                }
            }
            long[] lat = new long[u * n];
            long[] latReturn = new long[u * n];
            long lastArrival = 0;
            long missing = 0;
            long totalPuts = 0;
            long twice = 0;
            List<String> perMember = new ArrayList<>();
            for (int m = 0; m < n; m++) {
                ArrivalWatch w = memberWatches.get(m);
                long[] mine = new long[u];
                for (int i = 0; i < u; i++) {
                    long a = w.arrival(userNames.get(i));
                    long l = a == 0 ? Long.MAX_VALUE : a - hostAt[i];
                    lat[m * u + i] = l;
                    latReturn[m * u + i] = a == 0 ? Long.MAX_VALUE : a - returns[i];
                    mine[i] = l;
                    if (a == 0) {
                        missing++;
                    }
                    lastArrival = Math.max(lastArrival, a);
                }
                totalPuts += w.stemPuts();
                twice += w.keysWrittenMoreThanOnce();
                long[] s = Stats.sorted(mine);
                perMember.add(String.format(Locale.ROOT, "%s %s/%s", w.label(),
                        fmtSecs(Stats.percentileSecs(s, 50)).replace(" s", ""),
                        fmtSecs(Stats.percentileSecs(s, 99)).replace(" s", "")));
            }
            long[] latSorted = Stats.sorted(lat);
            long[] latReturnSorted = Stats.sorted(latReturn);
            long firstHost = java.util.Arrays.stream(hostAt).min().orElse(firstStart);
            long lastHost = java.util.Arrays.stream(hostAt).max().orElse(lastReturn);
            double allOnAll = complete ? secs(lastArrival - firstStart) : Double.NaN;
            double pushSpan = secs(lastArrival - firstHost);
            long pairs = (long) expected * n;
            long delivered = (long) u * n - missing;
            double pushesPerSecond = delivered / pushSpan;
            out("result:    %s users on all %d members %s after the first create (host's etcd had the last %s"
                    + " after the first create; the last member write came %s after it)", complete ? "all " + expected
                    : "NOT all", n, fmtSecs(allOnAll), fmtSecs(secs(lastHost - firstStart)),
                    fmtSecs(secs(lastArrival - lastHost)));
            double p50 = Stats.percentileSecs(latSorted, 50);
            double p90 = Stats.percentileSecs(latSorted, 90);
            double p99 = Stats.percentileSecs(latSorted, 99);
            double max = Stats.percentileSecs(latSorted, 100);
            out("latency:   host write -> member write, %d (user, member) pairs: p50 %s, p90 %s, p99 %s, max %s%s",
                    lat.length, fmtSecs(p50), fmtSecs(p90), fmtSecs(p99), fmtSecs(max),
                    missing > 0 ? " (" + missing + " never arrived)" : "");
            out("           from the create's return instead: p50 %s, p99 %s%s",
                    fmtSecs(Stats.percentileSecs(latReturnSorted, 50)),
                    fmtSecs(Stats.percentileSecs(latReturnSorted, 99)),
                    fallbacks > 0 ? "; " + fallbacks + " users had no host watch event (their create's return used)"
                            : "");
            long[] toApi = new long[u];
            long[] afterApi = new long[u * n];
            for (int i = 0; i < u; i++) {
                long seen = hostApiWatch.seen(userNames.get(i));
                toApi[i] = seen == 0 ? Long.MAX_VALUE : seen - hostAt[i];
                for (int m = 0; m < n; m++) {
                    long a = memberWatches.get(m).arrival(userNames.get(i));
                    afterApi[m * u + i] = seen == 0 || a == 0 ? Long.MAX_VALUE : a - seen;
                }
            }
            long[] toApiSorted = Stats.sorted(toApi);
            long[] afterApiSorted = Stats.sorted(afterApi);
            double apiP99 = Stats.percentileSecs(toApiSorted, 99);
            double afterApiP99 = Stats.percentileSecs(afterApiSorted, 99);
            out("           split at host's API watch stream (what fedsyncd's host caches read; a watch of the benchmark's"
                    + " own): host etcd -> host API watch p50 %s, p99 %s; host API watch -> member write p50 %s, p99 %s%s",
                    fmtSecs(Stats.percentileSecs(toApiSorted, 50)), fmtSecs(apiP99),
                    fmtSecs(Stats.percentileSecs(afterApiSorted, 50)), fmtSecs(afterApiP99),
                    hostApiWatch.error() != null ? " (the API watch failed: " + hostApiWatch.error() + ")" : "");
            out("           by quarter of the creates (in order), p50/p99: %s", quarters(lat, u, n));
            out("           by member, p50/p99: %s", String.join(", ", perMember));
            double writesPerUserMember = totalPuts / (double) pairs;
            out("pushes:    %d member writes in %s (first host write to last member write) = %s writes/s", delivered,
                    fmtSecs(pushSpan), fmt(pushesPerSecond));
            out("writes:    %s member writes per user per member (%d PUT events for %d (user, member) pairs, counted"
                    + " until %d s after the last arrival; %d (user, member) pairs written more than once%s)",
                    fmt(writesPerUserMember), totalPuts, pairs, o.settleSeconds(), twice,
                    twice > 0 ? ": DUPLICATE WRITES" : "");
            String pushed = fedsyncdPushed(daemon);
            if (pushed != null) {
                out("           fedsyncd's own count (/api/v1/clusters, pushed): %s", pushed);
            }
            String timing = fedsyncdTimings(daemon);
            if (timing != null) {
                out("           fedsyncd's own timing (/metrics, all members, the probe and joins included): %s", timing);
            }
            long[] h2 = new long[u];
            for (int i = 0; i < u; i++) {
                long a = host2Watch.arrival(userNames.get(i));
                h2[i] = a == 0 ? Long.MAX_VALUE : a - hostAt[i];
            }
            double host2P99 = Stats.percentileSecs(Stats.sorted(h2), 99);
            out("mirror:    host2 got %d of %d users from the mirror (%d PUT events; host -> host2 p50 %s, p99 %s); host"
                    + " had %d PUT events of them", host2Watch.arrived(), expected, host2Watch.stemPuts(),
                    fmtSecs(Stats.percentileSecs(Stats.sorted(h2), 50)), fmtSecs(host2P99), hostWatch.stemPuts());
            // fedsyncd pushes a user once both hosts hold it: from the later of its host and host2 etcd
            // events to each member's is the federation's own part of the latency, the mirror's left out.
            long[] afterBoth = new long[u * n];
            for (int i = 0; i < u; i++) {
                long onHost2 = host2Watch.arrival(userNames.get(i));
                for (int m = 0; m < n; m++) {
                    long a = memberWatches.get(m).arrival(userNames.get(i));
                    afterBoth[m * u + i] = onHost2 == 0 || a == 0 ? Long.MAX_VALUE : a - Math.max(hostAt[i], onHost2);
                }
            }
            long[] afterBothSorted = Stats.sorted(afterBoth);
            double afterBothP99 = Stats.percentileSecs(afterBothSorted, 99);
            out("           split at host2's etcd (both hosts hold the user: the mirror's part left out): both hosts ->"
                    + " member write p50 %s, p99 %s", fmtSecs(Stats.percentileSecs(afterBothSorted, 50)),
                    fmtSecs(afterBothP99));
            // Unary RPCs on the hosts' etcds over the same window: host's API stand-in's creates and
            // fedsyncd's mirror (its stamps on host, its copies on host2) and the rest of both.
            out("etcd:      unary RPCs from the first create to the last arrival (the API stand-ins' and fedsyncd's):"
                    + " host %s; host2 %s", EtcdStats.describeRpcs(EtcdStats.rpcs(hostStats0, hostStats1, Map.of())),
                    EtcdStats.describeRpcs(EtcdStats.rpcs(host2Stats0, host2Stats1, Map.of())));
            Map<String, Double> cpuSeconds = CpuMeter.seconds(cpu0, cpu1);
            double fedCpu = cpuSeconds.getOrDefault("fedsyncd", Double.NaN);
            double cpuMsPer1000 = 1e6 * fedCpu / Math.max(1, delivered);
            // Every member's etcd does the same work in every run (one create per user, the watches), so
            // fedsyncd's CPU over theirs hardly moves with the machine's speed, which on a shared host
            // changes from run to run more than the CPU per write does between two builds of fedsyncd.
            double memberEtcdCpu = names.subList(2, names.size()).stream()
                    .mapToDouble(m -> cpuSeconds.getOrDefault(m + " etcd", Double.NaN)).average().orElse(Double.NaN);
            double cpuPerMemberEtcd = fedCpu / memberEtcdCpu;
            out("cpu:       %s", CpuMeter.describe(cpu0, cpu1));
            out("           fedsyncd %.2f CPU-s from the first create to the last arrival = %s ms per 1,000 member writes;"
                    + " %.2f times a member etcd's CPU (the same work in every run: compare builds by this, it"
                    + " varies less with the machine's speed)", fedCpu, fmt(cpuMsPer1000), cpuPerMemberEtcd);
            stopAndProfile(daemon, tag, window);
            daemon = null;
            out("");
            boolean ok = complete && twice == 0 && createFailures.get() == 0;
            String note = !complete ? "not every user reached every member" : twice > 0 ? "duplicate member writes"
                    : createFailures.get() > 0 ? createFailures.get() + " creates failed" : "";
            return new Run(r, ok, note, u, n, createFailures.get(), createSeconds,
                    Stats.percentileSecs(createSorted, 50), Stats.percentileSecs(createSorted, 99), allOnAll, p50, p90,
                    p99, max, Stats.percentileSecs(latReturnSorted, 99), pushesPerSecond, fedCpu, cpuMsPer1000,
                    cpuPerMemberEtcd, writesPerUserMember, twice, host2Watch.arrived(), host2Watch.stemPuts(), host2P99, joinSeconds,
                    probeSeconds, apiP99, afterApiP99, afterBothP99);
        } catch (MirrorBenchmark.Stopped e) {
            throw e;
        } catch (Exception e) {
            if (Cleanup.stopping()) {
                throw new MirrorBenchmark.Stopped();
            }
            LOG.error("run {} failed", r, e);
            out("result:    FAILED: %s", e);
            if (daemon != null) {
                out("log:       %s", daemon.logTail(15).replace("\n", "\n           "));
            }
            out("");
            return Run.failed(r, e.toString());
        } finally {
            if (daemon != null) {
                Cleanup.close(daemon);
            }
            // Everything of this run, newest first (watches, fedsyncd, stand-ins, etcds); the work dir stays.
            closeRun();
        }
    }

    /** Closes everything registered after the work dir (all of one run). */
    private static void closeRun() {
        Cleanup.closeAllBut(1);
    }

    private static String quarters(long[] lat, int u, int n) {
        List<String> parts = new ArrayList<>();
        for (int q = 0; q < 4; q++) {
            int from = u * q / 4;
            int to = u * (q + 1) / 4;
            long[] part = new long[(to - from) * n];
            int k = 0;
            for (int m = 0; m < n; m++) {
                for (int i = from; i < to; i++) {
                    part[k++] = lat[m * u + i];
                }
            }
            long[] s = Stats.sorted(part);
            parts.add(String.format(Locale.ROOT, "q%d %s/%s", q + 1, fmtSecs(Stats.percentileSecs(s, 50)).replace(" s", ""),
                    fmtSecs(Stats.percentileSecs(s, 99))));
        }
        return String.join(", ", parts);
    }

    private Thread progress(List<ArrivalWatch> members, ArrivalWatch host2, int u, long t0) {
        Thread th = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(5000);
                } catch (InterruptedException e) {
                    return;
                }
                LOG.info("{} s: host2 {} / {}, members {}", fmt(secs(BenchClock.now() - t0)), host2.arrived(), u,
                        members.stream().map(w -> Integer.toString(w.arrived())).collect(Collectors.joining(" ")));
            }
        }, "bench-progress");
        th.setDaemon(true);
        th.start();
        return th;
    }

    // ---- setup ----------------------------------------------------------------------------

    /** kube-system and kubesphere-system, and kubesphere-config with the jwtSecret and the role. */
    private void installKubeSphere(String cluster, Path kubeconfig) {
        io.fedsync.itest.kube.KubeSphereInstall.install(kubeconfig, cluster.startsWith("host") ? "host" : "member", secret);
    }

    /** Waits until fedsyncd says both hosts are live and the federation runs. */
    private static void awaitFederationRunning(FedsyncdLauncher daemon) {
        long deadline = System.nanoTime() + SETUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!daemon.isAlive()) {
                throw new IllegalStateException("fedsyncd exited with " + daemon.exitCode().orElse(-1) + ":\n"
                        + daemon.logTail(20));
            }
            if (daemon.allClustersLive()) {
                FedsyncdProcess.Response r = daemon.get("/api/v1/clusters", Duration.ofSeconds(5));
                if (r.status() == 200 && r.json().path("federation").path("running").asBoolean(false)) {
                    return;
                }
            }
            MirrorBenchmark.abortIfStopping();
            sleepMillis(50);
        }
        throw new IllegalStateException("fedsyncd did not mirror and federate within " + SETUP_TIMEOUT + ":\n"
                + daemon.logTail(20));
    }

    /** Creates one user on host and waits until host2 and every member hold it; seconds. */
    private static double probe(DynamicKubernetesApi hostUsers, EtcdGroup etcds, List<String> names, String name) {
        long t = System.nanoTime();
        KubernetesApiResponse<DynamicKubernetesObject> res = hostUsers.create(userObject(name));
        if (!res.isSuccess()) {
            throw new IllegalStateException("creating the probe user failed: " + res.getStatus());
        }
        List<Client> clients = new ArrayList<>();
        for (int i = 1; i < names.size(); i++) {
            clients.add(etcds.client(i));
        }
        String key = USERS.registryPrefix() + name;
        long deadline = t + SETUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (clients.stream().allMatch(c -> Kv.get(c, key).isPresent())) {
                return secs(System.nanoTime() - t);
            }
            MirrorBenchmark.abortIfStopping();
            sleepMillis(20);
        }
        throw new IllegalStateException("the probe user did not reach host2 and every member within " + SETUP_TIMEOUT);
    }

    /** A user as a KubeSphere console sends it: what the API server sets (uid, times, ...) left out. */
    static DynamicKubernetesObject userObject(String name) {
        try {
            ObjectNode user = (ObjectNode) JSON.readTree(KubeObjects.user(name, name + "@example.com"));
            ObjectNode meta = (ObjectNode) user.path("metadata");
            List.of("uid", "creationTimestamp", "managedFields", "generation", "resourceVersion").forEach(meta::remove);
            return Dynamics.newFromJson(user.toString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "member1 creates 1001 updates 0, ..." from /api/v1/clusters, or null. */
    private static String fedsyncdPushed(FedsyncdLauncher daemon) {
        FedsyncdProcess.Response r = daemon.get("/api/v1/clusters", Duration.ofSeconds(5));
        if (r.status() != 200) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        for (JsonNode item : r.json().path("items")) {
            if (item.path("role").asText().equals("member")) {
                JsonNode p = item.path("pushed");
                parts.add(String.format(Locale.ROOT, "%s creates %d updates %d deletes %d drifts %d holds %d",
                        item.path("name").asText(), p.path("creates").asLong(), p.path("updates").asLong(),
                        p.path("deletes").asLong(), p.path("drifts").asLong(), p.path("holds").asLong()));
            }
        }
        return String.join(", ", parts) + " (the probe user included; a hold = a decision put off because the hosts"
                + " did not agree yet, e.g. the mirror had not copied the user to host2)";
    }

    /**
     * From fedsyncd's histograms on /metrics, summed over the members: the waits for a worker and the
     * members' answers to creates (count, mean, and the bucket bound the 99th percentile is under); null
     * when /metrics does not answer.
     */
    private static String fedsyncdTimings(FedsyncdLauncher daemon) {
        FedsyncdProcess.Response r = daemon.get("/metrics", Duration.ofSeconds(5));
        if (r.status() != 200) {
            return null;
        }
        return "wait for a worker " + histogram(r.body(), "fedsync_federation_queue_wait_seconds", "")
                + "; members' answers to creates " + histogram(r.body(), "fedsync_federation_member_write_seconds",
                "op=\"create\"") + " (failed creates: " + (long) sumOf(r.body(),
                "fedsync_federation_member_write_seconds_count", "op=\"create\",outcome=\"failed\"") + ")";
    }

    /**
     * "N, mean X s, p99 <= B s" of a histogram's series whose labels contain {@code having} ("" = all);
     * of a member write's histogram only the answered writes (outcome ok).
     */
    private static String histogram(String text, String name, String having) {
        String okOnly = name.endsWith("queue_wait_seconds") ? having
                : having + (having.isEmpty() ? "" : ",") + "outcome=\"ok\"";
        double count = sumOf(text, name + "_count", okOnly);
        double sum = sumOf(text, name + "_sum", okOnly);
        java.util.TreeMap<Double, Double> buckets = new java.util.TreeMap<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + name + "_bucket\\{([^}]*)} (\\S+)$")
                .matcher(text);
        while (m.find()) {
            String labels = m.group(1);
            if (!hasAll(labels, okOnly)) {
                continue;
            }
            java.util.regex.Matcher le = java.util.regex.Pattern.compile("le=\"([^\"]+)\"").matcher(labels);
            if (le.find()) {
                double bound = le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1));
                buckets.merge(bound, Double.parseDouble(m.group(2)), Double::sum);
            }
        }
        String p99 = "-";
        for (Map.Entry<Double, Double> b : buckets.entrySet()) {
            if (count > 0 && b.getValue() >= 0.99 * count) {
                p99 = b.getKey().isInfinite() ? "> 15 s" : "<= " + fmt(b.getKey()) + " s";
                break;
            }
        }
        return String.format(Locale.ROOT, "%d, mean %s s, p99 %s", (long) count, count == 0 ? "-" : fmt(sum / count), p99);
    }

    /** The sum of a metric's samples whose labels contain every comma-separated {@code label="value"} of {@code having}. */
    private static double sumOf(String text, String metric, String having) {
        double total = 0;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + metric + "\\{([^}]*)} (\\S+)$")
                .matcher(text);
        while (m.find()) {
            if (hasAll(m.group(1), having)) {
                total += Double.parseDouble(m.group(2));
            }
        }
        return total;
    }

    private static boolean hasAll(String labels, String having) {
        if (having.isEmpty()) {
            return true;
        }
        for (String want : having.split(",")) {
            if (!labels.contains(want)) {
                return false;
            }
        }
        return true;
    }

    // ---- profile --------------------------------------------------------------------------

    private String fedsyncdOpts(String tag) {
        String opts = o.fedsyncdJavaOpts();
        if (o.profile()) {
            Path jfr = workDir.resolve(tag).resolve("fedsyncd.jfr");
            opts = (opts + " -XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true").trim();
        }
        return opts;
    }

    private void stopAndProfile(FedsyncdLauncher daemon, String tag, long[] window) {
        Cleanup.close(daemon);
        if (!o.profile()) {
            return;
        }
        Path jfr = workDir.resolve(tag).resolve("fedsyncd.jfr");
        if (!Files.exists(jfr)) {
            out("profile:   no recording at %s (fedsyncd did not exit cleanly?)", jfr);
            return;
        }
        out("profile:   %s (samples from the first create to the last arrival; all of it: jfr print --events"
                + " jdk.ExecutionSample %s)", jfr, jfr.getFileName());
        for (String line : JfrReport.report(jfr, 20, window[0], window[1])) {
            out("           %s", line);
        }
    }

    // ---- summary --------------------------------------------------------------------------

    private record Row(String label, ToDoubleFunction<Run> value, boolean seconds) {
    }

    private void summary() {
        out("== summary: %s ==", o.repeat() == 1 ? "one run" : "medians of " + o.repeat() + " runs [each run]");
        List<Row> rows = List.of(
                new Row("creates/s on host (client threads)", Run::createsPerSecond, false),
                new Row("create p99 (host API)", Run::createP99, true),
                new Row("first create -> all on all members", Run::allOnAll, true),
                new Row("latency p50 (host -> member write)", Run::latP50, true),
                new Row("latency p90", Run::latP90, true),
                new Row("latency p99", Run::latP99, true),
                new Row("latency max", Run::latMax, true),
                new Row("latency p99 from create's return", Run::latP99FromReturn, true),
                new Row("split: host etcd -> host API watch p99", Run::apiP99, true),
                new Row("split: host API watch -> member p99", Run::afterApiP99, true),
                new Row("split: both hosts hold it -> member p99", Run::afterBothP99, true),
                new Row("member writes/s", Run::pushesPerSecond, false),
                new Row("fedsyncd CPU-s", Run::fedsyncdCpu, false),
                new Row("fedsyncd CPU ms / 1,000 member writes", Run::cpuMsPer1000, false),
                new Row("fedsyncd CPU / a member etcd's CPU", Run::cpuPerMemberEtcd, false),
                new Row("member writes per user per member", Run::writesPerUserMember, false),
                new Row("(user, member) written twice", r -> r.usersWrittenTwice(), false),
                new Row("users on host2 (mirror)", r -> r.host2Users(), false),
                new Row("host -> host2 p99 (mirror)", Run::host2P99, true),
                new Row("joins (fedsyncctl, all members)", Run::joinSeconds, true),
                new Row("probe user on all after joins", Run::probeSeconds, true));
        for (Row row : rows) {
            List<Double> values = runs.stream().map(r -> r.ok() || r.users() > 0 ? row.value().applyAsDouble(r)
                    : Double.NaN).toList();
            double m = Stats.median(values);
            String cell = row.seconds() ? fmtSecs(m) : fmt(m);
            if (values.size() > 1) {
                cell += " [" + values.stream().map(v -> row.seconds() ? fmtSecs(v).replace(" s", "") : fmt(v))
                        .collect(Collectors.joining(" ")) + "]";
            }
            out("  %-40s %s", row.label(), cell);
        }
        List<String> failures = runs.stream().filter(r -> !r.ok()).map(r -> "run " + r.run() + ": " + r.note()).toList();
        if (!failures.isEmpty()) {
            out("FAILED runs: %s", String.join("; ", failures));
        }
        double p99 = Stats.median(runs.stream().map(r -> r.users() > 0 ? r.latP99() : Double.NaN).toList());
        out("target (issue 14, item 8), on the median: p99 host write -> member write < 1 s: %s -> %s", fmtSecs(p99),
                Double.isNaN(p99) ? "n/a (no run measured)" : p99 < 1 ? "MET"
                        : String.format(Locale.ROOT, "MISSED by %s (%.1fx the target)", fmtSecs(p99 - 1), p99));
    }

    private static String fmtMs(double nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
}
