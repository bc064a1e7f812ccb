package io.fedsync.daemon.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fedsync.conflict.ConflictType;
import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.daemon.http.ApiAuth;
import io.fedsync.daemon.http.ApiServer;
import io.fedsync.daemon.http.ApiToken;
import io.fedsync.daemon.http.Metrics;
import io.fedsync.raft.RaftStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks {@code deploy/prometheus/} and {@code deploy/grafana/} with the real {@code promtool} (Debian's
 * {@code prometheus} package): the rules load, their unit tests pass, every PromQL expression of the dashboard
 * parses, and every metric they name is one a real {@code GET /metrics} serves. Fails (never skips) without
 * promtool.
 */
class PrometheusRulesTest {

    private static final Path DEPLOY = repoRoot().resolve("deploy");
    private static final Path RULES = DEPLOY.resolve("prometheus/fedsync-alerts.yml");
    private static final Path RULE_TESTS = DEPLOY.resolve("prometheus/fedsync-alerts.test.yml");
    private static final Path DASHBOARD = DEPLOY.resolve("grafana/fedsync-dashboard.json");
    /** Metric-like names in PromQL and in text: what fedsync and Micrometer's binders export. */
    private static final Pattern METRIC = Pattern.compile("\\b((?:fedsync|jvm|process|system)_[a-z0-9_]+)\\b");

    @TempDir
    Path tmp;

