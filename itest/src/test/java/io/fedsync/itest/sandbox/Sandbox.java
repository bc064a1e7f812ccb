package io.fedsync.itest.sandbox;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.Dirs;
import io.fedsync.itest.fixture.EtcdProcess;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Samples;
import io.fedsync.itest.fixture.WatchRecorder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import org.awaitility.core.ConditionTimeoutException;

/**
 * {@code bin/fedsync-sandbox}: two real etcd processes, {@code host} and {@code host2}, a real
 * fedsyncd process mirroring them, and scenarios S1 and S2 of SCENARIOS.md played against them.
 * Every PASS/FAIL line is computed from what etcd and fedsyncd's HTTP API answered.
 */
public final class Sandbox {

    static final String USAGE = String.join("\n",
            "usage: fedsync-sandbox [--keep]",
            "  Starts etcd 'host' and 'host2' and fedsyncd on loopback, plays scenarios S1 and S2, prints what",
            "  happened. Exit code 0 when every check passed, 1 otherwise, 2 on bad usage.",
            "  --keep   leave etcd and fedsyncd running at the end and print how to reach and stop them");

    static final String KEY = "/registry/iam.kubesphere.io/users/xxp";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration QUIET = Duration.ofSeconds(3);

    private final PrintStream out;
    private final boolean keep;
    private final List<String> failures = new ArrayList<>();
    private int passed;

    private Sandbox(PrintStream out, boolean keep) {
        this.out = out;
        this.keep = keep;
    }

    public static void main(String[] args) {
        // gRPC logs through java.util.logging; route it to the same quiet logback config.
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
        System.exit(run(args, System.out));
    }

    /** The whole sandbox; returns the exit code (0 all passed, 1 a check failed, 2 bad usage). */
    public static int run(String[] args, PrintStream out) {
        boolean keep = false;
        for (String a : args) {
            switch (a) {
                case "--keep" -> keep = true;
                case "-h", "--help" -> {
                    out.println(USAGE);
                    return 0;
                }
                default -> {
                    out.println("fedsync-sandbox: unknown option " + a);
                    out.println(USAGE);
                    return 2;
                }
            }
        }
        try {
            return new Sandbox(out, keep).play();
        } catch (RuntimeException e) {
            out.println("FAIL the sandbox could not run: " + e.getMessage());
            return 1;
        }
    }

    private int play() {
        Path dir = createWorkDir();
        EtcdProcess host = EtcdProcess.builder("host").workDir(dir.resolve("etcd")).build();
        EtcdProcess host2 = EtcdProcess.builder("host2").workDir(dir.resolve("etcd")).build();
        FedsyncdProcess fedsyncd = null;
        boolean stopAll = true;
        try {
            step("setup", "starting etcd 'host' and 'host2' (%s)", "/usr/bin/etcd");
            host.start();
            host2.start();
            step("setup", "host  = %s (data %s)", host.endpoint(), host.dataDir());
            step("setup", "host2 = %s (data %s)", host2.endpoint(), host2.dataDir());
            fedsyncd = FedsyncdProcess.builder(dir.resolve("fedsyncd")).cluster("host", host).cluster("host2", host2)
                    .policy("hold").build();
            step("setup", "starting fedsyncd: %s", FedsyncdProcess.jar());
            step("setup", "config %s, log %s, API %s", fedsyncd.configFile(), fedsyncd.logFile(), fedsyncd.url("/"));
            fedsyncd.start().awaitHealthy(WAIT);
            FedsyncdProcess d = fedsyncd;
            check("setup", "fedsyncd sees both clusters live", () -> "live".equals(d.clusterState("host"))
                    && "live".equals(d.clusterState("host2")), () -> d.status().path("clusters").toString());
            try (Client c1 = host.newClient(); Client c2 = host2.newClient()) {
                s1(d, c1, c2);
                s2(d, c1, c2);
            }
            printStatus(d);
            out.println();
            out.printf("%d passed, %d failed%n", passed, failures.size());
            failures.forEach(f -> out.println("  failed: " + f));
            if (keep) {
                stopAll = false;
                out.println();
                out.println("left running (--keep):");
                out.printf("  curl -s %s | python3 -m json.tool%n", d.url("/api/v1/status"));
                out.printf("  curl -s %s | python3 -m json.tool%n", d.url("/api/v1/conflicts"));
                out.printf("  ETCDCTL_API=3 etcdctl --endpoints=%s get --prefix /registry/iam.kubesphere.io/%n",
                        host.endpoint());
                out.printf("  stop: kill %d %d %d; rm -rf %s%n", d.pid(), host.pid(), host2.pid(), dir);
            }
            return failures.isEmpty() ? 0 : 1;
        } finally {
            if (stopAll) {
                if (fedsyncd != null) {
                    fedsyncd.stop();
                }
                host.stop();
                host2.stop();
                if (failures.isEmpty()) {
                    try {
                        Dirs.deleteRecursively(dir);
                    } catch (java.io.UncheckedIOException e) {
                        out.println("could not remove " + dir + ": " + e.getCause().getMessage());
                    }
                } else {
                    out.println("logs kept in " + dir + " (fedsyncd/fedsyncd.log, etcd/*/etcd.log)");
                }
            }
        }
    }

