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
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.WatchRecorder;
import io.fedsync.itest.kube.KubeApiStandIn;
import io.fedsync.itest.kube.KubeResources;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.Config;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesApi;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
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
 * played against them: S7 kills the leader with -9 and shows another replica take over. S8 then
 * federates: two more etcds, {@code member} and {@code stranger} (another jwtSecret), each cluster
 * with the Kubernetes API stand-in (fedsync's test fixture over its etcd, not a kube-apiserver),
 * {@code bin/fedsyncctl join} run as an operator would, a user created through host's API arriving
 * on the member once, and stranger refused. Every PASS/FAIL line is computed from what etcd,
 * fedsyncd's HTTP API and fedsyncctl answered.
 */
public final class Sandbox {

    static final String USAGE = String.join("\n",
            "usage: fedsync-sandbox [--keep]",
            "  Starts etcd 'host' and 'host2' and a Raft group of three fedsyncd replicas on loopback, plays",
            "  scenarios S1 and S2, kills the leader with -9 (S7) and shows the failover, then joins a member",
            "  cluster with fedsyncctl and shows a user federated to it and a member with another jwtSecret",
            "  refused (S8), prints what happened.",
            "  Exit code 0 when every check passed, 1 otherwise, 2 on bad usage.",
            "  --keep   leave etcd and the fedsyncd replicas running at the end and print how to reach and stop them",
            "           (the Kubernetes API stand-ins run inside the sandbox, which then waits for Ctrl-C)");

    static final String KEY = "/registry/iam.kubesphere.io/users/xxp";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration QUIET = Duration.ofSeconds(3);

    private final PrintStream out;
    private final boolean keep;
    private final List<String> failures = new ArrayList<>();
    /** Everything fedsyncctl printed, to show no jwtSecret is in any of it. */
    private final List<String> cliOutputs = new ArrayList<>();
    /** The jwtSecret of host, host2 and member, and stranger's: random, printed nowhere. */
    private final String jwtSecret = "sandbox-jwt-" + Names.randomSuffix() + Names.randomSuffix();
    private final String strangerJwtSecret = "stranger-jwt-" + Names.randomSuffix() + Names.randomSuffix();
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
        long started = System.nanoTime();
        Path dir = createWorkDir();
        EtcdProcess host = EtcdProcess.builder("host").workDir(dir.resolve("etcd")).build();
        EtcdProcess host2 = EtcdProcess.builder("host2").workDir(dir.resolve("etcd")).build();
        EtcdProcess member = EtcdProcess.builder("member").workDir(dir.resolve("etcd")).build();
        EtcdProcess stranger = EtcdProcess.builder("stranger").workDir(dir.resolve("etcd")).build();
        Map<String, EtcdProcess> etcds = new LinkedHashMap<>();
        etcds.put("host", host);
        etcds.put("host2", host2);
        etcds.put("member", member);
        etcds.put("stranger", stranger);
        Map<String, FedsyncdProcess> group = new LinkedHashMap<>();
        Map<String, KubeApiStandIn> apis = new LinkedHashMap<>();
        Map<String, Path> kubeconfigs = new LinkedHashMap<>();
        boolean stopAll = true;
        try {
            step("setup", "starting etcd 'host' and 'host2', and 'member' and 'stranger' for S8 (%s)", "/usr/bin/etcd");
            long etcdsStarting = System.nanoTime();
            etcds.values().forEach(EtcdProcess::start);
            etcds.forEach((name, e) -> step("setup", "%-8s = %s (data %s)", name, e.endpoint(), e.dataDir()));
            step("setup", "a Kubernetes API stand-in over each etcd: fedsync's test fixture (io.fedsync.itest.kube."
                    + "KubeApiStandIn, in this process), NOT a kube-apiserver: no auth, no admission");
            for (Map.Entry<String, EtcdProcess> e : etcds.entrySet()) {
                KubeApiStandIn api = KubeApiStandIn.builder().name(e.getKey()).etcd(e.getValue().clientBuilder())
                        .resources(KubeResources.kubeSphere()).build().start();
                apis.put(e.getKey(), api);
                kubeconfigs.put(e.getKey(), api.writeKubeconfig(dir.resolve("kube").resolve(e.getKey() + ".kubeconfig")));
                step("setup", "  %-8s %s, kubeconfig %s", e.getKey(), api.url(), kubeconfigs.get(e.getKey()));
            }
            installKubeSphere(kubeconfigs);
            step("setup", "kubesphere-system/kubesphere-config on each: clusterRole host on host and host2, member on"
                    + " the others; one random jwtSecret on host, host2 and member, another on stranger (printed nowhere)");
            step("setup", "4 etcds, 4 API stand-ins and their kubesphere-config ready in %.1f s",
                    (System.nanoTime() - etcdsStarting) / 1e9);
            Map<String, Integer> raftPorts = new LinkedHashMap<>();
            IDS.forEach(id -> raftPorts.put(id, FreePorts.pick()));
            for (String id : IDS) {
                group.put(id, FedsyncdProcess.builder(dir.resolve("fedsyncd-" + id)).replica(id, raftPorts)
                        .cluster("host", host).cluster("host2", host2).policy("hold")
                        .kubeconfig("host", kubeconfigs.get("host")).kubeconfig("host2", kubeconfigs.get("host2"))
                        .federation("profile: kubesphere-v3", "resync: " + RESYNC.toSeconds() + "s").build());
            }
            step("setup", "starting a Raft group of three fedsyncd replicas %s, each its own JVM: %s", IDS,
                    FedsyncdProcess.jar());
            step("setup", "  each config: clusters host and host2 with their kubeconfig, federation: {profile:"
                    + " kubesphere-v3, resync: %ds}", RESYNC.toSeconds());
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
            try (Client c1 = host.newClient(); Client c2 = host2.newClient(); Client m = member.newClient();
                 Client s = stranger.newClient()) {
                s1(group, first, c1, c2);
                leader = s2(group, c1, c2);
                leader = s7(group, leader, c1, c2);
                s8(group, kubeconfigs, c2, m, s);
            }
            printStatus(group.get(leader));
            out.println();
            out.printf("%d passed, %d failed (%.0f s)%n", passed, failures.size(), (System.nanoTime() - started) / 1e9);
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
                out.printf("  bin/fedsyncctl --server %s clusters -o wide%n", servers);
                kubeconfigs.forEach((name, k) -> out.printf("  %s's API (stand-in): KUBECONFIG=%s kubectl get users%n",
                        name, k));
                out.printf("  stop: Ctrl-C here (or kill %d: the API stand-ins), then kill %s %s; rm -rf %s%n",
                        ProcessHandle.current().pid(),
                        group.values().stream().map(r -> String.valueOf(r.pid())).collect(Collectors.joining(" ")),
                        etcds.values().stream().map(e -> String.valueOf(e.pid())).collect(Collectors.joining(" ")), dir);
                out.println("the Kubernetes API stand-ins run in this process: it waits here until Ctrl-C");
                out.flush();
                awaitInterrupt();
            }
            return failures.isEmpty() ? 0 : 1;
        } finally {
            if (stopAll) {
                group.values().forEach(r -> {
                    r.resume();
                    r.stop();
                });
                apis.values().forEach(KubeApiStandIn::close);
                etcds.values().forEach(EtcdProcess::stop);
                if (failures.isEmpty()) {
                    try {
                        Dirs.deleteRecursively(dir);
                    } catch (java.io.UncheckedIOException e) {
                        out.println("could not remove " + dir + ": " + e.getCause().getMessage());
                    }
                } else {
                    out.println("logs kept in " + dir + " (fedsyncd-*/fedsyncd.log, etcd/*/etcd.log, kube/*.kubeconfig)");
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
    /** federation.resync of the sandbox's replicas: short, so that S8's quiet window spans a resync. */
    private static final Duration RESYNC = Duration.ofSeconds(2);

    /**
     * S8: federation. fedsyncctl joins {@code member} (a dry run first), a user created through
     * host's API reaches member once (and host2 through the mirror), {@code stranger}, whose
     * jwtSecret differs, is refused and gets nothing; no jwtSecret in any log or output.
     */
    private void s8(Map<String, FedsyncdProcess> group, Map<String, Path> kubeconfigs, Client host2, Client member,
                    Client stranger) {
        out.println();
        long started = System.nanoTime();
        String servers = group.values().stream().map(r -> r.url("")).collect(Collectors.joining(","));
        step("S8", "federation: the hosts' users, roles and workspaces pushed to member clusters joined with"
                + " fedsyncctl (--server %s)", servers);
        try (WatchRecorder onMember = WatchRecorder.open(member, "/registry/");
             WatchRecorder onStranger = WatchRecorder.open(stranger, "/registry/")) {
            FedsyncdProcess.Result dry = ctlLeading(group, servers, r -> true, "join", "member", "--kubeconfig",
                    kubeconfigs.get("member").toString(), "--dry-run");
            report("S8", "join --dry-run: every check passes, the preview says what joining would do, and nothing"
                    + " is written to member (watch events member=" + onMember.count() + ")", dry.exitCode() == 0
                    && dry.stdout().contains("dry run: nothing was written") && onMember.count() == 0,
                    () -> dry.exitCode() + " " + dry.stderr() + " member events " + onMember.count());
            FedsyncdProcess.Result join = ctlLeading(group, servers, r -> true, "join", "member", "--kubeconfig",
                    kubeconfigs.get("member").toString());
            report("S8", "fedsyncctl join member: exit code 0, \"member joined\"", join.exitCode() == 0
                    && join.stdout().contains("member joined"), () -> join.exitCode() + " " + join.stderr());
            check("S8", "the users the hosts already held (xxp and S7's) copied to member",
                    () -> Kv.keys(member, KubeObjects.USERS_PREFIX).keySet()
                            .equals(Kv.keys(host2, KubeObjects.USERS_PREFIX).keySet()),
                    () -> "member " + Kv.keys(member, KubeObjects.USERS_PREFIX).keySet() + ", host2 "
                            + Kv.keys(host2, KubeObjects.USERS_PREFIX).keySet());

            String name = "fed-" + Names.randomSuffix();
            String key = KubeObjects.userKey(name);
            out.println();
            try (WatchRecorder onMemberKey = WatchRecorder.open(member, key);
                 WatchRecorder onHost2Key = WatchRecorder.open(host2, key)) {
                step("S8", "kubectl create of user %s through host's API (the stand-in at %s)", name,
                        apiServer(kubeconfigs.get("host")));
                createUser(kubeconfigs.get("host"), name, name + "@163.com");
                check("S8", "user " + name + " arrives on member (pushed by the leader) and on host2 (mirrored)",
                        () -> Kv.get(member, key).isPresent() && Kv.get(host2, key).isPresent(),
                        () -> "member " + Kv.get(member, key).isPresent() + ", host2 " + Kv.get(host2, key).isPresent());
                quiet("S8", "member written exactly once (through a resync too), host2 once: watch events member=%d"
                        + " host2=%d", () -> onMemberKey.count() == 1 && onHost2Key.count() == 1,
                        () -> new int[] {onMemberKey.count(), onHost2Key.count()});
            }
            JsonNode copy = readUser(kubeconfigs.get("member"), name);
            JsonNode meta = copy.path("metadata");
            step("S8", "member's API: users/%s email %s, label kubefed.io/managed=%s, annotation"
                    + " fedsync.io/origin-cluster=%s", name, copy.path("spec").path("email").asText("(absent)"),
                    meta.path("labels").path("kubefed.io/managed").asText("(none)"),
                    meta.path("annotations").path("fedsync.io/origin-cluster").asText("(none)"));
            report("S8", "member's copy is labelled kubefed.io/managed: \"false\" (KubeSphere's own federation leaves"
                    + " it alone) and annotated with its origin, host", meta.path("labels").path("kubefed.io/managed")
                    .asText().equals("false") && meta.path("annotations").path("fedsync.io/origin-cluster").asText()
                    .equals("host"), () -> meta);

            FedsyncdProcess.Result refused = ctlLeading(group, servers, r -> true, "join", "stranger", "--kubeconfig",
                    kubeconfigs.get("stranger").toString());
            report("S8", "fedsyncctl join stranger is refused: exit code 1, naming the jwtSecret check",
                    refused.exitCode() == 1 && refused.stderr().contains("jwtSecret")
                            && refused.stdout().lines().anyMatch(l -> l.startsWith("FAIL") && l.contains("jwtSecret")),
                    () -> refused.exitCode() + " " + refused.stdout() + refused.stderr());
            FedsyncdProcess.Result jwt = ctlLeading(group, servers, r -> true, "check-jwt", "member");
            report("S8", "fedsyncctl check-jwt member: matches the hosts' (exit code 0)", jwt.exitCode() == 0
                    && jwt.stdout().contains("matches"), () -> jwt.exitCode() + " " + jwt.stdout() + jwt.stderr());
            // Without a leader to ask, a replica lists from its own view (members' state unknown): asked again then.
            FedsyncdProcess.Result clusters = ctlLeading(group, servers, r -> r.stdout().lines()
                    .anyMatch(l -> l.startsWith("member ") && l.contains(" yes ")), "clusters");
            report("S8", "fedsyncctl clusters lists host, host2 and member (reachable, jwtSecret matches); not stranger",
                    clusters.exitCode() == 0 && clusters.stdout().lines().anyMatch(l -> l.startsWith("member ")
                            && l.contains(" yes ") && l.contains(" matches ")) && !clusters.stdout().contains("stranger"),
                    () -> clusters.exitCode() + " " + clusters.stdout() + clusters.stderr());
            report("S8", "stranger got nothing: no write to its etcd under /registry/ since S8 began (watch events "
                    + onStranger.count() + "), no user on it", onStranger.count() == 0
                    && Kv.count(stranger, KubeObjects.USERS_PREFIX) == 0, () -> onStranger.events());
        }
        report("S8", "neither jwtSecret appears in any fedsyncd log (" + IDS.size() + " replicas) or fedsyncctl"
                + " output (" + cliOutputs.size() / 2 + " runs)", group.values().stream().map(FedsyncdProcess::logText)
                .noneMatch(this::holdsSecret) && cliOutputs.stream().noneMatch(this::holdsSecret),
                () -> "a jwtSecret was found");
        step("S8", "S8 took %.1f s", (System.nanoTime() - started) / 1e9);
    }

    /**
     * {@link #ctl} once a leader federates. On a loaded machine leadership can move between the
     * wait and the call: a 503 ("does not run the federation now"), or an answer {@code settled}
     * does not accept, is said and the call made once more after a leader federates again.
     */
    private FedsyncdProcess.Result ctlLeading(Map<String, FedsyncdProcess> group, String servers,
                                             java.util.function.Predicate<FedsyncdProcess.Result> settled,
                                             String... args) {
        awaitFederating(group);
        FedsyncdProcess.Result r = ctl(servers, args);
        boolean moved = r.exitCode() == 1 && r.stderr().contains(" 503: ");
        if (moved || (r.exitCode() == 0 && !settled.test(r))) {
            step("S8", "leadership moved during the call (load average %s; leader now %s): once more", loadAverage(),
                    awaitFederating(group));
            r = ctl(servers, args);
        }
        return r;
    }

    /** The leader, once every running replica names it and its federation runs (it lists the members itself). */
    private static String awaitFederating(Map<String, FedsyncdProcess> group) {
        String[] leader = new String[1];
        try {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
                leader[0] = awaitLeader(group, IDS);
                JsonNode fed = group.get(leader[0]).get("/api/v1/clusters").json().path("federation");
                return fed.path("running").asBoolean() && fed.path("answeredBy").asText().equals(leader[0]);
            });
        } catch (ConditionTimeoutException e) {
            // the call that follows says what is wrong
        }
        return leader[0];
    }

    private boolean holdsSecret(String text) {
        return text.contains(jwtSecret) || text.contains(strangerJwtSecret);
    }

    /** Runs bin/fedsyncctl, prints the command and what it printed (stdout, then stderr, then the exit code). */
    private FedsyncdProcess.Result ctl(String servers, String... args) {
        List<String> all = new ArrayList<>(List.of("--server", servers));
        all.addAll(List.of(args));
        FedsyncdProcess.Result r = FedsyncdProcess.fedsyncctl(WAIT, all.toArray(String[]::new));
        cliOutputs.add(r.stdout());
        cliOutputs.add(r.stderr());
        out.println();
        out.println("  $ fedsyncctl " + String.join(" ", args));
        r.stdout().lines().forEach(l -> out.println(l.isBlank() ? "" : "  " + l));
        r.stderr().lines().forEach(l -> out.println("  (stderr) " + l));
        out.println("  (exit code " + r.exitCode() + ")");
        return r;
    }

    /** kube-system and kubesphere-system/kubesphere-config on each cluster, as ks-installer leaves them (v3). */
    private void installKubeSphere(Map<String, Path> kubeconfigs) {
        kubeconfigs.forEach((cluster, kubeconfig) -> io.fedsync.itest.kube.KubeSphereInstall.install(kubeconfig,
                cluster.startsWith("host") ? "host" : "member", cluster.equals("stranger") ? strangerJwtSecret : jwtSecret));
    }

    private static ApiClient apiClient(Path kubeconfig) {
        try {
            return Config.fromConfig(kubeconfig.toString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String apiServer(Path kubeconfig) {
        return apiClient(kubeconfig).getBasePath();
    }

    private static DynamicKubernetesApi users(Path kubeconfig) {
        return new DynamicKubernetesApi(KubeResources.USERS.group(), KubeResources.USERS.version(),
                KubeResources.USERS.plural(), apiClient(kubeconfig));
    }

    /** A user created through the API as the console would: no uid, times or resourceVersion of its own. */
    private static void createUser(Path kubeconfig, String name, String email) {
        com.google.gson.JsonObject u = com.google.gson.JsonParser.parseString(KubeObjects.user(name, email))
                .getAsJsonObject();
        com.google.gson.JsonObject meta = u.getAsJsonObject("metadata");
        List.of("uid", "creationTimestamp", "managedFields", "generation", "resourceVersion").forEach(meta::remove);
        var r = users(kubeconfig).create(new DynamicKubernetesObject(u));
        if (!r.isSuccess()) {
            throw new IllegalStateException("creating user " + name + " failed: " + r.getStatus());
        }
    }

    private static JsonNode readUser(Path kubeconfig, String name) {
        var r = users(kubeconfig).get(name);
        if (!r.isSuccess()) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.getObject().getRaw().toString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** With --keep: the stand-ins live in this JVM, so it stays until interrupted (Ctrl-C). */
    private static void awaitInterrupt() {
        try {
            new java.util.concurrent.CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

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
