package io.fedsync.itest.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.FreePorts;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's {@code prometheus} package) scraping a real fedsyncd that holds a real S2 conflict,
 * with {@code deploy/prometheus/fedsync-alerts.yml} loaded (the conflict alert's {@code for:} shortened): the
 * alert fires, once, as seen through Prometheus' HTTP API.
 */
@DisplayName("deploy/prometheus alert rules in a real Prometheus scraping a real fedsyncd")
class PrometheusAlertIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host", "host2").build();

    @TempDir
    Path dir;

    private FedsyncdProcess fedsyncd;
    private Process prometheus;

    @AfterEach
    void stopAll() throws InterruptedException {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (fedsyncd != null) {
            fedsyncd.kill();
        }
    }

    private static Path rulesFile() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path f = p.resolve("deploy/prometheus/fedsync-alerts.yml");
            if (Files.isRegularFile(f)) {
                return f;
            }
        }
        throw new IllegalStateException("deploy/prometheus/fedsync-alerts.yml not found above " + Path.of("")
                .toAbsolutePath());
    }

    private String prometheusLog() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("prometheus.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no prometheus.log: " + e + ")";
        }
    }

    private JsonNode getJson(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return new ObjectMapper().readTree(r.body());
    }

    private List<JsonNode> alerts(int port, String name) throws IOException, InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode a : getJson(port, "/api/v1/alerts").path("data").path("alerts")) {
            if (name.equals(a.path("labels").path("alertname").asText())) {
                out.add(a);
            }
        }
        return out;
    }

    @Test
    @DisplayName("an S2 conflict held by fedsyncd fires FedsyncConflictOpen in Prometheus, once")
    void conflictAlertFires() throws Exception {
        assertThat(PROMETHEUS).as("%s: Debian's prometheus package; run bin/install-deps", PROMETHEUS).isExecutable();

        // A real S2 conflict, as MetricsIT and users make it: fedsyncd stopped, both hosts edit one user.
        fedsyncd = FedsyncdProcess.builder(dir.resolve("fedsyncd")).cluster("host", etcd.get("host"))
                .cluster("host2", etcd.get("host2")).build();
        fedsyncd.start().awaitHealthy(WAIT);
        String name = "alert-" + Names.randomSuffix();
        String key = KubeObjects.userKey(name);
        Kv.put(etcd.client("host"), key, KubeObjects.user(name, name + "@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(etcd.client("host2"), key).isPresent());
        await().pollDelay(Duration.ofSeconds(1)).atMost(WAIT).until(() -> true); // metadata stamped before the stop
        fedsyncd.stop();
        Kv.put(etcd.client("host"), key, KubeObjects.user(name, name + "-one@163.com"));
        Kv.put(etcd.client("host2"), key, KubeObjects.user(name, name + "-two@163.com"));
        fedsyncd.start().awaitHealthy(WAIT);
        await().atMost(WAIT).until(() -> fedsyncd.conflicts("state=open&key=" + key).size() == 1);

        // The shipped rules, with only the conflict alert's 15m shortened to 5s (other alerts wait 15m too).
        String rules = Files.readString(rulesFile());
        int conflictRule = rules.indexOf("- alert: FedsyncConflictOpen");
        int nextRule = rules.indexOf("- alert:", conflictRule + 1);
        int wait = rules.indexOf("for: 15m", conflictRule);
        assertThat(conflictRule).as("FedsyncConflictOpen in the shipped rules").isNotNegative();
        assertThat(wait).as("FedsyncConflictOpen's `for: 15m`").isGreaterThan(conflictRule).isLessThan(nextRule);
        Files.writeString(dir.resolve("fedsync-alerts.yml"),
                rules.substring(0, wait) + "for: 5s" + rules.substring(wait + "for: 15m".length()));
        int port = FreePorts.pick();
        Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files:
                  - fedsync-alerts.yml
                scrape_configs:
                  - job_name: fedsync
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                """.formatted(fedsyncd.httpPort()));
        prometheus = new ProcessBuilder(PROMETHEUS.toString(),
                "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + port)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("prometheus.log").toFile())
                .start();

        await("Prometheus ready").atMost(WAIT).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> {
                    assertThat(prometheus.isAlive()).as("prometheus exited:%n%s", prometheusLog()).isTrue();
                    assertThat(getJson(port, "/api/v1/rules").path("data").path("groups")).isNotEmpty();
                });
        await("fedsyncd scraped").atMost(WAIT).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            JsonNode targets = getJson(port, "/api/v1/targets").path("data").path("activeTargets");
            assertThat(targets).as("targets; prometheus log:%n%s", prometheusLog()).hasSize(1);
            assertThat(targets.get(0).path("health").asText()).as(targets.toString()).isEqualTo("up");
        });
        await("FedsyncConflictOpen firing").atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            List<JsonNode> firing = alerts(port, "FedsyncConflictOpen");
            assertThat(firing).as("FedsyncConflictOpen in /api/v1/alerts; prometheus log:%n%s", prometheusLog())
                    .hasSize(1);
            assertThat(firing.get(0).path("state").asText()).isEqualTo("firing");
        });
        JsonNode alert = alerts(port, "FedsyncConflictOpen").get(0);
        assertThat(alert.path("labels").path("type").asText()).isEqualTo("concurrent-update");
        assertThat(alert.path("labels").path("severity").asText()).isEqualTo("warning");
        assertThat(alert.path("labels").path("job").asText()).isEqualTo("fedsync");
        assertThat(alert.path("annotations").path("summary").asText())
                .isEqualTo("fedsync: 1 concurrent-update conflict(s) open for more than 15m");
        assertThat(alert.path("annotations").path("runbook").asText()).contains("fedsyncctl conflicts --state open");
        // A healthy single fedsyncd leads its group of one and reaches both clusters: nothing else fires.
        assertThat(alerts(port, "FedsyncNoLeader")).isEmpty();
        assertThat(alerts(port, "FedsyncClusterUnreachable")).isEmpty();
        assertThat(alerts(port, "FedsyncReplicaDown")).isEmpty();
    }
}