    /** S1: the same user created on both hosts (different uid, timestamps) converges without a write. */
    private void s1(FedsyncdProcess d, Client host, Client host2) {
        String onHost = Samples.read("user-xxp-created-on-host.json");
        String onHost2 = Samples.read("user-xxp-created-on-host2.json");
        out.println();
        step("S1", "kubectl create of user xxp on both hosts: the real stored bytes, different uid and timestamps");
        try (WatchRecorder w1 = WatchRecorder.open(host, KEY); WatchRecorder w2 = WatchRecorder.open(host2, KEY)) {
            Kv.put(host, KEY, onHost);
            Kv.put(host2, KEY, onHost2);
            check("S1", "fedsync reports the key converged (same object, server-set fields differ)",
                    () -> conflictState(d, KEY).filter("converged"::equals).isPresent(), () -> conflicts(d));
            quiet("S1", "no write after the two creates (no ping-pong): watch events host=%d host2=%d",
                    () -> w1.count() == 1 && w2.count() == 1, () -> new int[] {w1.count(), w2.count()});
            check("S1", "each host keeps its own bytes", () -> Kv.get(host, KEY).equals(Optional.of(onHost))
                    && Kv.get(host2, KEY).equals(Optional.of(onHost2)), () -> "values differ from what was written");
        }
        String edited = Samples.read("user-xxp-edited-on-host.json");
        step("S1", "kubectl patch on host: spec.email xxp@163.com -> xxp-2@163.com");
        try (WatchRecorder w1 = WatchRecorder.open(host, KEY); WatchRecorder w2 = WatchRecorder.open(host2, KEY)) {
            Kv.put(host, KEY, edited);
            check("S1", "the edit arrives on host2 byte for byte", () -> Kv.get(host2, KEY).equals(Optional.of(edited)),
                    () -> Kv.get(host2, KEY).orElse("(absent)"));
            quiet("S1", "host2 written exactly once, nothing came back to host: watch events host=%d host2=%d",
                    () -> w1.count() == 1 && w2.count() == 1, () -> new int[] {w1.count(), w2.count()});
        }
    }

    /** S2: fedsyncd is down while both hosts edit the same user: a held conflict, nothing overwritten. */
    private void s2(FedsyncdProcess d, Client host, Client host2) {
        String base = Samples.read("user-xxp-edited-on-host.json");
        String emailHost = base.replace("xxp-2@163.com", "xxp-host@163.com");
        String emailHost2 = base.replace("xxp-2@163.com", "xxp-host2@163.com");
        out.println();
        int exit = d.stop();
        step("S2", "stopped fedsyncd with SIGTERM (exit code %d%s)", exit, exit == 143 ? ": the JVM's code for SIGTERM" : "");
        step("S2", "while it is down: email on host -> xxp-host@163.com, on host2 -> xxp-host2@163.com");
        Kv.put(host, KEY, emailHost);
        Kv.put(host2, KEY, emailHost2);
        long before = d.pid();
        step("S2", "starting fedsyncd again (it resumes from its cursors in %s)", d.baseDir().resolve("data"));
        d.start().awaitHealthy(WAIT);
        check("S2", "fedsyncd restarted (pid " + before + " -> " + d.pid() + ") and resumed from its cursor",
                () -> d.logText().contains("resuming from cursor"), () -> "no 'resuming from cursor' in " + d.logFile());
        try (WatchRecorder w1 = WatchRecorder.open(host, KEY); WatchRecorder w2 = WatchRecorder.open(host2, KEY)) {
            check("S2", "one open concurrent-update conflict between host and host2", () -> {
                List<JsonNode> open = d.conflicts("state=open&key=" + KEY);
                return open.size() == 1 && open.get(0).path("type").asText().equals("concurrent-update")
                        && open.get(0).path("clusters").toString().equals("[\"host\",\"host2\"]");
            }, () -> conflicts(d));
            quiet("S2", "nothing written while the conflict is held: watch events host=%d host2=%d",
                    () -> w1.count() == 0 && w2.count() == 0, () -> new int[] {w1.count(), w2.count()});
        }
        check("S2", "both edits kept: host has xxp-host@163.com, host2 has xxp-host2@163.com",
                () -> Kv.get(host, KEY).equals(Optional.of(emailHost)) && Kv.get(host2, KEY).equals(Optional.of(emailHost2)),
                () -> "host " + email(Kv.get(host, KEY)) + ", host2 " + email(Kv.get(host2, KEY)));
        for (JsonNode c : d.conflicts("key=" + KEY)) {
            step("S2", "conflict %s: %s %s on %s, detected %s", c.path("id").asText(), c.path("type").asText(),
                    c.path("state").asText(), c.path("clusters"), c.path("detectedAt").asText());
        }
        step("S2", "the key stays as it is on each host until an operator picks a winner (see README)");
    }

