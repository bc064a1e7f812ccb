package io.fedsync.itest.sandbox;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.Dirs;
import io.fedsync.itest.fixture.EtcdProcess;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.RaftReplicas;
import io.fedsync.itest.fixture.FreePorts;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;

/**
 * {@code bin/fedsync-sandbox}: two real etcd processes, {@code host} and {@code host2}, a Raft group
 * of three real fedsyncd processes mirroring them, and scenarios S1, S2 and S7 of SCENARIOS.md
 * played against them: S7 kills the leader with -9 and shows another replica take over. Every
 * PASS/FAIL line is computed from what etcd and fedsyncd's HTTP API answered.
 */
public final class Sandbox {

    static final String USAGE = String.join("\n",
            "usage: fedsync-sandbox [--keep]",
            "  Starts etcd 'host' and 'host2' and a Raft group of three fedsyncd replicas on loopback, plays",
            "  scenarios S1 and S2, kills the leader with -9 (S7) and shows the failover, prints what happened.",
            "  Exit code 0 when every check passed, 1 otherwise, 2 on bad usage.",
            "  --keep   leave etcd and the fedsyncd replicas running at the end and print how to reach and stop them");

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
        Map<String, FedsyncdProcess> group = new LinkedHashMap<>();
        boolean stopAll = true;
        try {
            step("setup", "starting etcd 'host' and 'host2' (%s)", "/usr/bin/etcd");
            host.start();
            host2.start();
            step("setup", "host  = %s (data %s)", host.endpoint(), host.dataDir());
            step("setup", "host2 = %s (data %s)", host2.endpoint(), host2.dataDir());
            Map<String, Integer> raftPorts = new LinkedHashMap<>();
            IDS.forEach(id -> raftPorts.put(id, FreePorts.pick()));
            for (String id : IDS) {
                group.put(id, FedsyncdProcess.builder(dir.resolve("fedsyncd-" + id)).replica(id, raftPorts)
                        .cluster("host", host).cluster("host2", host2).policy("hold").build());
            }
            step("setup", "starting a Raft group of three fedsyncd replicas %s, each its own JVM: %s", IDS,
                    FedsyncdProcess.jar());
            for (FedsyncdProcess r : group.values()) {
                step("setup", "  %s: Raft on 127.0.0.1:%d, API %s, config %s", r.nodeId(), raftPorts.get(r.nodeId()),
                        r.url("/"), r.configFile());
            }
            group.values().forEach(FedsyncdProcess::start);
            for (FedsyncdProcess r : group.values()) {
                r.awaitHealthy(WAIT);
            }
            String first = awaitLeader(group, IDS);
            FedsyncdProcess d = group.get(first);
            check("setup", "one replica (" + first + ") leads and mirrors; the others stand by", () ->
                    group.values().stream().filter(Sandbox::mirrors).count() == 1
                            && standbyEverywhereBut(group, first), () -> roles(group));
            check("setup", "the leader sees both clusters live", () -> "live".equals(d.clusterState("host"))
                    && "live".equals(d.clusterState("host2")), () -> d.status().path("clusters").toString());
            printGroup(group);
            String leader;
            try (Client c1 = host.newClient(); Client c2 = host2.newClient()) {
                s1(group, first, c1, c2);
                leader = s2(group, c1, c2);
                leader = s7(group, leader, c1, c2);
            }
            printStatus(group.get(leader));
            out.println();
            out.printf("%d passed, %d failed%n", passed, failures.size());
            failures.forEach(f -> out.println("  failed: " + f));
            if (keep) {
                stopAll = false;
                FedsyncdProcess l = group.get(leader);
                String servers = group.values().stream().map(r -> r.url("")).collect(Collectors.joining(","));
                out.println();
                out.println("left running (--keep):");
                out.printf("  bin/fedsyncctl --server %s status%n", servers);
                out.printf("  curl -s %s | python3 -m json.tool%n", l.url("/api/v1/status"));
                out.printf("  curl -s %s | python3 -m json.tool%n", l.url("/api/v1/conflicts"));
                out.printf("  ETCDCTL_API=3 etcdctl --endpoints=%s get --prefix /registry/iam.kubesphere.io/%n",
                        host.endpoint());
                out.printf("  stop: kill %s %d %d; rm -rf %s%n", group.values().stream().map(r -> String.valueOf(r.pid()))
                        .collect(Collectors.joining(" ")), host.pid(), host2.pid(), dir);
            }
            return failures.isEmpty() ? 0 : 1;
        } finally {
            if (stopAll) {
                group.values().forEach(r -> {
                    r.resume();
                    r.stop();
                });
                host.stop();
                host2.stop();
                if (failures.isEmpty()) {
                    try {
                        Dirs.deleteRecursively(dir);
                    } catch (java.io.UncheckedIOException e) {
                        out.println("could not remove " + dir + ": " + e.getCause().getMessage());
                    }
                } else {
                    out.println("logs kept in " + dir + " (fedsyncd-*/fedsyncd.log, etcd/*/etcd.log)");
                }
            }
        }
    }

    /** S1: the same user created on both hosts (different uid, timestamps) converges without a write. */
    private void s1(Map<String, FedsyncdProcess> group, String leader, Client host, Client host2) {
        FedsyncdProcess d = group.get(leader);
        FedsyncdProcess follower = group.values().stream().filter(r -> !r.nodeId().equals(leader)).findFirst()
                .orElseThrow();
        String onHost = Samples.read("user-xxp-created-on-host.json");
        String onHost2 = Samples.read("user-xxp-created-on-host2.json");
        out.println();
        step("S1", "kubectl create of user xxp on both hosts at once: the real stored bytes, different uid and timestamps");
        try (WatchRecorder w1 = WatchRecorder.open(host, KEY); WatchRecorder w2 = WatchRecorder.open(host2, KEY)) {
            // "At once" as the mirror sees it: the leader is paused (SIGSTOP) for the two puts, a few
            // milliseconds. Without it the mirror may copy host's create to host2 before host2's own
            // lands; host2's is then a later edit (S4) and rightly copied back, which is not S1.
            d.pause();
            try {
                Kv.put(host, KEY, onHost);
                Kv.put(host2, KEY, onHost2);
            } finally {
                d.resume();
            }
            check("S1", "fedsync reports the key converged (same object, server-set fields differ)",
                    () -> conflictState(d, KEY).filter("converged"::equals).isPresent(), () -> conflicts(d));
            check("S1", "follower " + follower.nodeId() + " answers the same from the replicated state",
                    () -> conflictState(follower, KEY).filter("converged"::equals).isPresent(), () -> conflicts(follower));
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

    /**
     * S2: the whole group is down while both hosts edit the same user: a held conflict, nothing
     * overwritten. Returns the leader after the restart.
     */
    private String s2(Map<String, FedsyncdProcess> group, Client host, Client host2) {
        String base = Samples.read("user-xxp-edited-on-host.json");
        String emailHost = base.replace("xxp-2@163.com", "xxp-host@163.com");
        String emailHost2 = base.replace("xxp-2@163.com", "xxp-host2@163.com");
        out.println();
        List<Integer> exits = group.values().stream().map(FedsyncdProcess::stop).toList();
        step("S2", "stopped every replica with SIGTERM (exit codes %s)", exits);
        step("S2", "while the group is down: email on host -> xxp-host@163.com, on host2 -> xxp-host2@163.com");
        Kv.put(host, KEY, emailHost);
        Kv.put(host2, KEY, emailHost2);
        step("S2", "starting the three replicas again (their state comes back from the Raft log and snapshots)");
        group.values().forEach(FedsyncdProcess::start);
        for (FedsyncdProcess r : group.values()) {
            r.awaitHealthy(WAIT);
        }
        String leader = awaitLeader(group, IDS);
        FedsyncdProcess d = group.get(leader);
        check("S2", "the group restarted; " + leader + " leads and resumed from the replicated cursors",
                () -> d.logText().contains("resuming from cursor"), () -> "no 'resuming from cursor' in " + d.logFile());
        try (WatchRecorder w1 = WatchRecorder.open(host, KEY); WatchRecorder w2 = WatchRecorder.open(host2, KEY)) {
            check("S2", "one open concurrent-update conflict between host and host2, the same on every replica", () -> {
                for (FedsyncdProcess r : group.values()) {
                    List<JsonNode> open = r.conflicts("state=open&key=" + KEY);
                    if (open.size() != 1 || !open.get(0).path("type").asText().equals("concurrent-update")
                            || !open.get(0).path("clusters").toString().equals("[\"host\",\"host2\"]")) {
                        return false;
                    }
                }
                return true;
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
        step("S2", "the key stays as it is on each host until an operator picks a winner");
        showWithFedsyncctl(d);
        resolveS2(group, leader, host, host2, emailHost);
        return leader;
    }

    /** What an operator sees of the open S2 conflict with bin/fedsyncctl (its own JVM), printed as it is. */
    private void showWithFedsyncctl(FedsyncdProcess d) {
        List<JsonNode> open = d.conflicts("state=open&key=" + KEY);
        if (open.isEmpty()) {
            return;
        }
        String id = open.get(0).path("id").asText();
        for (List<String> args : List.of(List.of("conflicts", "--state", "open", "-o", "wide"), List.of("conflict", id))) {
            List<String> all = new java.util.ArrayList<>(List.of("--server", d.url("")));
            all.addAll(args);
            FedsyncdProcess.Result r = FedsyncdProcess.fedsyncctl(WAIT, all.toArray(String[]::new));
            out.println();
            out.println("  $ fedsyncctl " + String.join(" ", args));
            r.stdout().lines().forEach(l -> out.println("  " + l));
            report("S2", "fedsyncctl " + args.get(0) + " shows the conflict (exit code 0)", r.exitCode() == 0
                    && r.stdout().contains(id), () -> r.exitCode() + " " + r.stderr());
        }
    }

    /**
     * The end of S2: an operator keeps host's edit, through the API of a follower (forwarded to
     * the leader, which mirrors): host2 gets host's bytes once, host is not written, and every
     * replica shows the conflict resolved.
     */
    private void resolveS2(Map<String, FedsyncdProcess> group, String leader, Client host, Client host2,
                           String emailHost) {
        FedsyncdProcess follower = group.values().stream().filter(r -> !r.nodeId().equals(leader)).findFirst()
                .orElseThrow();
        List<JsonNode> open = follower.conflicts("state=open&key=" + KEY);
        if (open.size() != 1) {
            report("S2", "one open conflict to resolve", false, () -> conflicts(follower));
            return;
        }
        String id = open.get(0).path("id").asText();
        out.println();
        step("S2", "operator: POST /api/v1/conflicts/%s/resolve {\"winner\": \"host\"} to follower %s"
                + " (fedsyncctl resolve %s --winner host)", id, follower.nodeId(), id);
        try (WatchRecorder w1 = WatchRecorder.open(host, KEY); WatchRecorder w2 = WatchRecorder.open(host2, KEY)) {
            // A resolution answers once every cluster holds the result: longer than a plain call.
            FedsyncdProcess.Response r = follower.send("POST", "/api/v1/conflicts/" + id + "/resolve",
                    "{\"winner\": \"host\"}", Map.of("content-type", "application/json"));
            check("S2", "answered 200 by the leader through the follower, the record resolved with winner host",
                    () -> r.status() == 200 && r.json().path("state").asText().equals("resolved")
                            && r.json().path("resolution").path("winner").asText().equals("host"),
                    () -> r.status() + " " + r.body());
            check("S2", "host2 now holds host's edit byte for byte (xxp-host@163.com)",
                    () -> Kv.get(host2, KEY).equals(Optional.of(emailHost)), () -> email(Kv.get(host2, KEY)));
            quiet("S2", "host2 written once, host not at all: watch events host=%d host2=%d",
                    () -> w1.count() == 0 && w2.count() == 1, () -> new int[] {w1.count(), w2.count()});
        }
        check("S2", "every replica shows the conflict resolved", () -> group.values().stream().allMatch(
                r -> r.conflicts("key=" + KEY).stream().anyMatch(c -> c.path("id").asText().equals(id)
                        && c.path("state").asText().equals("resolved"))), () -> conflicts(follower));
    }

    /**
     * S7: the leader is killed with -9. Another replica takes over, a user created on host after
     * the kill reaches host2 once, and the killed replica comes back as a follower. Returns the new leader.
     */
    private String s7(Map<String, FedsyncdProcess> group, String leader, Client host, Client host2) {
        out.println();
        FedsyncdProcess old = group.get(leader);
        long term = old.status().path("term").asLong();
        String name = "failover-" + Long.toHexString(System.nanoTime());
        String key = KubeObjects.userKey(name);
        String value = KubeObjects.user(name, name + "@163.com");
        long pid = old.pid();
        long killedAt = System.nanoTime();
        old.kill();
        step("S7", "kill -9 of the leader %s (pid %d), which mirrored with fencing term %d", leader, pid, term);
        List<String> rest = IDS.stream().filter(id -> !id.equals(leader)).toList();
        try (WatchRecorder w1 = WatchRecorder.open(host, key); WatchRecorder w2 = WatchRecorder.open(host2, key)) {
            Kv.put(host, key, value);
            step("S7", "right after the kill: kubectl create of user %s on host", name);
            String next = awaitLeader(group, rest);
            double tookOver = (System.nanoTime() - killedAt) / 1e9;
            FedsyncdProcess d = group.get(next);
            step("S7", "%s leads and mirrors %.1f s after the kill (Raft term %s, fencing term %s)", next, tookOver,
                    d.status().path("raft").path("term").asText(), d.status().path("term").asText());
            check("S7", "the new leader's fencing term is above the killed leader's (" + term + ")",
                    () -> d.status().path("term").asLong() > term, () -> d.status().path("term"));
            check("S7", "the user created after the kill arrives on host2 byte for byte",
                    () -> Kv.get(host2, key).equals(Optional.of(value)), () -> Kv.get(host2, key).orElse("(absent)"));
            quiet("S7", "host2 written exactly once, nothing came back to host: watch events host=%d host2=%d",
                    () -> w1.count() == 1 && w2.count() == 1, () -> new int[] {w1.count(), w2.count()});
            step("S7", "starting %s again on its data dir", leader);
            old.start().awaitHealthy(WAIT);
            // All three name one leader and only it mirrors. On a loaded host a replica can miss
            // heartbeats and leadership can move once more: that is said, not hidden, and the
            // fence still lets only the newest term write.
            String now = awaitLeader(group, IDS);
            if (!now.equals(next)) {
                step("S7", "leadership moved again, to %s (Raft term %s): a replica missed heartbeats (load average %s)",
                        now, group.get(now).status().path("raft").path("term").asText(), loadAverage());
            }
            check("S7", leader + " rejoined: every replica names " + now + " as leader and only " + now + " mirrors",
                    () -> IDS.stream().allMatch(id -> group.get(id).status().path("raft").path("leader").asText()
                            .equals(now) && mirrors(group.get(id)) == id.equals(now)),
                    () -> roles(group));
            if (now.equals(next)) {
                check("S7", leader + " stands by as a follower of " + next, () -> {
                    JsonNode raft = old.status().path("raft");
                    return raft.path("role").asText().equals("follower") && !mirrors(old);
                }, () -> old.status().path("raft"));
            }
            printGroup(group);
            return now;
        }
    }

    private static final List<String> IDS = List.of("a", "b", "c");

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The replica every running replica names as leader, once it mirrors. */
    private static String awaitLeader(Map<String, FedsyncdProcess> group, List<String> running) {
        return RaftReplicas.awaitLeader(group, running, WAIT);
    }

    private static boolean mirrors(FedsyncdProcess r) {
        return RaftReplicas.mirrors(r);
    }

    private static boolean standbyEverywhereBut(Map<String, FedsyncdProcess> group, String leader) {
        return group.values().stream().filter(r -> !r.nodeId().equals(leader))
                .allMatch(r -> r.status().path("clusters").findValuesAsText("state").stream().allMatch("standby"::equals));
    }

    private static String roles(Map<String, FedsyncdProcess> group) {
        return group.values().stream().map(r -> {
            try {
                return r.nodeId() + "=" + r.status().path("raft").path("role").asText() + (mirrors(r) ? "+mirroring" : "");
            } catch (RuntimeException e) {
                return r.nodeId() + "=(no answer)";
            }
        }).collect(Collectors.joining(", "));
    }

    private void printGroup(Map<String, FedsyncdProcess> group) {
        for (FedsyncdProcess r : group.values()) {
            if (!r.isRunning()) {
                step("group", "%s: not running", r.nodeId());
                continue;
            }
            JsonNode s = r.status();
            JsonNode raft = s.path("raft");
            step("group", "%s: %-8s Raft term %s, leader %s, %s", r.nodeId(), raft.path("role").asText(),
                    raft.path("term").asText(), raft.path("leader").asText(), mirrors(r)
                            ? "mirroring (fencing term " + s.path("term").asText() + ")"
                            : "standing by; reads host at revision " + revision(s, "host") + ", host2 at "
                                    + revision(s, "host2"));
        }
    }

    private static String revision(JsonNode status, String cluster) {
        for (JsonNode c : status.path("clusters")) {
            if (c.path("name").asText().equals(cluster)) {
                return c.hasNonNull("error") ? "(" + c.path("error").asText() + ")" : c.path("revision").asText();
            }
        }
        return "?";
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
