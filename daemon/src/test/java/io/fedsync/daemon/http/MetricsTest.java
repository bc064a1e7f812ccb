package io.fedsync.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedsync.conflict.ConflictType;
import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.mirror.MirrorStatus;
import io.fedsync.raft.RaftStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetricsTest {

    private final FakeMirrorService mirror = new FakeMirrorService();
    private final AtomicReference<RaftStatus> raft = new AtomicReference<>(new RaftStatus("a", "leader", "a", 4, 7,
            List.of(new RaftStatus.PeerStatus("a", "127.0.0.1:1", "leader", 0),
                    new RaftStatus.PeerStatus("b", "127.0.0.1:2", "follower", 10),
                    new RaftStatus.PeerStatus("c", "127.0.0.1:3", "follower", 10))));
    private final Map<String, Long> counters = new HashMap<>();
    private final AtomicLong leaderChanges = new AtomicLong(2);
    private Metrics metrics;

    @BeforeEach
    void setUp() {
        mirror.conflicts.add(FakeMirrorService.open("a1", "/registry/iam.kubesphere.io/users/alice",
                ConflictType.CONCURRENT_UPDATE, "host", "host2"));
        mirror.conflicts.add(FakeMirrorService.open("a2", "/registry/iam.kubesphere.io/users/carol",
                ConflictType.CONCURRENT_UPDATE, "host", "host2"));
        mirror.conflicts.add(FakeMirrorService.open("b2", "/registry/iam.kubesphere.io/users/dave",
                ConflictType.UPDATE_VS_DELETE, "host", "host2"));
        mirror.conflicts.add(FakeMirrorService.resolved("c3", "/registry/iam.kubesphere.io/users/bob", "host",
                "host", "host2"));
        counters.putAll(Map.of("dataWrites", 12L, "metaStamps", 2L, "echoesDropped", 9L, "fenceRejections", 1L,
                "conflictsDetected.concurrent-update", 3L, "conflictsDetected.update-vs-delete", 1L,
                "verifyRuns", 2L, "verifyDivergent", 5L, "verifyRepaired", 4L, "txns", 30L));
        metrics = new Metrics("a", mirror, raft::get, () -> Map.copyOf(counters), leaderChanges::get);
    }

    @AfterEach
    void tearDown() {
        metrics.close();
    }

    /** One sample: a name and its labels. */
    private record Series(String name, Map<String, String> labels) {
    }

    /** Parses Prometheus' text format 0.0.4 (labels without escaped quotes, which fedsync never emits). */
    static Map<Series, Double> parse(String text) {
        Map<Series, Double> samples = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String nameAndLabels = line.substring(0, line.lastIndexOf(' '));
            double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            Map<String, String> labels = new TreeMap<>();
            String name = nameAndLabels;
            int brace = nameAndLabels.indexOf('{');
            if (brace >= 0) {
                name = nameAndLabels.substring(0, brace);
                String inner = nameAndLabels.substring(brace + 1, nameAndLabels.lastIndexOf('}'));
                for (String pair : inner.split("\",")) {
                    if (pair.isBlank()) {
                        continue;
                    }
                    int eq = pair.indexOf('=');
                    String v = pair.substring(eq + 1).replaceAll("^\"|\"$", "");
                    labels.put(pair.substring(0, eq), v);
                }
            }
            samples.put(new Series(name, labels), value);
        }
        return samples;
    }

    /** The values of the series named {@code name} whose labels include {@code labels} (name, value, …). */
    static List<Double> values(Map<Series, Double> samples, String name, String... labels) {
        List<Double> out = new ArrayList<>();
        samples.forEach((s, v) -> {
            if (!s.name().equals(name)) {
                return;
            }
            for (int i = 0; i < labels.length; i += 2) {
                if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
                    return;
                }
            }
            out.add(v);
        });
        return out;
    }

    static double value(Map<Series, Double> samples, String name, String... labels) {
        List<Double> v = values(samples, name, labels);
        assertThat(v).as(name + " " + List.of(labels)).hasSize(1);
        return v.get(0);
    }

    @Test
    void mirrorWritesByOutcome() {
        Map<Series, Double> m = parse(metrics.scrape());
        assertThat(value(m, "fedsync_mirror_writes_total", "outcome", "written")).isEqualTo(12);
        assertThat(value(m, "fedsync_mirror_writes_total", "outcome", "metadata_only")).isEqualTo(2);
        assertThat(value(m, "fedsync_mirror_writes_total", "outcome", "echo_dropped")).isEqualTo(9);
        assertThat(value(m, "fedsync_mirror_writes_total", "outcome", "fenced")).isEqualTo(1);
        assertThat(value(m, "fedsync_mirror_writes_total", "outcome", "refused")).isZero();
        assertThat(value(m, "fedsync_mirror_txns_total")).isEqualTo(30);
        assertThat(value(m, "fedsync_mirror_active")).isEqualTo(1);
        assertThat(value(m, "fedsync_mirror_healthy")).isEqualTo(1);
        assertThat(value(m, "fedsync_mirror_problems")).isEqualTo(1);
        counters.put("dataWrites", 20L);
        assertThat(value(parse(metrics.scrape()), "fedsync_mirror_writes_total", "outcome", "written")).isEqualTo(20);
    }

    @Test
    void lagPerPairInRevisionsAndSeconds() {
        Map<Series, Double> m = parse(metrics.scrape());
        assertThat(value(m, "fedsync_mirror_lag_revisions", "from", "host", "to", "host2")).isEqualTo(2);
        assertThat(value(m, "fedsync_mirror_lag_seconds", "from", "host", "to", "host2")).isEqualTo(0.04);
        assertThat(value(m, "fedsync_mirror_lag_revisions", "from", "host2", "to", "host")).isZero();
        assertThat(value(m, "fedsync_mirror_cursor_revision", "from", "host", "to", "host2")).isEqualTo(118);
        assertThat(values(m, "fedsync_mirror_lag_seconds")).hasSize(2);
    }

    @Test
    void conflictsOpenAndDetectedByType() {
        Map<Series, Double> m = parse(metrics.scrape());
        assertThat(value(m, "fedsync_conflicts_open", "type", "concurrent-update")).isEqualTo(2);
        assertThat(value(m, "fedsync_conflicts_open", "type", "update-vs-delete")).isEqualTo(1);
        assertThat(value(m, "fedsync_conflicts_open", "type", "flip-flop")).isZero();
        assertThat(value(m, "fedsync_conflicts_detected_total", "type", "concurrent-update")).isEqualTo(3);
        assertThat(value(m, "fedsync_conflicts_detected_total", "type", "update-vs-delete")).isEqualTo(1);
        assertThat(value(m, "fedsync_flipflops_total")).isZero();
        assertThat(value(m, "fedsync_fenced_writes_total")).isEqualTo(1);
    }

    @Test
    void verifyRunsAndDivergences() {
        Map<Series, Double> m = parse(metrics.scrape());
        assertThat(value(m, "fedsync_verify_runs_total")).isEqualTo(2);
        assertThat(value(m, "fedsync_verify_divergent_keys_total")).isEqualTo(5);
        assertThat(value(m, "fedsync_verify_repaired_keys_total")).isEqualTo(4);
        assertThat(value(m, "fedsync_verify_incomplete_runs_total")).isZero();
        assertThat(value(m, "fedsync_verify_last_run_timestamp_seconds"))
                .isEqualTo(FakeMirrorService.T0.getEpochSecond());
    }

    @Test
    void raftTermLeadershipAndLeaderChanges() {
        Map<Series, Double> m = parse(metrics.scrape());
        assertThat(value(m, "fedsync_raft_term")).isEqualTo(4);
        assertThat(value(m, "fedsync_raft_leader")).isEqualTo(1);
        assertThat(value(m, "fedsync_raft_has_leader")).isEqualTo(1);
        assertThat(value(m, "fedsync_raft_peers")).isEqualTo(3);
        assertThat(value(m, "fedsync_raft_leader_changes_total")).isEqualTo(2);
        raft.set(new RaftStatus("a", "follower", "b", 5, 7, raft.get().peers()));
        leaderChanges.incrementAndGet();
        m = parse(metrics.scrape());
        assertThat(value(m, "fedsync_raft_term")).isEqualTo(5);
        assertThat(value(m, "fedsync_raft_leader")).isZero();
        assertThat(value(m, "fedsync_raft_leader_changes_total")).isEqualTo(3);
        raft.set(new RaftStatus("a", "candidate", null, 6, 7, raft.get().peers()));
        assertThat(value(parse(metrics.scrape()), "fedsync_raft_has_leader")).isZero();
    }

    @Test
    void clusterUpFollowsTheirState() {
        Map<Series, Double> m = parse(metrics.scrape());
        assertThat(value(m, "fedsync_cluster_up", "cluster", "host")).isEqualTo(1);
        assertThat(value(m, "fedsync_cluster_up", "cluster", "host2")).isEqualTo(1);
        assertThat(value(m, "fedsync_cluster_revision", "cluster", "host")).isEqualTo(120);
        mirror.status = FakeMirrorService.status("live", "down");
        m = parse(metrics.scrape());
        assertThat(value(m, "fedsync_cluster_up", "cluster", "host2")).isZero();
        assertThat(value(m, "fedsync_cluster_owed_keys", "cluster", "host2")).isEqualTo(3);
    }

    @Test
    void aReplicaStandingByReportsWhatItsProbeReads() {
        MirrorStatus.ClusterStatus answers = new MirrorStatus.ClusterStatus("host", "standby", 50, List.of(), null, 0,
                null);
        MirrorStatus.ClusterStatus silent = new MirrorStatus.ClusterStatus("host2", "standby", 0, List.of(),
                "connection refused", 0, FakeMirrorService.T0);
        MirrorStatus.ClusterStatus notProbedYet = new MirrorStatus.ClusterStatus("host3", "standby", 0, List.of(), null,
                0, null);
        assertThat(Metrics.up(answers)).isTrue();
        assertThat(Metrics.up(silent)).isFalse();
        assertThat(Metrics.up(notProbedYet)).isFalse();
        assertThat(Metrics.up(new MirrorStatus.ClusterStatus("h", "connecting", 0, List.of(), null, 0, null)))
                .isFalse();
        assertThat(Metrics.up(new MirrorStatus.ClusterStatus("h", "loading", 3, List.of(), null, 0, null))).isTrue();
    }

    @Test
    void federationTimersByMemberWithBucketsInSeconds() {
        io.fedsync.federation.Federator.Timings t = metrics.federationTimings();
        t.waited("m1", java.time.Duration.ofMillis(30));
        t.waited("m1", java.time.Duration.ofMillis(700));
        t.wrote("m1", "create", true, java.time.Duration.ofMillis(80));
        t.wrote("m1", "create", false, java.time.Duration.ofSeconds(15));
        t.wrote("m2", "delete", true, java.time.Duration.ofMillis(4));
        String text = metrics.scrape();
        Map<Series, Double> m = parse(text);
        assertThat(value(m, "fedsync_federation_queue_wait_seconds_count", "member", "m1")).isEqualTo(2);
        assertThat(value(m, "fedsync_federation_queue_wait_seconds_sum", "member", "m1")).isCloseTo(0.73,
                org.assertj.core.data.Offset.offset(1e-9));
        assertThat(value(m, "fedsync_federation_queue_wait_seconds_bucket", "member", "m1", "le", "0.05")).isEqualTo(1);
        assertThat(value(m, "fedsync_federation_queue_wait_seconds_bucket", "member", "m1", "le", "1.0")).isEqualTo(2);
        assertThat(value(m, "fedsync_federation_member_write_seconds_count", "member", "m1", "op", "create",
                "outcome", "ok")).isEqualTo(1);
        assertThat(value(m, "fedsync_federation_member_write_seconds_bucket", "member", "m1", "op", "create",
                "outcome", "failed", "le", "10.0")).isZero();
        assertThat(value(m, "fedsync_federation_member_write_seconds_bucket", "member", "m1", "op", "create",
                "outcome", "failed", "le", "15.0")).isEqualTo(1);
        assertThat(value(m, "fedsync_federation_member_write_seconds_count", "member", "m2", "op", "delete",
                "outcome", "ok")).isEqualTo(1);
        // A dozen buckets per series, not Micrometer's hundred-odd of a percentile histogram.
        assertThat(values(m, "fedsync_federation_queue_wait_seconds_bucket", "member", "m1")).hasSize(13);
        assertThat(text).contains("# TYPE fedsync_federation_queue_wait_seconds histogram");
    }

    @Test
    void namesFollowPrometheusConventionsAndLabelsAreBounded() {
        String text = metrics.scrape();
        Map<Series, Double> m = parse(text);
        for (Series s : m.keySet()) {
            if (!s.name().startsWith("fedsync_")) {
                continue;
            }
            assertThat(s.labels().keySet()).as(s.toString()).isSubsetOf("from", "to", "cluster", "outcome", "type", "node");
            assertThat(s.labels()).containsEntry("node", "a");
        }
        assertThat(text).doesNotContain("alice").doesNotContain("a1");
        assertThat(text).contains("# TYPE fedsync_mirror_writes_total counter")
                .contains("# TYPE fedsync_mirror_lag_seconds gauge")
                .contains("# TYPE fedsync_conflicts_open gauge");
        // JVM metrics from Micrometer's binders.
        assertThat(values(m, "jvm_memory_used_bytes")).isNotEmpty();
        assertThat(values(m, "jvm_threads_live_threads")).isNotEmpty();
        assertThat(values(m, "process_uptime_seconds")).isNotEmpty();
        assertThat(values(m, "system_cpu_count")).isNotEmpty();
        assertThat(values(m, "jvm_classes_loaded_classes")).isNotEmpty();
    }

    @Test
    void servedOnAWorkerWithoutTokenInTextFormat() throws Exception {
        ApiToken token = ApiToken.of(Path.of("/etc/fedsync/api.token"), "s3cret-token-for-the-test-0123456789");
        ListenAddress listen = new ListenAddress("127.0.0.1", 0);
        ApiServer server = ApiServer.start(mirror, listen, raft::get, null, "a", java.util.Optional::empty,
                ApiAuth.of(token, listen), metrics);
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain; version=0.0.4");
            assertThat(value(parse(r.body()), "fedsync_conflicts_open", "type", "concurrent-update")).isEqualTo(2);
            assertThat(mirror.calledFrom).isNotEmpty().allMatch(t -> t.startsWith("fedsyncd-http-"));
        } finally {
            server.close();
        }
    }
}
