package io.fedsync.daemon.federation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.daemon.DaemonException;
import io.fedsync.daemon.http.ClusterService;
import io.fedsync.federation.Federator;
import io.fedsync.federation.JoinCheck;
import io.fedsync.federation.JoinPreview;
import io.fedsync.federation.JwtSecret;
import io.fedsync.federation.KubeAccessException;
import io.fedsync.federation.KubeCluster;
import io.fedsync.federation.Member;
import io.fedsync.raft.api.MemberRegistration;
import io.fedsync.raft.api.MemberRegistry;
import io.fedsync.raft.api.RegistrationException;
import io.fedsync.raft.api.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federation as fedsyncd runs it: a {@link Federator} while this replica leads (the mirror
 * runs here), pushing to the members joined in the {@link MemberRegistry}; and the cluster calls of
 * the API (list, join, unjoin, check-jwt).
 *
 * <p>Who does what: {@link #lead()} and {@link #stopLeading()} come from the leadership callbacks
 * and only queue work on this plane's own thread ({@code federation-leader}), which starts and
 * stops the Federator one at a time, so a callback never waits on Kubernetes. The same thread
 * applies registry changes to the running Federator once a second (a join committed on any
 * replica reaches the leader through the Raft log). Joins and unjoins are committed through the
 * registry, which refuses a name or a cluster joined twice where the change is applied, so two
 * operators joining at once cannot both win. A deposed leader's Federator may still be writing
 * for a moment: its writes are conditional on the member's resourceVersion and carry the content
 * the hosts agree on, so the new leader's decisions are never undone by them.
 *
 * <p>Secrets: jwtSecrets are compared by keyed fingerprint (the key lives in this process only);
 * kubeconfigs are referenced by path and never read into a registration, a log line or an answer.
 */
public final class FederationPlane implements ClusterService, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FederationPlane.class);
    /** How often the running Federator is brought up to date with the registry. */
    static final Duration REGISTRY_POLL = Duration.ofSeconds(1);
    /** How long before a Federator that did not start is tried again. */
    static final Duration START_RETRY = Duration.ofSeconds(5);

    /** A host cluster's Kubernetes API, from {@code clusters[].kubeconfig}. */
    public record Host(String name, Path kubeconfig, String context) {
    }

    private final String nodeId;
    private final Federator.Settings settings;
    private final Map<String, KubeCluster> hosts;
    private final Supplier<MemberRegistry> registry;
    private final Federator.MirrorView mirror;
    private final Clock clock;
    private final JwtSecret.FingerprintKey fingerprintKey = JwtSecret.FingerprintKey.random();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "federation-leader");
        t.setDaemon(true);
        return t;
    });
    /**
     * The client of each registration in use: a registration that did not change keeps its client
     * (the Federator sees the same member, not a changed one). On {@link #thread} only.
     */
    private final Map<MemberRegistration, Federator.MemberCluster> clients = new java.util.HashMap<>();
    /** Why a registered member is not pushed to from this replica (its kubeconfig unusable here), by name. */
    private final Map<String, String> unusable = new ConcurrentHashMap<>();
    private volatile boolean leading;
    private volatile boolean closed;
    /** Changed on {@link #thread} only. */
    private volatile Federator federator;
    /** Where the federation's time goes (the metrics'); set before this replica leads. */
    private volatile Federator.Timings timings = Federator.Timings.NONE;
    private List<MemberRegistration> applied = List.of();
    /** The running Federator's registry follow-up; on {@link #thread} only. */
    private java.util.concurrent.ScheduledFuture<?> following;

    /**
     * @param hosts    every host cluster with a kubeconfig (read now: a bad one stops fedsyncd with its name)
     * @param registry the joined members; may answer null until the Raft replica runs
     * @param mirror   the mirror's open conflicts: an object with one is pushed nowhere
     */
    public FederationPlane(String nodeId, Federator.Settings settings, List<Host> hosts,
                           Supplier<MemberRegistry> registry, Federator.MirrorView mirror, Clock clock) {
        this.nodeId = nodeId;
        this.settings = settings;
        this.registry = registry;
        this.mirror = mirror;
        this.clock = clock;
        Map<String, KubeCluster> connected = new LinkedHashMap<>();
        for (Host h : hosts) {
            try {
                KubeCluster c = KubeCluster.connect(h.name(), h.kubeconfig(), h.context());
                c.warnings().forEach(w -> LOG.warn("[{}] {}", h.name(), w));
                connected.put(h.name(), c);
            } catch (IllegalArgumentException e) {
                throw new DaemonException("cannot use the host's kubeconfig (clusters[].kubeconfig): " + e.getMessage(), e);
            }
        }
        if (connected.isEmpty()) {
            throw new DaemonException("federation needs a kubeconfig on at least one host cluster");
        }
        this.hosts = java.util.Collections.unmodifiableMap(connected);
    }

    // --- Leadership ---------------------------------------------------------------------------

    /** This replica leads (its mirror runs): start pushing. Returns at once. */
    public void lead() {
        leading = true;
        submit(this::startFederator);
    }

    /** This replica no longer leads: stop pushing. Returns at once. */
    public void stopLeading() {
        leading = false;
        submit(this::stopFederator);
    }

    @Override
    public boolean leading() {
        return leading;
    }

    private void submit(Runnable r) {
        try {
            thread.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("federation plane closed");
        }
    }

    private void startFederator() {
        if (!leading || closed || federator != null) {
            return;
        }
        MemberRegistry r = registry.get();
        if (r == null) {
            thread.schedule(this::startFederator, START_RETRY.toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        try {
            List<MemberRegistration> members = r.members();
            Federator f = new Federator(settings, hosts, connect(members), mirror, timings);
            f.start();
            federator = f;
            applied = members;
            following = thread.scheduleWithFixedDelay(this::followRegistry, REGISTRY_POLL.toMillis(),
                    REGISTRY_POLL.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("[raft {}] leading: federating to {} member(s)", nodeId, members.size());
        } catch (RuntimeException e) {
            LOG.error("[raft {}] leading, but the federation did not start: {}; trying again in {} s", nodeId,
                    e.getMessage(), START_RETRY.toSeconds(), e);
            thread.schedule(this::startFederator, START_RETRY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void stopFederator() {
        if (following != null) {
            following.cancel(false);
            following = null;
        }
        Federator f = federator;
        federator = null;
        if (f != null) {
            f.close();
            LOG.info("[raft {}] not leading: the federation stopped", nodeId);
        }
    }

    /** On {@link #thread}: a join or unjoin committed since the last look reaches the Federator. */
    private void followRegistry() {
        Federator f = federator;
        MemberRegistry r = registry.get();
        if (f == null || r == null) {
            return;
        }
        try {
            List<MemberRegistration> now = r.members();
            // A kubeconfig that could not be used here is tried again: the file may have been put in place.
            if (!now.equals(applied) || !unusable.isEmpty()) {
                f.setMembers(connect(now));
                applied = now;
            }
        } catch (RuntimeException e) {
            LOG.warn("[raft {}] the joined members could not be read: {}", nodeId, e.getMessage());
        }
    }

    /** The members whose kubeconfig this replica can use; the others are noted in {@link #unusable}. */
    private List<Federator.MemberCluster> connect(List<MemberRegistration> members) {
        List<Federator.MemberCluster> out = new ArrayList<>();
        unusable.keySet().retainAll(members.stream().map(MemberRegistration::name).toList());
        clients.keySet().retainAll(members);
        for (MemberRegistration m : members) {
            Federator.MemberCluster known = clients.get(m);
            if (known != null) {
                out.add(known);
                continue;
            }
            try {
                KubeCluster c = KubeCluster.connect(m.name(), Path.of(m.kubeconfig()), m.context());
                Federator.MemberCluster member = new Federator.MemberCluster(m.name(), c, m.labels());
                clients.put(m, member);
                out.add(member);
                if (unusable.remove(m.name()) != null) {
                    LOG.info("[{}] its kubeconfig {} can be used again", m.name(), m.kubeconfig());
                }
            } catch (IllegalArgumentException e) {
                if (!e.getMessage().equals(unusable.put(m.name(), e.getMessage()))) {
                    LOG.error("[{}] not pushed to from replica {}: {} (the file must exist at that path on every"
                            + " replica)", m.name(), nodeId, e.getMessage());
                }
            }
        }
        return out;
    }

    // --- The API ------------------------------------------------------------------------------

    @Override
    public Answer list() {
        ObjectNode body = Json.object();
        body.put("kind", "ClusterList");
        Federator f = federator;
        ObjectNode fed = body.putObject("federation");
        fed.put("enabled", true);
        fed.put("running", f != null);
        fed.put("profile", settings.profile().configName());
        fed.put("driftPolicy", settings.driftPolicy().configName());
        fed.put("answeredBy", nodeId);
        ArrayNode items = body.putArray("items");
        Map<String, Federator.HostState> hostStates = f == null ? Map.of() : f.hosts();
        for (KubeCluster h : hosts.values()) {
            ObjectNode item = items.addObject();
            item.put("name", h.name());
            item.put("role", "host");
            item.put("server", h.server());
            Federator.HostState hs = hostStates.get(h.name());
            if (hs == null) {
                item.putNull("reachable");
                item.putNull("jwtSecret");
                item.put("detail", f == null ? "this replica does not run the federation now" : "starting");
            } else {
                item.put("reachable", hs.reachable());
                item.put("jwtSecret", hs.jwtSecret());
                item.put("detail", hs.detail());
            }
            warnings(item, h.warnings());
        }
        Map<String, Federator.MemberState> states = new TreeMap<>();
        if (f != null) {
            f.members().forEach(s -> states.put(s.name(), s));
        }
        MemberRegistry r = registry.get();
        List<MemberRegistration> members;
        try {
            members = r == null ? List.of() : r.members();
        } catch (RuntimeException e) {
            return error(503, "the joined members cannot be read now: " + e.getMessage());
        }
        for (MemberRegistration m : members) {
            items.add(item(m, states.get(m.name())));
        }
        return new Answer(200, body);
    }

    private ObjectNode item(MemberRegistration m, Federator.MemberState s) {
        ObjectNode item = Json.object();
        item.put("name", m.name());
        item.put("role", "member");
        item.put("server", s == null ? null : s.server());
        item.put("kubeconfig", m.kubeconfig());
        item.put("context", m.context());
        // The labels placement uses: the hosts' Cluster object's, with those given at join over them.
        ObjectNode labels = item.putObject("labels");
        (s == null ? m.labels() : s.labels()).forEach(labels::put);
        item.put("joinedAt", java.time.Instant.ofEpochMilli(m.joinedAt()).toString());
        String problem = unusable.get(m.name());
        if (s == null) {
            item.putNull("reachable");
            item.putNull("jwtSecret");
            item.put("detail", problem != null ? problem
                    : federator == null ? "this replica does not run the federation now" : "starting");
            item.putNull("lastSync");
            item.put("pending", 0);
            warnings(item, List.of());
            return item;
        }
        item.put("reachable", s.reachable());
        item.put("jwtSecret", s.jwtMatches() == null ? null : s.jwtMatches() ? "matches"
                : s.jwtProblem() != null && s.jwtProblem().contains("differs") ? "differs" : "unreadable");
        String detail = s.jwtMatches() != null && !s.jwtMatches() ? s.jwtProblem()
                : !s.reachable() ? s.lastError() : s.jwtMatches() == null ? s.jwtProblem() : s.lastError();
        item.put("detail", detail);
        item.put("lastSync", s.lastSync() == null ? null : s.lastSync().toString());
        item.put("pending", s.pending());
        ObjectNode pushed = item.putObject("pushed");
        pushed.put("creates", s.creates());
        pushed.put("updates", s.updates());
        pushed.put("deletes", s.deletes());
        pushed.put("drifts", s.drifts());
        pushed.put("holds", s.holds());
        // Objects the member refuses (a webhook's denial, validation, RBAC): named with its answer.
        item.put("refusedCount", s.refusedCount());
        ArrayNode refused = item.putArray("refused");
        s.refused().forEach((object, answer) -> refused.addObject().put("object", object).put("answer", answer));
        warnings(item, s.warnings());
        return item;
    }

    private static void warnings(ObjectNode item, List<String> warnings) {
        ArrayNode a = item.putArray("warnings");
        warnings.forEach(a::add);
    }

    @Override
    public Answer join(byte[] body) {
        JoinRequest request;
        try {
            request = JoinRequest.parse(body);
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage());
        }
        MemberRegistry r = registry.get();
        if (r == null) {
            return error(503, "replica " + nodeId + " is still starting; try again in a moment");
        }
        List<MemberRegistration> joined = r.members();
        Optional<MemberRegistration> same = joined.stream().filter(m -> m.name().equals(request.name())).findFirst();
        if (same.isPresent()) {
            return error(409, "a member named '" + request.name() + "' is joined already (kubeconfig "
                    + same.get().kubeconfig() + "); unjoin it first or choose another name");
        }
        KubeCluster cluster;
        try {
            cluster = KubeCluster.connect(request.name(), Path.of(request.kubeconfig()), request.context());
        } catch (IllegalArgumentException e) {
            ObjectNode result = joinResult(request, List.of(new JoinCheck.Result("kubeconfig", JoinCheck.Status.FAIL,
                    e.getMessage() + " (read by replica " + nodeId + ")", "the kubeconfig must exist at that path on"
                    + " every fedsyncd replica, readable by the fedsyncd user")), List.of());
            result.put("error", "join refused: kubeconfig: " + e.getMessage());
            return new Answer(422, result);
        }
        Map<String, String> uids = new TreeMap<>();
        joined.forEach(m -> uids.put(m.kubeSystemUid(), m.name()));
        JoinCheck.Report report = JoinCheck.run(cluster, List.copyOf(hosts.values()), uids, settings.profile(),
                fingerprintKey);
        ObjectNode result = joinResult(request, report.results(), cluster.warnings());
        if (!report.passed()) {
            JoinCheck.Result failed = report.results().stream().filter(x -> x.status() == JoinCheck.Status.FAIL)
                    .findFirst().orElseThrow();
            result.put("error", "join refused: " + failed.check() + ": " + failed.detail());
            LOG.info("[{}] join refused: {}: {}", request.name(), failed.check(), failed.detail());
            return new Answer(422, result);
        }
        if (request.dryRun()) {
            List<Member> members = new ArrayList<>();
            joined.forEach(m -> members.add(new Member(m.name(), m.labels())));
            List<JoinPreview.Row> rows;
            try {
                rows = JoinPreview.of(settings.profile(), settings.driftPolicy(), hosts, cluster,
                        new Member(request.name(), request.labels()), members, mirror);
            } catch (KubeAccessException e) {
                return error(503, "the dry run could not read every cluster: " + e.getMessage());
            }
            ArrayNode preview = result.putArray("preview");
            for (JoinPreview.Row row : rows) {
                ObjectNode o = preview.addObject();
                o.put("resource", row.resource());
                o.put("name", row.name());
                o.put("action", row.action().name());
                o.put("reason", row.reason());
            }
            return new Answer(200, result);
        }
        MemberRegistration registration = new MemberRegistration(request.name(), request.kubeconfig(),
                request.context(), report.kubeSystemUid(), new TreeMap<>(request.labels()), clock.millis());
        try {
            r.join(registration);
        } catch (RegistrationException e) {
            return registrationError(e);
        }
        LOG.info("[{}] joined ({}, kube-system UID {}){}", request.name(), cluster.server(), report.kubeSystemUid(),
                cluster.warnings().isEmpty() ? "" : " with warnings: " + String.join("; ", cluster.warnings()));
        result.put("joined", true);
        submit(this::followRegistry);
        result.set("cluster", item(registration, null));
        return new Answer(201, result);
    }

    private ObjectNode joinResult(JoinRequest request, List<JoinCheck.Result> checks, List<String> warnings) {
        ObjectNode result = Json.object();
        result.put("kind", "JoinResult");
        result.put("name", request.name());
        result.put("joined", false);
        result.put("dryRun", request.dryRun());
        ArrayNode a = result.putArray("checks");
        for (JoinCheck.Result c : checks) {
            ObjectNode o = a.addObject();
            o.put("check", c.check());
            o.put("status", c.status().name());
            o.put("detail", c.detail());
            o.put("fix", c.fix() == null || c.fix().isEmpty() ? null : c.fix());
        }
        ArrayNode w = result.putArray("warnings");
        warnings.forEach(w::add);
        return result;
    }

    @Override
    public Answer unjoin(String name) {
        MemberRegistry r = registry.get();
        if (r == null) {
            return error(503, "replica " + nodeId + " is still starting; try again in a moment");
        }
        try {
            r.unjoin(name);
        } catch (RegistrationException e) {
            return registrationError(e);
        }
        LOG.info("[{}] unjoined", name);
        submit(this::followRegistry);
        ObjectNode body = Json.object();
        body.put("kind", "Status");
        body.put("code", 200);
        body.put("message", name + " unjoined; what was pushed to it stays on it");
        return new Answer(200, body);
    }

    @Override
    public Answer checkJwt(String name) {
        MemberRegistry r = registry.get();
        Optional<MemberRegistration> m = r == null ? Optional.empty()
                : r.members().stream().filter(x -> x.name().equals(name)).findFirst();
        if (m.isEmpty()) {
            return error(404, "no member named '" + name + "' is joined");
        }
        ObjectNode body = Json.object();
        body.put("kind", "JwtCheck");
        body.put("name", name);
        KubeCluster cluster;
        try {
            cluster = KubeCluster.connect(name, Path.of(m.get().kubeconfig()), m.get().context());
        } catch (IllegalArgumentException e) {
            body.put("jwtSecret", "unreadable");
            body.put("detail", e.getMessage());
            body.put("fix", "the kubeconfig must exist at that path on every fedsyncd replica");
            return new Answer(200, body);
        }
        JoinCheck.Result result = JoinCheck.jwt(cluster, List.copyOf(hosts.values()), settings.profile(),
                fingerprintKey);
        body.put("jwtSecret", result.status() == JoinCheck.Status.PASS ? "matches"
                : result.detail().contains("differs") ? "differs" : "unreadable");
        body.put("detail", result.detail());
        body.put("fix", result.fix() == null || result.fix().isEmpty() ? null : result.fix());
        return new Answer(200, body);
    }

    private static Answer registrationError(RegistrationException e) {
        int status = switch (e.kind()) {
            case NAME_TAKEN, CLUSTER_TAKEN -> 409;
            case NOT_JOINED -> 404;
            case UNAVAILABLE -> 503;
        };
        return error(status, e.getMessage());
    }

    private static Answer error(int status, String message) {
        ObjectNode body = Json.object();
        body.put("error", message);
        return new Answer(status, body);
    }

    /** Tells every federator this replica starts from now on where its time goes (queue waits, members' answers). */
    public void timings(Federator.Timings timings) {
        this.timings = java.util.Objects.requireNonNull(timings, "timings");
    }

    /** What the running Federator reports per member (tests, metrics); empty when it does not run here. */
    public List<Federator.MemberState> memberStates() {
        Federator f = federator;
        return f == null ? List.of() : f.members();
    }

    @Override
    public void close() {
        closed = true;
        leading = false;
        submit(this::stopFederator);
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The body of {@code POST /api/v1/clusters}. */
    record JoinRequest(String name, String kubeconfig, String context, Map<String, String> labels, boolean dryRun) {

        private static final java.util.Set<String> FIELDS = java.util.Set.of("name", "kubeconfig", "context", "labels",
                "dryRun");
        private static final String EXAMPLE = "send {\"name\": \"member1\", \"kubeconfig\": \"/etc/fedsync/member1"
                + ".kubeconfig\", \"context\": null, \"labels\": {}, \"dryRun\": false}";

        static JoinRequest parse(byte[] body) {
            JsonNode json;
            try {
                json = body == null || body.length == 0 ? null : Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new IllegalArgumentException("the body is not JSON: " + EXAMPLE);
            }
            if (json == null || !json.isObject()) {
                throw new IllegalArgumentException("the body must be a JSON object: " + EXAMPLE);
            }
            json.fieldNames().forEachRemaining(f -> {
                if (!FIELDS.contains(f)) {
                    throw new IllegalArgumentException("unknown field '" + f + "': " + EXAMPLE);
                }
            });
            String name = text(json, "name", true);
            String kubeconfig = text(json, "kubeconfig", true);
            if (!kubeconfig.startsWith("/")) {
                throw new IllegalArgumentException("kubeconfig must be an absolute path on the fedsyncd replicas, not '"
                        + kubeconfig + "'");
            }
            String context = text(json, "context", false);
            Map<String, String> labels = new TreeMap<>();
            JsonNode l = json.get("labels");
            if (l != null && !l.isNull()) {
                if (!l.isObject()) {
                    throw new IllegalArgumentException("labels must be an object of strings");
                }
                l.fields().forEachRemaining(e -> {
                    if (!e.getValue().isTextual()) {
                        throw new IllegalArgumentException("label '" + e.getKey() + "' must be a string");
                    }
                    labels.put(e.getKey(), e.getValue().asText());
                });
            }
            JsonNode dry = json.get("dryRun");
            if (dry != null && !dry.isNull() && !dry.isBoolean()) {
                throw new IllegalArgumentException("dryRun must be true or false");
            }
            try {
                // The registration's own checks (name syntax) before anything is read.
                new MemberRegistration(name, kubeconfig, context, "-", new TreeMap<>(labels), 0);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
            return new JoinRequest(name, kubeconfig, context, labels, dry != null && dry.asBoolean());
        }

        private static String text(JsonNode json, String field, boolean required) {
            JsonNode v = json.get(field);
            if (v == null || v.isNull()) {
                if (required) {
                    throw new IllegalArgumentException("field '" + field + "' is missing: " + EXAMPLE);
                }
                return null;
            }
            if (!v.isTextual() || v.asText().isBlank()) {
                throw new IllegalArgumentException("field '" + field + "' must be a non-empty string");
            }
            return v.asText();
        }
    }
}
