package io.fedsync.itest.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedsync.federation.FederatedKind;
import io.fedsync.federation.Profile;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.WatchRecorder;
import io.fedsync.itest.kube.KubeApis;
import io.fedsync.itest.kube.KubeUsers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The users' own setup, end to end: {@code host} and {@code host2} (each a real etcd with the
 * Kubernetes API stand-in, a test fixture, over it), members joined with {@code fedsyncctl join},
 * and one {@code bin/fedsyncd} process mirroring host↔host2 and federating to the members. The
 * experiments of SCENARIOS.md and S8, S9 are played through the hosts' APIs and checked on the
 * members' etcds (a watch counts every write a member receives).
 */
@DisplayName("fedsyncd federating end to end: two hosts mirrored, members joined with fedsyncctl (API stand-ins over real etcds)")
class FederationEndToEndIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "e2e-jwt-" + Names.randomSuffix() + "-0123456789abcdef";
    private static final String WRONG_SECRET = "other-jwt-" + Names.randomSuffix() + "-fedcba9876543210";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final FederatedKind USERS = Profile.KUBESPHERE_V3.kinds().get(0);

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2", "member", "member2",
            "stranger").build();

    @RegisterExtension
    static final KubeApis KUBE = KubeApis.over(ETCD).build();

    @TempDir
    Path dir;

    private final List<FedsyncdProcess> daemons = new ArrayList<>();
    /** Every output of fedsyncctl in the test, to show no secret is in any. */
    private final List<String> outputs = new ArrayList<>();

    @BeforeAll
    static void installKubeSphere() throws Exception {
        for (String c : List.of("host", "host2", "member", "member2", "stranger")) {
            io.fedsync.itest.kube.KubeSphereInstall.install(KUBE.apiClient(c), c.startsWith("host") ? "host" : "member",
                    c.equals("stranger") ? WRONG_SECRET : SECRET);
        }
    }

    @AfterEach
    void stop() {
        daemons.forEach(FedsyncdProcess::kill);
        if (!daemons.isEmpty()) {
            String log = daemons.get(0).logText();
            // What the federation did, for whoever reads the test's output.
            log.lines().filter(l -> l.contains("Federat") || l.contains("federation"))
                    .forEach(l -> System.out.println("fedsyncd| " + l));
            assertThat(log).as("the jwtSecrets appear in no log line").doesNotContain(SECRET).doesNotContain(WRONG_SECRET);
            assertThat(String.join("\n", outputs)).as("nor in any fedsyncctl output")
                    .doesNotContain(SECRET).doesNotContain(WRONG_SECRET);
        }
    }

    private FedsyncdProcess start(String policy) {
        FedsyncdProcess d = FedsyncdProcess.builder(dir.resolve("fedsyncd")).nodeId("e2e")
                .cluster("host", ETCD.get("host")).cluster("host2", ETCD.get("host2"))
                .kubeconfig("host", KUBE.kubeconfig("host")).kubeconfig("host2", KUBE.kubeconfig("host2"))
                .policy(policy).federation("profile: kubesphere-v3", "resync: 2s").build();
        daemons.add(d);
        d.start().awaitHealthy(WAIT);
        return d;
    }

    private FedsyncdProcess.Result ctl(FedsyncdProcess d, String... args) {
        List<String> all = new ArrayList<>(List.of("--server", d.url("")));
        all.addAll(List.of(args));
        FedsyncdProcess.Result r = FedsyncdProcess.fedsyncctl(Duration.ofSeconds(60), all.toArray(String[]::new));
        outputs.add(r.stdout());
        outputs.add(r.stderr());
        return r;
    }

    private void join(FedsyncdProcess d, String member) {
        FedsyncdProcess.Result r = ctl(d, "join", member, "--kubeconfig", KUBE.kubeconfig(member).toString());
        assertThat(r.exitCode()).as("join %s: %s %s", member, r.stdout(), r.stderr()).isZero();
    }

    private static KubeUsers users(String cluster) {
        return new KubeUsers(KUBE.apiClient(cluster));
    }

    private static void create(String cluster, String name, String email) {
        users(cluster).create(name, email);
    }

    private static void setEmail(String cluster, String name, String email) {
        users(cluster).setEmail(name, email);
    }

    private static Optional<JsonNode> get(String cluster, String name) {
        return users(cluster).get(name);
    }

    private static String email(String cluster, String name) {
        return users(cluster).email(name);
    }

    private static JsonNode readTree(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String key(String name) {
        return USERS.registryPrefix() + name;
    }

    private static JsonNode member(FedsyncdProcess d, String name) {
        for (JsonNode item : d.get("/api/v1/clusters").json().path("items")) {
            if (item.path("name").asText().equals(name)) {
                return item;
            }
        }
        throw new AssertionError("no cluster " + name + " in " + d.get("/api/v1/clusters").body());
    }

    @Test
    @DisplayName("experiment 1: the same user created on both hosts, then edited on one: the member gets it once, then the edit, then nothing")
    void experimentOneSameUserBothHosts() {
        FedsyncdProcess d = start("hold");
        join(d, "member");
        String name = Names.random("xxp");
        try (WatchRecorder onMember = WatchRecorder.open(ETCD.client("member"), key(name))) {
            d.pause(); // both creates land before the mirror sees either, as when users click at once
            create("host", name, "xxp@163.com");
            create("host2", name, "xxp@163.com");
            d.resume();
            await().atMost(WAIT).until(() -> email("member", name).equals("xxp@163.com"));
            setEmail("host", name, "xxp-2@163.com");
            await().atMost(WAIT).until(() -> email("member", name).equals("xxp-2@163.com")
                    && email("host2", name).equals("xxp-2@163.com"));
            // It stops changing: through several resyncs, no more writes than the create and the edit.
            await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(15)).until(() -> onMember.count() == 2);
            assertThat(onMember.events()).extracting(e -> readTree(e.value()).path("spec").path("email").asText())
                    .containsExactly("xxp@163.com", "xxp-2@163.com");
        }
        JsonNode copy = get("member", name).orElseThrow();
        assertThat(copy.path("metadata").path("labels").path("kubefed.io/managed").asText()).isEqualTo("false");
        assertThat(copy.path("metadata").path("annotations").path("fedsync.io/origin-cluster").asText())
                .isIn("host", "host2");
        assertThat(d.conflicts("")).as("S1: no real conflict").noneMatch(c -> c.path("state").asText().equals("open"));
    }

    @Test
    @DisplayName("experiment 2 / S2: different edits on both hosts: one conflict reported, the member keeps what it had until it is resolved, then gets one write")
    void experimentTwoConflictHoldsTheMember() {
        FedsyncdProcess d = start("hold");
        join(d, "member");
        String name = Names.random("xxp");
        create("host", name, "first@163.com");
        await().atMost(WAIT).until(() -> email("member", name).equals("first@163.com"));
        try (WatchRecorder onMember = WatchRecorder.open(ETCD.client("member"), key(name))) {
            d.pause();
            setEmail("host", name, "on-host@163.com");
            setEmail("host2", name, "on-host2@163.com");
            d.resume();
            await().atMost(WAIT).until(() -> d.conflicts("state=open").stream()
                    .anyMatch(c -> c.path("key").asText().equals(key(name))));
            await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(15)).until(() -> onMember.count() == 0);
            assertThat(email("member", name)).isEqualTo("first@163.com");
            String id = d.conflicts("state=open").stream().filter(c -> c.path("key").asText().equals(key(name)))
                    .findFirst().orElseThrow().path("id").asText();
            FedsyncdProcess.Result r = ctl(d, "resolve", id, "--winner", "host2");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            await().atMost(WAIT).until(() -> email("member", name).equals("on-host2@163.com"));
            await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(15)).until(() -> onMember.count() == 1);
        }
    }

    @Test
    @DisplayName("experiment 3 / S3: a delete on one host while the other edits is a conflict (the member keeps the user); a delete alone reaches the member and sticks")
    void experimentThreeDeleteSticks() {
        FedsyncdProcess d = start("hold");
        join(d, "member");
        String name = Names.random("del");
        create("host", name, "x@163.com");
        await().atMost(WAIT).until(() -> email("member", name).equals("x@163.com"));
        d.pause();
        users("host").delete(name);
        setEmail("host2", name, "edited@163.com");
        d.resume();
        await().atMost(WAIT).until(() -> d.conflicts("state=open").stream()
                .anyMatch(c -> c.path("key").asText().equals(key(name))));
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(12))
                .until(() -> email("member", name).equals("x@163.com"));

        String gone = Names.random("gone");
        create("host", gone, "g@163.com");
        await().atMost(WAIT).until(() -> email("member", gone).equals("g@163.com"));
        try (WatchRecorder onMember = WatchRecorder.open(ETCD.client("member"), key(gone))) {
            users("host2").delete(gone);
            await().atMost(WAIT).until(() -> get("member", gone).isEmpty() && get("host", gone).isEmpty());
            // Nothing brings it back: one delete, then quiet through resyncs.
            await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(15))
                    .until(() -> onMember.count() == 1 && get("member", gone).isEmpty());
        }
    }

    @Test
    @DisplayName("S8: a member with another jwtSecret is refused at join naming the cause, gets nothing; the secret is in no answer or log")
    void wrongJwtSecretIsRefused() {
        FedsyncdProcess d = start("hold");
        join(d, "member");
        FedsyncdProcess.Result r = ctl(d, "join", "stranger", "--kubeconfig", KUBE.kubeconfig("stranger").toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stdout() + r.stderr()).contains("jwtSecret").contains("differs");
        String name = Names.random("s8");
        create("host", name, "s8@163.com");
        await().atMost(WAIT).until(() -> email("member", name).equals("s8@163.com"));
        assertThat(get("stranger", name)).isEmpty();
        String clusters = d.get("/api/v1/clusters").body();
        assertThat(clusters).contains("\"member\"").doesNotContain("\"stranger\"");
        outputs.add(clusters);
        for (String host : List.of("host", "host2")) {
            await().atMost(WAIT).untilAsserted(() -> {
                JsonNode h = member(d, host);
                assertThat(h.path("role").asText()).isEqualTo("host");
                assertThat(h.path("reachable").asBoolean(false)).as(h.toString()).isTrue();
                assertThat(h.path("jwtSecret").asText()).as(h.toString()).isEqualTo("source");
            });
        }
        String metrics = d.get("/metrics").body();
        outputs.add(metrics);
        assertThat(metrics).containsPattern("fedsync_federation_member_jwt_secret_matches\\{member=\"member\"[^}]*} 1\\.0")
                .containsPattern("fedsync_federation_member_writes_total\\{member=\"member\"[^}]*op=\"create\"[^}]*} [1-9]")
                .containsPattern("fedsync_federation_members\\{[^}]*} 1\\.0")
                .containsPattern("fedsync_federation_member_refused\\{member=\"member\"[^}]*} 0\\.0")
                // Where the time went: the queue's waits and the member's answers, as histograms.
                .containsPattern("fedsync_federation_queue_wait_seconds_count\\{member=\"member\"[^}]*} [1-9]")
                .containsPattern("fedsync_federation_member_write_seconds_count\\{member=\"member\"[^}]*op=\"create\""
                        + "[^}]*outcome=\"ok\"[^}]*} [1-9]")
                .containsPattern("fedsync_federation_member_write_seconds_bucket\\{(?=[^}]*member=\"member\")"
                        + "(?=[^}]*le=\"15\\.0\")[^}]*} [1-9]")
                .doesNotContain("stranger");
        FedsyncdProcess.Result check = ctl(d, "check-jwt", "member");
        assertThat(check.exitCode()).as(check.stdout() + check.stderr()).isZero();
        assertThat(check.stdout()).contains("matches");
    }

    @Test
    @DisplayName("S9: a member down across a fedsyncd restart blocks neither start-up nor the other member; back, it gets the delete it missed")
    void memberDownAcrossRestart() throws Exception {
        FedsyncdProcess d = start("hold");
        join(d, "member");
        join(d, "member2");
        String kept = Names.random("kept");
        String doomed = Names.random("doomed");
        create("host", kept, "k@163.com");
        create("host", doomed, "d@163.com");
        await().atMost(WAIT).until(() -> email("member2", doomed).equals("d@163.com")
                && email("member2", kept).equals("k@163.com") && email("member", doomed).equals("d@163.com"));

        KUBE.stop("member2");
        d.stop();
        assertThat(d.logText()).as("a clean stop logs no ERROR (client-java's informers say 'processor interrupted')")
                .doesNotContain(" ERROR ");
        users("host").delete(doomed);
        String added = Names.random("added");
        create("host", added, "a@163.com");
        d.start().awaitHealthy(WAIT);
        await().atMost(WAIT).until(() -> get("member", doomed).isEmpty() && email("member", added).equals("a@163.com"));
        await().atMost(WAIT).until(() -> !member(d, "member2").path("reachable").asBoolean(true));
        JsonNode down = member(d, "member2");
        assertThat(down.path("detail").asText()).isNotEmpty();
        FedsyncdProcess.Result table = ctl(d, "clusters");
        assertThat(table.exitCode()).isZero();
        assertThat(table.stdout()).contains("member2");

        KUBE.restart("member2");
        await().atMost(WAIT).until(() -> get("member2", doomed).isEmpty() && email("member2", added).equals("a@163.com")
                && email("member2", kept).equals("k@163.com"));
        await().atMost(WAIT).until(() -> member(d, "member2").path("reachable").asBoolean(false));
    }

    @Test
    @DisplayName("unjoin stops pushes (copies stay); a join of the same cluster twice is refused; a kubeconfig that does not exist is named")
    void unjoinAndJoinTwice() throws Exception {
        FedsyncdProcess d = start("hold");
        join(d, "member");
        FedsyncdProcess.Result twice = ctl(d, "join", "again", "--kubeconfig", KUBE.kubeconfig("member").toString());
        assertThat(twice.exitCode()).isEqualTo(1);
        assertThat(twice.stdout() + twice.stderr()).contains("joined already");
        Path missing = dir.resolve("nope.kubeconfig");
        FedsyncdProcess.Result none = ctl(d, "join", "nope", "--kubeconfig", missing.toString());
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.stderr()).contains(missing.toString());
        Files.writeString(dir.resolve("broken.kubeconfig"), "clusters: [: not yaml");
        FedsyncdProcess.Result broken = ctl(d, "join", "broken", "--kubeconfig", dir.resolve("broken.kubeconfig").toString());
        assertThat(broken.exitCode()).isEqualTo(1);
        assertThat(broken.stdout() + broken.stderr()).contains("broken.kubeconfig");

        String before = Names.random("before");
        create("host", before, "b@163.com");
        await().atMost(WAIT).until(() -> email("member", before).equals("b@163.com"));
        FedsyncdProcess.Result un = ctl(d, "unjoin", "member");
        assertThat(un.exitCode()).as(un.stderr()).isZero();
        String after = Names.random("after");
        create("host", after, "a@163.com");
        await().atMost(WAIT).until(() -> email("host2", after).equals("a@163.com"));
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() -> get("member", after).isEmpty());
        assertThat(email("member", before)).as("what was pushed stays").isEqualTo("b@163.com");
        assertThat(d.get("/api/v1/clusters").body()).doesNotContain("\"member\"");
    }

    @Test
    @DisplayName("join --dry-run lists what joining would do and writes nothing; a kubeconfig with insecure-skip-tls-verify joins with a warning")
    void dryRunWritesNothingAndInsecureKubeconfigWarns() throws Exception {
        FedsyncdProcess d = start("hold");
        String name = Names.random("preview");
        create("host", name, "p@163.com");
        await().atMost(WAIT).until(() -> email("host2", name).equals("p@163.com"));
        Path insecure = dir.resolve("member2-insecure.kubeconfig");
        Files.writeString(insecure, Files.readString(KUBE.kubeconfig("member2"))
                .replace("  cluster:\n", "  cluster:\n    insecure-skip-tls-verify: true\n"));
        try (WatchRecorder onMember = WatchRecorder.open(ETCD.client("member2"), "/registry/")) {
            FedsyncdProcess.Result dry = ctl(d, "join", "member2", "--kubeconfig", insecure.toString(), "--dry-run");
            assertThat(dry.exitCode()).as(dry.stdout() + dry.stderr()).isZero();
            assertThat(dry.stdout()).contains(name).containsIgnoringCase("create").contains("nothing was written");
            assertThat(dry.stdout() + dry.stderr()).contains("insecure-skip-tls-verify");
            assertThat(d.get("/api/v1/clusters").body()).doesNotContain("\"member2\"");
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6)).until(() -> onMember.count() == 0);
        }
        FedsyncdProcess.Result join = ctl(d, "join", "member2", "--kubeconfig", insecure.toString());
        assertThat(join.exitCode()).as(join.stdout() + join.stderr()).isZero();
        assertThat(join.stdout() + join.stderr()).contains("WARN").contains("insecure-skip-tls-verify");
        await().atMost(WAIT).until(() -> email("member2", name).equals("p@163.com"));
        assertThat(member(d, "member2").path("warnings").toString()).contains("insecure-skip-tls-verify");
    }

    private static void setJwtSecret(String cluster, String secret) {
        io.fedsync.itest.kube.KubeSphereInstall.setJwtSecret(KUBE.apiClient(cluster), "member", secret);
    }

    @Test
    @DisplayName("a member whose jwtSecret changes after it joined stops receiving within a resync and is reported; fixed, it gets what it missed")
    void jwtSecretChangedAfterJoin() throws Exception {
        FedsyncdProcess d = start("hold");
        join(d, "member2");
        join(d, "member");
        try {
            setJwtSecret("member2", WRONG_SECRET);
            await().atMost(WAIT).until(() -> member(d, "member2").path("jwtSecret").asText().equals("differs"));
            FedsyncdProcess.Result check = ctl(d, "check-jwt", "member2");
            assertThat(check.exitCode()).isEqualTo(1);
            assertThat(check.stdout() + check.stderr()).contains("differs");
            String name = Names.random("jwt");
            create("host", name, "j@163.com");
            await().atMost(WAIT).until(() -> email("member", name).equals("j@163.com"));
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() -> get("member2", name).isEmpty());
            assertThat(d.logText()).contains("[member2] the member's jwtSecret differs from the hosts': nothing is pushed");

            setJwtSecret("member2", SECRET);
            await().atMost(WAIT).until(() -> email("member2", name).equals("j@163.com"));
            assertThat(member(d, "member2").path("jwtSecret").asText()).isEqualTo("matches");
        } finally {
            setJwtSecret("member2", SECRET);
        }
    }

    @Test
    @DisplayName("S9: a member that hangs (its etcd paused: every call waits out a timeout) delays no other member; resumed, it catches up")
    void aHangingMemberDelaysNoOther() {
        FedsyncdProcess d = start("hold");
        join(d, "member");
        join(d, "member2");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            names.add(Names.random("hang"));
        }
        ETCD.get("member2").pause();
        try {
            long started = System.nanoTime();
            names.forEach(n -> create("host", n, n + "@163.com"));
            await().atMost(WAIT).until(() -> names.stream().allMatch(n -> get("member", n).isPresent()));
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            System.out.println("12 users reached the healthy member in " + took.toMillis() + " ms while member2 hung");
            assertThat(took).as("the healthy member waits on no timeout of the hanging one")
                    .isLessThan(Duration.ofSeconds(15));
            await().atMost(WAIT).until(() -> !member(d, "member2").path("reachable").asBoolean(true));
        } finally {
            ETCD.get("member2").resume();
        }
        await().atMost(WAIT).until(() -> names.stream().allMatch(n -> get("member2", n).isPresent()));
    }
}