    private static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("deploy/prometheus"))) {
                return p;
            }
        }
        throw new IllegalStateException("no deploy/prometheus above " + dir);
    }

    private static String promtool() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "promtool");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return fail("promtool not found on PATH: it comes with Debian's prometheus package; run bin/install-deps"
                + " (as root) to install it");
    }

    private record Run(int exit, String output) {
    }

    private static Run run(Path workDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(promtool());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish within 60 s");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void alertRulesLoad() throws Exception {
        Run r = run(RULES.getParent(), "check", "rules", RULES.getFileName().toString());
        assertThat(r.exit()).as("promtool check rules %s:%n%s", RULES, r.output()).isZero();
    }

    @Test
    void alertRuleUnitTestsPass() throws Exception {
        Run r = run(RULE_TESTS.getParent(), "test", "rules", RULE_TESTS.getFileName().toString());
        assertThat(r.exit()).as("promtool test rules %s:%n%s", RULE_TESTS, r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void everyAlertHasForSeverityAndTemplatedAnnotations() throws Exception {
        JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
        List<String> alerts = new ArrayList<>();
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.path("alert").asText();
                alerts.add(name);
                assertThat(rule.has("for")).as(name + ": for").isTrue();
                assertThat(rule.path("labels").path("severity").asText()).as(name + ": severity")
                        .isIn("warning", "critical");
                for (String a : List.of("summary", "description", "runbook")) {
                    assertThat(rule.path("annotations").path(a).asText()).as(name + ": annotation " + a).isNotBlank();
                }
                assertThat(rule.path("annotations").path("summary").asText() + rule.path("annotations")
                        .path("description").asText()).as(name + ": labels or value templated").contains("{{ $");
            }
        }
        assertThat(alerts).contains("FedsyncConflictOpen", "FedsyncMirrorLagHigh", "FedsyncMirrorLagCritical",
                "FedsyncNoLeader", "FedsyncClusterUnreachable", "FedsyncVerifyDivergence", "FedsyncFlipFlop",
                "FedsyncMirrorUnhealthy", "FedsyncReplicaDown");
        String tests = Files.readString(RULE_TESTS);
        for (String a : alerts) {
            assertThat(tests).as("a promtool unit test of " + a).contains("alertname: " + a + "\n");
        }
    }

    /** Every {@code expr} of the dashboard, and the selectors of its {@code label_values} variable queries. */
    static Map<String, String> dashboardExpressions(JsonNode dashboard) {
        Map<String, String> out = new LinkedHashMap<>();
        collectExprs(dashboard.path("panels"), "", out);
        Pattern labelValues = Pattern.compile("^label_values\\((.+),\\s*[a-zA-Z_]+\\)$");
        for (JsonNode v : dashboard.path("templating").path("list")) {
            if (!"query".equals(v.path("type").asText())) {
                continue;
            }
            String q = v.path("query").isObject() ? v.path("query").path("query").asText() : v.path("query").asText();
            Matcher m = labelValues.matcher(q.trim());
            out.put("variable " + v.path("name").asText(), m.matches() ? m.group(1) : q);
        }
        return out;
    }

    private static void collectExprs(JsonNode panels, String prefix, Map<String, String> out) {
        for (JsonNode p : panels) {
            String title = prefix + p.path("title").asText();
            int i = 0;
            for (JsonNode t : p.path("targets")) {
                out.put("panel \"" + title + "\" target " + (i++), t.path("expr").asText());
            }
            collectExprs(p.path("panels"), title + " / ", out);
        }
    }

    /** Grafana's placeholders replaced by values Prometheus accepts. */
    static String concrete(String expr) {
        return expr.replace("$__rate_interval", "1m").replace("${__rate_interval}", "1m")
                .replace("$__interval", "1m").replace("${__interval}", "1m").replace("$__range", "1h")
                .replace("${node}", "a").replace("$node", "a").replace("${job}", "fedsync").replace("$job", "fedsync");
    }

    /** Runs promtool check rules over one recording rule per expression; the failing expressions are named. */
    private Run checkExpressions(Map<String, String> exprs) throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<Map<String, String>> rules = new ArrayList<>();
        int i = 0;
        for (String e : exprs.values()) {
            rules.add(Map.of("record", "dashboard:expr_" + (i++), "expr", concrete(e)));
        }
        Path file = tmp.resolve("dashboard-exprs.yml");
        yaml.writeValue(file.toFile(), Map.of("groups", List.of(Map.of("name", "dashboard", "rules", rules))));
        return run(tmp, "check", "rules", file.getFileName().toString());
    }

    @Test
    void everyDashboardExpressionParses() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertThat(dashboard.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
        List<String> variables = new ArrayList<>();
        dashboard.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));
        assertThat(variables).contains("datasource", "node");
        Map<String, String> exprs = dashboardExpressions(dashboard);
        assertThat(exprs).hasSizeGreaterThan(20);
        List<String> problems = new ArrayList<>();
        exprs.forEach((where, e) -> {
            if (e.isBlank()) {
                problems.add(where + ": no expr");
            }
            if (concrete(e).contains("$")) {
                problems.add(where + ": a placeholder this test does not know: " + e);
            }
        });
        assertThat(problems).isEmpty();
        Run r = checkExpressions(exprs);
        StringBuilder listed = new StringBuilder();
        int i = 0;
        for (Map.Entry<String, String> e : exprs.entrySet()) {
            listed.append("  dashboard:expr_").append(i++).append(" = ").append(e.getKey()).append(": ")
                    .append(e.getValue()).append('\n');
        }
        assertThat(r.exit()).as("promtool check rules on the dashboard's expressions:%n%s%n%s", r.output(), listed)
                .isZero();
        // Every panel queries a data source through the ${datasource} variable.
        for (JsonNode p : dashboard.path("panels")) {
            if (!"row".equals(p.path("type").asText())) {
                assertThat(p.path("datasource").path("uid").asText()).as(p.path("title").asText())
                        .isEqualTo("${datasource}");
                assertThat(p.path("targets")).as(p.path("title").asText() + ": targets").isNotEmpty();
            }
        }
    }

    @Test
    void theExpressionCheckRejectsBrokenPromQl() throws Exception {
        Run r = checkExpressions(Map.of("broken", "sum by (type) (rate(fedsync_conflicts_detected_total[$__rate_interval])"));
        assertThat(r.exit()).as(r.output()).isNotZero();
    }

    @Test
    void everyMetricNamedIsServedByARealScrape() throws Exception {
        Set<String> served = scrapedNames();
        Set<String> named = new TreeSet<>();
        // What the rules query and their annotations name (not the file's comments), and the dashboard's
        // expressions, variable queries and descriptions.
        StringBuilder text = new StringBuilder();
        for (JsonNode group : new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                text.append(rule.path("expr").asText()).append('\n');
                rule.path("annotations").forEach(a -> text.append(a.asText()).append('\n'));
            }
        }
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        dashboardExpressions(dashboard).values().forEach(e -> text.append(e).append('\n'));
        dashboard.findValues("description").forEach(d -> text.append(d.asText()).append('\n'));
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            named.add(m.group(1));
        }
        assertThat(named).as("metric names found in the rules and the dashboard").hasSizeGreaterThan(20);
        Set<String> unknown = new TreeSet<>(named);
        unknown.removeAll(served);
        assertThat(unknown).as("names in %s or %s that GET /metrics does not serve (served: %s)", RULES, DASHBOARD,
                served).isEmpty();
    }

    /** The metric names of a real {@code GET /metrics} answer of the daemon's ApiServer. */
    private static Set<String> scrapedNames() throws Exception {
        FakeMirrorService mirror = new FakeMirrorService();
        mirror.conflicts.add(FakeMirrorService.open("a1", "/registry/iam.kubesphere.io/users/alice",
                ConflictType.CONCURRENT_UPDATE, "host", "host2"));
        AtomicReference<RaftStatus> raft = new AtomicReference<>(new RaftStatus("a", "leader", "a", 4, 7,
                List.of(new RaftStatus.PeerStatus("a", "127.0.0.1:1", "leader", 0))));
        Map<String, Long> counters = new HashMap<>(Map.of("dataWrites", 1L));
        Metrics metrics = new Metrics("a", mirror, raft::get, () -> Map.copyOf(counters), () -> 1);
        // A replica that pushes to one member, with one write and one wait recorded.
        metrics.withFederation(() -> List.of(new io.fedsync.federation.Federator.MemberState("m1", true, true, null,
                1, 0, 0, 0, 0, null, null, java.time.Instant.now(), 0, "https://m1.example:6443", List.of(), Map.of(),
                Map.of(), 0)));
        metrics.federationTimings().waited("m1", Duration.ofMillis(3));
        metrics.federationTimings().wrote("m1", "create", true, Duration.ofMillis(20));
        metrics.federationTimings().wrote("m1", "create", false, Duration.ofSeconds(15));
        ListenAddress listen = new ListenAddress("127.0.0.1", 0);
        ApiToken token = ApiToken.of(Path.of("/etc/fedsync/api.token"), "s3cret-token-for-the-test-0123456789");
        ApiServer server = ApiServer.start(mirror, listen, raft::get, null, "a", Optional::empty,
                ApiAuth.of(token, listen), metrics);
        try {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build();
            AtomicReference<Set<String>> names = new AtomicReference<>();
            // GC pause meters appear with the first collection after they were bound.
            Awaitility.await("a scrape listing jvm_gc_pause_seconds").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(200)).until(() -> {
                        System.gc();
                        HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
                        assertThat(r.statusCode()).isEqualTo(200);
                        Set<String> n = new TreeSet<>();
                        for (String line : r.body().split("\n")) {
                            if (!line.isBlank() && !line.startsWith("#")) {
                                n.add(line.split("[{ ]", 2)[0]);
                            }
                        }
                        names.set(n);
                        return n.contains("jvm_gc_pause_seconds_count");
                    });
            // A histogram is served as NAME_bucket, _count and _sum: its family NAME counts as served.
            Set<String> served = new TreeSet<>(names.get());
            names.get().stream().filter(n -> n.endsWith("_bucket"))
                    .forEach(n -> served.add(n.substring(0, n.length() - "_bucket".length())));
            return served;
        } finally {
            server.close();
        }
    }
}
