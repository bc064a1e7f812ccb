package io.fedsync.itest.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.FreePorts;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics} of real fedsyncd processes over real etcds, scraped as Prometheus would. */
@DisplayName("GET /metrics: real fedsyncd processes, 2 real etcd clusters")
class MetricsIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host", "host2").build();

    @TempDir
    Path dir;

    private final List<FedsyncdProcess> daemons = new ArrayList<>();

    @AfterEach
    void stopDaemons() {
        daemons.forEach(FedsyncdProcess::kill);
    }

    private Client host() {
        return etcd.client("host");
    }

    private Client host2() {
        return etcd.client("host2");
    }

    /** One scrape: status, content type and the samples by name and labels. */
    private record Scrape(int status, String contentType, String text, Map<String, Map<Map<String, String>, Double>> samples) {

        List<Double> values(String name, String... labels) {
            List<Double> out = new ArrayList<>();
            samples.getOrDefault(name, Map.of()).forEach((l, v) -> {
                for (int i = 0; i < labels.length; i += 2) {
                    if (!labels[i + 1].equals(l.get(labels[i]))) {
                        return;
                    }
                }
                out.add(v);
            });
            return out;
        }

        double value(String name, String... labels) {
            List<Double> v = values(name, labels);
            assertThat(v).as("%s %s in:%n%s", name, List.of(labels), text).hasSize(1);
            return v.get(0);
        }
    }

    private static Scrape scrape(FedsyncdProcess d) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(d.url("/metrics")))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return new Scrape(r.statusCode(), r.headers().firstValue("content-type").orElse(""), r.body(),
                    parse(r.body()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Prometheus' text format 0.0.4; fedsync's label values never hold quotes or commas. */
    private static Map<String, Map<Map<String, String>, Double>> parse(String text) {
        Map<String, Map<Map<String, String>, Double>> samples = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String series = line.substring(0, space);
            double value = Double.parseDouble(line.substring(space + 1));
            Map<String, String> labels = new TreeMap<>();
            String name = series;
            int brace = series.indexOf('{');
            if (brace >= 0) {
                name = series.substring(0, brace);
                for (String pair : series.substring(brace + 1, series.lastIndexOf('}')).split(",")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0) {
                        labels.put(pair.substring(0, eq), pair.substring(eq + 2, pair.length() - 1));
                    }
                }
            }
            samples.computeIfAbsent(name, k -> new HashMap<>()).put(labels, value);
        }
        return samples;
    }

    @Test
    @DisplayName("one fedsyncd: writes counted, lag per pair, an S2 conflict open, both clusters up, JVM metrics;"
            + " host2's etcd stopped shows as down")
    void singleDaemon() {
        FedsyncdProcess d = FedsyncdProcess.builder(dir.resolve("fedsyncd")).cluster("host", etcd.get("host"))
                .cluster("host2", etcd.get("host2")).build();
        daemons.add(d);
        d.start().awaitHealthy(WAIT);
        String run = Names.randomSuffix();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String name = "m" + i + "-" + run;
            keys.add(KubeObjects.userKey(name));
            Kv.put(host(), KubeObjects.userKey(name), KubeObjects.user(name, name + "@163.com"));
        }
        await().atMost(WAIT).until(() -> keys.stream().allMatch(k -> Kv.get(host2(), k).isPresent()));
        await().atMost(WAIT).untilAsserted(() -> assertThat(scrape(d).value("fedsync_mirror_writes_total",
                "outcome", "written")).isGreaterThanOrEqualTo(3));

        // S2: fedsyncd stopped, both hosts edit the same user differently, fedsyncd started again.
        String key = keys.get(0);
        String name = "m0-" + run;
        await().pollDelay(Duration.ofSeconds(1)).atMost(WAIT).until(() -> true); // metadata stamped before the stop
        d.stop();
        Kv.put(host(), key, KubeObjects.user(name, name + "-one@163.com"));
        Kv.put(host2(), key, KubeObjects.user(name, name + "-two@163.com"));
        d.start().awaitHealthy(WAIT);
        await().atMost(WAIT).until(() -> d.conflicts("state=open&key=" + key).size() == 1);

        await().atMost(WAIT).untilAsserted(() -> {
            Scrape s = scrape(d);
            assertThat(s.status()).isEqualTo(200);
            assertThat(s.contentType()).startsWith("text/plain; version=0.0.4");
            assertThat(s.value("fedsync_conflicts_open", "type", "concurrent-update")).isEqualTo(1);
            assertThat(s.value("fedsync_conflicts_open", "type", "update-vs-delete")).isZero();
            assertThat(s.value("fedsync_conflicts_detected_total", "type", "concurrent-update")).isEqualTo(1);
            assertThat(s.value("fedsync_cluster_up", "cluster", "host")).isEqualTo(1);
            assertThat(s.value("fedsync_cluster_up", "cluster", "host2")).isEqualTo(1);
            assertThat(s.value("fedsync_cluster_revision", "cluster", "host")).isPositive();
            assertThat(s.values("fedsync_mirror_lag_revisions", "from", "host", "to", "host2")).hasSize(1);
            assertThat(s.values("fedsync_mirror_lag_seconds", "from", "host2", "to", "host")).hasSize(1);
            assertThat(s.value("fedsync_raft_leader")).isEqualTo(1);
            assertThat(s.value("fedsync_mirror_active")).isEqualTo(1);
            assertThat(s.value("fedsync_flipflops_total")).isZero();
            assertThat(s.values("jvm_memory_used_bytes")).isNotEmpty();
            assertThat(s.values("jvm_threads_live_threads")).hasSize(1);
            assertThat(s.values("process_uptime_seconds")).hasSize(1);
        });
        // No key and no conflict id is a label.
        String id = d.conflicts("state=open&key=" + key).get(0).path("id").asText();
        Scrape s = scrape(d);
        assertThat(s.text()).doesNotContain(id).doesNotContain(run);

        // The verification pass is counted.
        FedsyncdProcess.Response verified = d.send("POST", "/api/v1/verify", null);
        assertThat(verified.status()).isEqualTo(200);
        await().atMost(WAIT).untilAsserted(() -> {
            Scrape after = scrape(d);
            assertThat(after.value("fedsync_verify_runs_total")).isGreaterThanOrEqualTo(1);
            assertThat(after.value("fedsync_verify_last_run_timestamp_seconds")).isPositive();
        });

        etcd.get("host2").stop();
        await().atMost(WAIT).untilAsserted(() -> {
            Scrape down = scrape(d);
            assertThat(down.value("fedsync_cluster_up", "cluster", "host2")).isZero();
            assertThat(down.value("fedsync_cluster_up", "cluster", "host")).isEqualTo(1);
        });
    }

    @Test
    @DisplayName("3 replicas: exactly one has fedsync_raft_leader 1, all report the same term and both clusters up;"
            + " after the leader is killed, another leads and the survivors count the change")
    void raftGroup() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        List<String> ids = List.of("a", "b", "c");
        ids.forEach(id -> ports.put(id, FreePorts.pick()));
        Map<String, FedsyncdProcess> group = new LinkedHashMap<>();
        for (String id : ids) {
            FedsyncdProcess r = FedsyncdProcess.builder(dir.resolve("fedsyncd-" + id)).replica(id, ports)
                    .cluster("host", etcd.get("host")).cluster("host2", etcd.get("host2")).build();
            group.put(id, r);
            daemons.add(r);
        }
        group.values().forEach(FedsyncdProcess::start);
        group.values().forEach(r -> r.awaitHealthy(WAIT));

        String[] leader = new String[1];
        double[] term = new double[1];
        await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            Map<String, Scrape> scrapes = new LinkedHashMap<>();
            group.forEach((id, r) -> scrapes.put(id, scrape(r)));
            List<String> leaders = scrapes.entrySet().stream()
                    .filter(e -> e.getValue().value("fedsync_raft_leader") == 1).map(Map.Entry::getKey).toList();
            assertThat(leaders).hasSize(1);
            assertThat(scrapes.values().stream().map(s -> s.value("fedsync_raft_term")).distinct().toList())
                    .hasSize(1);
            for (Map.Entry<String, Scrape> e : scrapes.entrySet()) {
                Scrape s = e.getValue();
                assertThat(s.value("fedsync_raft_peers")).isEqualTo(3);
                assertThat(s.value("fedsync_raft_has_leader")).isEqualTo(1);
                assertThat(s.value("fedsync_cluster_up", "cluster", "host")).as(e.getKey()).isEqualTo(1);
                assertThat(s.value("fedsync_cluster_up", "cluster", "host2")).as(e.getKey()).isEqualTo(1);
                assertThat(s.value("fedsync_mirror_active")).as(e.getKey()).isEqualTo(e.getKey().equals(leaders.get(0))
                        ? 1 : 0);
                assertThat(s.values("fedsync_raft_term", "node", e.getKey())).hasSize(1);
            }
            leader[0] = leaders.get(0);
            term[0] = scrapes.get(leaders.get(0)).value("fedsync_raft_term");
        });

        List<String> survivors = ids.stream().filter(id -> !id.equals(leader[0])).toList();
        Map<String, Double> changesBefore = new HashMap<>();
        survivors.forEach(id -> changesBefore.put(id, scrape(group.get(id)).value("fedsync_raft_leader_changes_total")));
        group.get(leader[0]).kill();

        await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            Map<String, Scrape> scrapes = new LinkedHashMap<>();
            survivors.forEach(id -> scrapes.put(id, scrape(group.get(id))));
            assertThat(scrapes.values().stream().filter(s -> s.value("fedsync_raft_leader") == 1).count())
                    .isEqualTo(1);
            assertThat(scrapes.values().stream().map(s -> s.value("fedsync_raft_term")).distinct().toList())
                    .singleElement().satisfies(t -> assertThat(t).isGreaterThan(term[0]));
            for (String id : survivors) {
                assertThat(scrapes.get(id).value("fedsync_raft_leader_changes_total")).as(id)
                        .isGreaterThan(changesBefore.get(id));
            }
        });
    }
}