    private void printStatus(FedsyncdProcess d) {
        out.println();
        JsonNode s = d.status();
        step("status", "GET /api/v1/status: term %s, policy %s", s.path("term"), s.path("policy").asText());
        for (JsonNode c : s.path("clusters")) {
            step("status", "cluster %-6s %-5s revision %s", c.path("name").asText(), c.path("state").asText(),
                    c.path("revision"));
        }
        for (JsonNode p : s.path("pairs")) {
            step("status", "pair %s -> %s: cursorRevision %s, lagRevisions %s, lagMillis %s", p.path("from").asText(),
                    p.path("to").asText(), p.path("cursorRevision"), p.path("lagRevisions"), p.path("lagMillis"));
        }
    }

    // ---- checks ---------------------------------------------------------------------------

    private void check(String scenario, String what, Callable<Boolean> condition, Callable<Object> observed) {
        boolean ok;
        try {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(condition);
            ok = true;
        } catch (ConditionTimeoutException e) {
            ok = false;
        }
        report(scenario, what, ok, observed);
    }

    /** Holds for the whole quiet window: nothing happened, rather than nothing yet. */
    private void quiet(String scenario, String format, BooleanSupplier condition, Callable<int[]> counts) {
        boolean ok;
        try {
            await().during(QUIET).atMost(QUIET.plus(WAIT)).until(condition::getAsBoolean);
            ok = true;
        } catch (ConditionTimeoutException e) {
            ok = false;
        }
        int[] n;
        try {
            n = counts.call();
        } catch (Exception e) {
            n = new int[] {-1, -1};
        }
        report(scenario, String.format(format, n[0], n[1]), ok, () -> "counts changed during the " + QUIET.toSeconds()
                + " s window");
    }

    private void report(String scenario, String what, boolean ok, Callable<Object> observed) {
        if (ok) {
            passed++;
            out.printf("[%s] PASS %s%n", scenario, what);
            return;
        }
        String seen;
        try {
            Object o = observed.call();
            seen = o instanceof int[] a ? java.util.Arrays.toString(a) : String.valueOf(o);
        } catch (Exception e) {
            seen = "could not be read: " + e.getMessage();
        }
        failures.add("[" + scenario + "] " + what);
        out.printf("[%s] FAIL %s: observed %s%n", scenario, what, seen);
    }

    private void step(String scenario, String format, Object... args) {
        out.printf("[%s] %s%n", scenario, args.length == 0 ? format : String.format(format, args));
    }

    private static Optional<String> conflictState(FedsyncdProcess d, String key) {
        return d.conflicts("key=" + key).stream().map(c -> c.path("state").asText()).findFirst();
    }

    private static String conflicts(FedsyncdProcess d) {
        return d.get("/api/v1/conflicts?key=" + KEY).body();
    }

    private static String email(Optional<String> value) {
        return value.map(KubeObjects::emailOf).orElse("(absent)");
    }

    private static Path createWorkDir() {
        try {
            return Files.createTempDirectory("fedsync-sandbox-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a work dir in " + System.getProperty("java.io.tmpdir"), e);
        }
    }
}
