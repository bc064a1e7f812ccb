package io.fedsync.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fedsync.raft.api.json.Json;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fedsyncctl}: the operator's view of a fedsyncd group over its HTTP API, kubectl-like.
 * Finds the daemon by {@code --server URL[,URL...]} (before or after the subcommand), else
 * {@code $FEDSYNC_SERVER}, else {@code http://127.0.0.1:8080}; with several URLs it uses the first
 * replica that answers. Calls that change something carry the bearer token read from
 * {@code --token-file FILE}, else {@code $FEDSYNC_TOKEN_FILE} (the daemon's {@code http.tokenFile}).
 * Member clusters of the federation: {@code clusters}, {@code join}, {@code unjoin}, {@code check-jwt}
 * ({@link ClusterCommands}).
 *
 * <p>Exit codes: 0 ok, 1 the daemon refused (an error answer), 2 usage, 3 no daemon answered.
 */
@Command(name = "fedsyncctl", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Fedsyncctl.Version.class,
        description = "Shows and drives a fedsyncd group through its HTTP API.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ok", "1:the daemon refused the call (its error on stderr)",
                "2:usage: a bad option or argument, an unreadable --token-file, --value-file or --kubeconfig",
                "3:no fedsyncd answered (every --server tried)"},
        subcommands = {Fedsyncctl.Status.class, Fedsyncctl.Peers.class, Fedsyncctl.Conflicts.class,
                Fedsyncctl.ConflictCmd.class, Fedsyncctl.Resolve.class, Fedsyncctl.Explain.class,
                Fedsyncctl.Verify.class, ClusterCommands.Clusters.class, ClusterCommands.Join.class,
                ClusterCommands.Unjoin.class, ClusterCommands.CheckJwt.class})
public final class Fedsyncctl {

    public static final int OK = 0;
    public static final int REFUSED = 1;
    public static final int USAGE = 2;
    public static final int NO_ANSWER = 3;
    static final String DEFAULT_SERVER = "http://127.0.0.1:8080";

    @Option(names = {"-s", "--server"}, paramLabel = "URL[,URL...]", scope = CommandLine.ScopeType.INHERIT,
            description = "fedsyncd's HTTP API; several, comma-separated, are tried in turn."
                    + " Default: $FEDSYNC_SERVER, else " + DEFAULT_SERVER + ".")
    String server;

    @Option(names = "--token-file", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "A file holding the API token (fedsyncd's http.tokenFile), sent with calls that change"
                    + " something. Default: $FEDSYNC_TOKEN_FILE.")
    java.nio.file.Path tokenFile;

    @Option(names = "--cacert", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "The CA certificate(s) (PEM) that signed fedsyncd's HTTPS certificate (http.tls), for"
                    + " https:// servers. Default: $FEDSYNC_CACERT, else the JVM's trusted CAs.")
    java.nio.file.Path cacert;

    @Option(names = "--timeout", paramLabel = "SECONDS", scope = CommandLine.ScopeType.INHERIT, defaultValue = "5",
            description = "How long to wait for each replica (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    PrintWriter out;
    PrintWriter err;
    private Map<String, String> env;
    /** Whether stdout is a terminal: {@code --color=auto} colours only then. */
    private boolean tty;

    public static void main(String[] args) {
        int code = run(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8), System.getenv(), System.console() != null);
        System.exit(code);
    }

    /** Runs a command line and returns its exit code (for tests); stdout is not a terminal. */
    public static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
        return run(args, out, err, env, false);
    }

    /** @param tty whether {@code out} is a terminal */
    public static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env, boolean tty) {
        Fedsyncctl root = new Fedsyncctl();
        root.out = out;
        root.err = err;
        root.env = env;
        root.tty = tty;
        CommandLine cl = new CommandLine(root).setOut(out).setErr(err)
                .setExitCodeExceptionMapper(e -> USAGE)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    err.println("fedsyncctl: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                    return USAGE;
                });
        cl.setParameterExceptionHandler((e, a) -> {
            err.println("fedsyncctl: " + e.getMessage());
            err.println("Run 'fedsyncctl --help' for usage.");
            return USAGE;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    List<String> servers() {
        String s = server != null ? server : env.getOrDefault("FEDSYNC_SERVER", DEFAULT_SERVER);
        return Arrays.stream(s.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList();
    }

    ApiClient client() {
        return new ApiClient(servers(), Duration.ofSeconds(Math.max(1, timeoutSeconds)), token(), tls());
    }

    /** Trust for https:// servers from {@code --cacert} or {@code $FEDSYNC_CACERT}; null for the JVM's default. */
    javax.net.ssl.SSLContext tls() {
        if (cacert != null) {
            return ApiClient.trusting(cacert, "--cacert " + cacert);
        }
        String fromEnv = env.get("FEDSYNC_CACERT");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return ApiClient.trusting(java.nio.file.Path.of(fromEnv), "$FEDSYNC_CACERT " + fromEnv);
        }
        return null;
    }

    /**
     * The token from {@code --token-file} or {@code $FEDSYNC_TOKEN_FILE}: its one non-blank line;
     * null when neither is given.
     *
     * @throws IllegalArgumentException (exit 2) when the file cannot be read or holds no token
     */
    String token() {
        java.nio.file.Path file = tokenFile;
        String from = "--token-file";
        if (file == null && env.get("FEDSYNC_TOKEN_FILE") != null && !env.get("FEDSYNC_TOKEN_FILE").isBlank()) {
            file = java.nio.file.Path.of(env.get("FEDSYNC_TOKEN_FILE"));
            from = "$FEDSYNC_TOKEN_FILE";
        }
        if (file == null) {
            return null;
        }
        List<String> lines;
        try {
            lines = java.nio.file.Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(l -> !l.isEmpty()).toList();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read the token file " + file + " (" + from + "): "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getClass().getSimpleName()));
        }
        if (lines.size() != 1) {
            throw new IllegalArgumentException("the token file " + file + " (" + from + ") must hold the token on one"
                    + " line; it holds " + lines.size());
        }
        return lines.get(0);
    }

    /** Output format shared by the subcommands. */
    enum Format { table, json, yaml }

    /** A subcommand that reads one endpoint and prints it. */
    abstract static class Read implements Callable<Integer> {
        @ParentCommand
        Fedsyncctl root;

        @Option(names = {"-o", "--output"}, paramLabel = "table|json|yaml", defaultValue = "table",
                description = "Output format (default ${DEFAULT-VALUE}).")
        Format format;

        abstract String path();

        abstract String table(JsonNode body);

        @Override
        public Integer call() {
            return root.call(root.client(), c -> c.get(path()), body -> render(body, format, this::table));
        }
    }

    /** One call to the daemon, through whichever replica answers. */
    @FunctionalInterface
    interface Call {
        ApiClient.Answer send(ApiClient client) throws ApiClient.NoAnswer;
    }

    /**
     * Makes the call and prints what {@code print} makes of the answer's body. Exit code 0 when
     * the daemon answered 2xx with a body, 1 when it refused (its reason on stderr), 3 when no
     * replica answered.
     */
    int call(ApiClient client, Call call, java.util.function.Function<JsonNode, String> print) {
        ApiClient.Answer a;
        try {
            a = call.send(client);
        } catch (ApiClient.NoAnswer e) {
            err.println("fedsyncctl: " + e.getMessage());
            return NO_ANSWER;
        }
        if (!a.ok() || a.body() == null) {
            String leader = a.body() != null && a.body().hasNonNull("leader")
                    ? " (leader: " + a.body().get("leader").asText()
                    + (a.body().hasNonNull("leaderAddress") ? " at " + a.body().get("leaderAddress").asText() : "")
                    + ")" : "";
            err.println("fedsyncctl: " + a.server() + " answered " + a.status() + ": " + a.error() + leader);
            return REFUSED;
        }
        out.print(print.apply(a.body()));
        return OK;
    }

    static String render(JsonNode body, Format format, java.util.function.Function<JsonNode, String> table) {
        try {
            return switch (format) {
                case json -> Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n";
                case yaml -> new YAMLMapper().writeValueAsString(body);
                case table -> table.apply(body);
            };
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot print the answer: " + e.getOriginalMessage(), e);
        }
    }

    @Command(name = "status", description = "The group, the mirror and every cluster, as the answering replica sees them.")
    static final class Status extends Read {
        @Override
        String path() {
            return "/api/v1/status";
        }

        @Override
        String table(JsonNode s) {
            StringBuilder out = new StringBuilder();
            JsonNode raft = s.path("raft");
            String mirror = s.path("writer").isTextual() && !s.path("writer").asText().isEmpty()
                    ? "running as " + s.path("writer").asText() + " (fencing term " + s.path("term").asLong() + ")"
                    : "standby";
            if (s.hasNonNull("unhealthy")) {
                mirror += "; UNHEALTHY: " + s.path("unhealthy").asText();
            }
            out.append(new Table("NODE", "ROLE", "LEADER", "RAFT TERM", "MIRROR")
                    .row(raft.path("self").asText("-"), raft.path("role").asText("-"), text(raft.path("leader")),
                            raft.path("term").asText("-"), mirror));
            out.append('\n');
            Table clusters = new Table("CLUSTER", "STATE", "REVISION", "OWED KEYS", "ERROR");
            for (JsonNode c : s.path("clusters")) {
                clusters.row(c.path("name").asText(), c.path("state").asText(), c.path("revision").asLong(),
                        c.path("owedKeys").asLong(), text(c.path("error")));
            }
            out.append(clusters);
            out.append('\n');
            Table pairs = new Table("FROM", "TO", "CURSOR", "LAG REVISIONS", "LAG");
            for (JsonNode p : s.path("pairs")) {
                pairs.row(p.path("from").asText(), p.path("to").asText(), p.path("cursorRevision").asLong(),
                        p.path("lagRevisions").asLong(), p.path("lagMillis").asLong() + "ms");
            }
            out.append(pairs);
            if (s.path("problems").size() > 0) {
                out.append('\n');
                Table problems = new Table("PROBLEM KEY", "CLUSTER", "REASON");
                for (JsonNode p : s.path("problems")) {
                    problems.row(p.path("key").asText(), p.path("cluster").asText(), p.path("reason").asText());
                }
                out.append(problems);
            }
            return out.toString();
        }
    }

    @Command(name = "peers", description = "The replicas of the Raft group (its live configuration) and their roles;"
            + " add or remove one.", subcommands = {Fedsyncctl.PeersAdd.class, Fedsyncctl.PeersRemove.class})
    static final class Peers extends Read {
        @Override
        String path() {
            return "/api/v1/status";
        }

        @Override
        String table(JsonNode s) {
            Table t = new Table("ID", "ADDRESS", "ROLE", "LAST CONTACT");
            for (JsonNode p : s.path("raft").path("peers")) {
                long contact = p.path("lastContactMillis").asLong(-1);
                t.row(p.path("id").asText(), text(p.path("address")), p.path("role").asText(),
                        contact < 0 ? "-" : contact + "ms");
            }
            return t.toString();
        }

        @Override
        public Integer call() {
            if (format != Format.table) {
                // The raft part only, in json or yaml.
                return root.call(root.client(), c -> c.get(path()),
                        body -> render(body.path("raft"), format, this::table));
            }
            return super.call();
        }
    }

    /** How long a membership change may take: a new replica first catches up (the daemon waits up to 60 s). */
    static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(90);

    /** Sends one membership change and prints what the daemon said. */
    abstract static class PeerChange implements Callable<Integer> {
        @ParentCommand
        Peers peers;

        abstract ApiClient.Answer send(ApiClient client) throws ApiClient.NoAnswer;

        @Override
        public Integer call() {
            Fedsyncctl root = peers.root;
            return root.call(root.client().withTimeout(CHANGE_TIMEOUT), this::send,
                    body -> body.path("message").asText("done") + System.lineSeparator());
        }
    }

    @Command(name = "add", description = "Adds a replica to the group: start fedsyncd there first (an empty data dir"
            + " is fine, it catches up from the leader), then add it.")
    static final class PeersAdd extends PeerChange {
        @CommandLine.Parameters(index = "0", paramLabel = "ID", description = "The new replica's node.id.")
        String id;

        @CommandLine.Parameters(index = "1", paramLabel = "ADDRESS", description = "Its Raft address, host:port.")
        String address;

        @Override
        ApiClient.Answer send(ApiClient client) throws ApiClient.NoAnswer {
            com.fasterxml.jackson.databind.node.ObjectNode body = Json.object();
            body.put("id", id);
            body.put("address", address);
            return client.change("POST", "/api/v1/peers", body.toString());
        }
    }

    @Command(name = "remove", description = "Removes a replica from the group (e.g. a dead one, to replace it)."
            + " The leader is not removed: stop it first, another replica takes over.")
    static final class PeersRemove extends PeerChange {
        @CommandLine.Parameters(index = "0", paramLabel = "ID", description = "The replica's node.id.")
        String id;

        @Override
        ApiClient.Answer send(ApiClient client) throws ApiClient.NoAnswer {
            return client.change("DELETE", "/api/v1/peers/"
                    + java.net.URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20"), null);
        }
    }

    /** Output formats of {@code conflicts}: {@code wide} is the table with more columns. */
    enum ListFormat { table, wide, json, yaml }

    @Command(name = "conflicts", description = "Conflicts, oldest first: every one (all pages) unless --limit;"
            + " filters combine with AND.")
    static final class Conflicts implements Callable<Integer> {
        @ParentCommand
        Fedsyncctl root;

        @Option(names = {"-o", "--output"}, paramLabel = "table|wide|json|yaml", defaultValue = "table",
                description = "Output format (default ${DEFAULT-VALUE}; wide adds kind, revisions, vectors and how"
                        + " each ended).")
        ListFormat format;

        @Option(names = "--state", paramLabel = "open|resolved|converged", description = "Only conflicts in this state.")
        String state;

        @Option(names = "--type", paramLabel = "concurrent-update|update-vs-delete|flip-flop",
                description = "Only conflicts of this type.")
        String type;

        @Option(names = "--cluster", paramLabel = "CLUSTER", description = "Only conflicts with a side on this cluster.")
        String cluster;

        @Option(names = "--kind", paramLabel = "KIND", description = "Only conflicts on objects of this kind: the"
                + " resource (users), with its group (users.iam.kubesphere.io) or the Kind (User).")
        String kind;

        @Option(names = "--key", paramLabel = "PREFIX", description = "Only conflicts on keys starting with PREFIX.")
        String key;

        @Option(names = "--limit", paramLabel = "N", description = "At most N conflicts (the oldest); default: all.")
        Integer limit;

        String query() {
            StringBuilder q = new StringBuilder();
            for (String[] p : new String[][] {{"state", state}, {"type", type}, {"cluster", cluster}, {"kind", kind},
                    {"key", key}}) {
                if (p[1] != null) {
                    q.append('&').append(p[0]).append('=').append(java.net.URLEncoder.encode(p[1],
                            StandardCharsets.UTF_8));
                }
            }
            return q.toString();
        }

        @Override
        public Integer call() {
            if (limit != null && limit < 1) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--limit must be at least 1, got "
                        + limit);
            }
            ApiClient client = root.client();
            return root.call(client, c -> pages(c, query(), limit), body -> {
                int more = body.path("metadata").path("remainingItemCount").asInt(0);
                if (more > 0 && (format == ListFormat.table || format == ListFormat.wide)) {
                    root.err.println("fedsyncctl: " + more + " more conflict" + (more == 1 ? "" : "s")
                            + " not shown (--limit " + limit + ")");
                }
                return switch (format) {
                    case table -> conflictsTable(body.path("items"), false);
                    case wide -> conflictsTable(body.path("items"), true);
                    case json -> render(body, Format.json, null);
                    case yaml -> render(body, Format.yaml, null);
                };
            });
        }
    }

    /** The largest page the daemon gives. */
    static final int MAX_PAGE = 1000;

    /**
     * Every page of {@code GET /api/v1/conflicts?<query>} (following {@code metadata.continue}), or
     * the first {@code limit}, as one answer: {@code items} and the last page's {@code metadata}.
     * A refusal of any page is the answer.
     */
    static ApiClient.Answer pages(ApiClient client, String query, Integer limit) throws ApiClient.NoAnswer {
        com.fasterxml.jackson.databind.node.ArrayNode items = Json.MAPPER.createArrayNode();
        String token = null;
        ApiClient.Answer a;
        JsonNode metadata;
        do {
            int want = limit == null ? MAX_PAGE : Math.min(MAX_PAGE, limit - items.size());
            a = client.get("/api/v1/conflicts?limit=" + want + query + (token == null ? ""
                    : "&continue=" + java.net.URLEncoder.encode(token, StandardCharsets.UTF_8)));
            if (!a.ok() || a.body() == null) {
                return a;
            }
            a.body().path("items").forEach(items::add);
            metadata = a.body().path("metadata");
            token = metadata.path("continue").isTextual() ? metadata.path("continue").asText() : null;
        } while (token != null && (limit == null || items.size() < limit));
        com.fasterxml.jackson.databind.node.ObjectNode all = Json.object();
        all.set("items", items);
        all.set("metadata", metadata.isObject() ? metadata : Json.object());
        return new ApiClient.Answer(a.server(), a.status(), all, null);
    }

    /** {@code conflicts} as a table; {@code wide} adds kind, per-side revisions and vectors, and how it ended. */
    static String conflictsTable(JsonNode items, boolean wide) {
        Table t = wide ? new Table("ID", "STATE", "TYPE", "KIND", "CLUSTERS", "KEY", "DETECTED", "REVISIONS",
                "VECTORS", "RESOLUTION", "BY", "RESOLVED")
                : new Table("ID", "STATE", "TYPE", "CLUSTERS", "KEY", "DETECTED");
        for (JsonNode c : items) {
            String clusters = String.join(",", toList(c.path("clusters")));
            if (!wide) {
                t.row(c.path("id").asText(), c.path("state").asText(), c.path("type").asText(), clusters,
                        c.path("key").asText(), c.path("detectedAt").asText());
                continue;
            }
            List<String> revisions = new java.util.ArrayList<>();
            List<String> vectors = new java.util.ArrayList<>();
            for (JsonNode s : c.path("sides")) {
                revisions.add(s.path("cluster").asText() + "=" + s.path("revision").asLong()
                        + (s.path("tombstone").asBoolean() ? "(deleted)" : ""));
                vectors.add(s.path("cluster").asText() + s.path("vector").toString().replace("\"", ""));
            }
            JsonNode res = c.path("resolution");
            String kind = c.hasNonNull("kind") ? c.path("kind").asText() : text(c.path("resource"));
            t.row(c.path("id").asText(), c.path("state").asText(), c.path("type").asText(), kind, clusters,
                    c.path("key").asText(), c.path("detectedAt").asText(), String.join(",", revisions),
                    String.join(" ", vectors), res.isObject() ? outcome(res) : "-",
                    res.isObject() ? text(res.path("by")) : "-", res.isObject() ? text(res.path("at")) : "-");
        }
        return t.toString();
    }

    /** How a conflict ended, in a few words: "host2 wins", "value", "delete", or the policy's reason. */
    private static String outcome(JsonNode res) {
        if (res.hasNonNull("winner")) {
            return res.path("winner").asText() + " wins";
        }
        if (res.hasNonNull("how")) {
            return res.path("how").asText();
        }
        return text(res.path("reason"));
    }

    /** When {@code conflict} colours each side's values. */
    enum ColorMode { auto, always, never }

    @Command(name = "conflict", description = "One conflict: its sides and the fields in which they differ, each"
            + " side's values in its own colour on a terminal.")
    static final class ConflictCmd extends Read {
        @CommandLine.Parameters(index = "0", paramLabel = "ID", description = "The conflict's id (see 'conflicts').")
        String id;

        @Option(names = "--color", paramLabel = "auto|always|never", defaultValue = "auto",
                description = "Colour the sides (red, green, ...): auto (default) when stdout is a terminal and"
                        + " $NO_COLOR is unset.")
        ColorMode color;

        @Override
        String path() {
            return "/api/v1/conflicts/" + encode(id);
        }

        @Override
        String table(JsonNode c) {
            return describe(c, colour(color, root.tty, root.env));
        }
    }

    /** Whether to colour: always/never as asked; auto on a terminal unless $NO_COLOR is set (no-color.org). */
    static boolean colour(ColorMode mode, boolean tty, Map<String, String> env) {
        return switch (mode) {
            case always -> true;
            case never -> false;
            case auto -> tty && (env.get("NO_COLOR") == null || env.get("NO_COLOR").isEmpty());
        };
    }

    /** ANSI colours of the sides, in order: red, green, then yellow, blue, magenta, cyan. */
    private static final String[] SIDE_COLOURS = {"\u001B[31m", "\u001B[32m", "\u001B[33m", "\u001B[34m",
            "\u001B[35m", "\u001B[36m"};
    private static final String RESET = "\u001B[0m";

    private static String paint(String text, int side, boolean colour) {
        return colour ? SIDE_COLOURS[side % SIDE_COLOURS.length] + text + RESET : text;
    }

    /** A conflict record as an operator reads it, without colour. */
    static String describe(JsonNode c) {
        return describe(c, false);
    }

    /**
     * A conflict record as an operator reads it: what, the sides, the differing fields, how it
     * ended; with {@code colour}, each side's name and values in its ANSI colour.
     */
    static String describe(JsonNode c, boolean colour) {
        StringBuilder out = new StringBuilder();
        out.append("ID:        ").append(c.path("id").asText()).append('\n');
        out.append("KEY:       ").append(c.path("key").asText()).append('\n');
        out.append("TYPE:      ").append(c.path("type").asText()).append('\n');
        if (c.hasNonNull("kind") || c.hasNonNull("resource")) {
            out.append("KIND:      ").append(c.hasNonNull("kind") ? c.path("kind").asText() : "-")
                    .append(c.hasNonNull("resource") ? " (" + c.path("resource").asText() + ")" : "").append('\n');
        }
        out.append("STATE:     ").append(c.path("state").asText()).append('\n');
        out.append("DETECTED:  ").append(c.path("detectedAt").asText()).append('\n');
        JsonNode res = c.path("resolution");
        if (res.isObject()) {
            out.append("RESOLVED:  ").append(res.path("at").asText()).append(" by ").append(res.path("by").asText());
            if (res.hasNonNull("how")) {
                out.append(" (").append(res.path("how").asText()).append(')');
            }
            if (res.hasNonNull("winner")) {
                out.append(": ").append(res.path("winner").asText()).append(" wins");
            }
            if (!res.path("reason").asText("").isEmpty()) {
                out.append(" — ").append(res.path("reason").asText());
            }
            out.append('\n');
        }
        out.append('\n');
        Table sides = new Table("CLUSTER", "REVISION", "VECTOR", "WRITE TIME", "DELETED");
        List<String> clusters = new java.util.ArrayList<>();
        for (JsonNode s : c.path("sides")) {
            clusters.add(s.path("cluster").asText());
            sides.row(paint(s.path("cluster").asText(), clusters.size() - 1, colour), s.path("revision").asLong(),
                    s.path("vector").toString(),
                    text(s.path("writeTime")), s.path("tombstone").asBoolean() ? "yes" : "no");
        }
        out.append(sides);
        if (c.path("diff").size() > 0) {
            out.append('\n');
            String[] headers = new String[clusters.size() + 1];
            headers[0] = "FIELD";
            for (int i = 0; i < clusters.size(); i++) {
                headers[i + 1] = paint(clusters.get(i).toUpperCase(java.util.Locale.ROOT), i, colour);
            }
            Table diff = new Table(headers);
            for (JsonNode d : c.path("diff")) {
                Object[] row = new Object[clusters.size() + 1];
                row[0] = d.path("path").asText().isEmpty() ? "(whole value)" : d.path("path").asText();
                for (int i = 0; i < clusters.size(); i++) {
                    JsonNode v = d.path("values").path(clusters.get(i));
                    row[i + 1] = paint(v.isMissingNode() || v.isNull() ? "<none>" : v.isTextual() ? v.asText()
                            : v.toString(), i, colour);
                }
                diff.row(row);
            }
            out.append(diff);
        }
        return out.toString();
    }

    @Command(name = "explain", description = "What every cluster holds for one key, read now: revision, value hash,"
            + " fedsync's vector, origin and write time, tombstone; and the conflicts on it.")
    static final class Explain extends Read {
        @CommandLine.Parameters(index = "0", paramLabel = "KEY", description = "The etcd key, e.g."
                + " /registry/iam.kubesphere.io/users/xxp (or hex:... for a key that is not UTF-8).")
        String key;

        @Override
        String path() {
            StringBuilder p = new StringBuilder("/api/v1/keys");
            String k = key.startsWith("/") ? key : "/" + key;
            for (String segment : k.substring(1).split("/", -1)) {
                p.append('/').append(encode(segment));
            }
            return p.toString();
        }

        @Override
        String table(JsonNode k) {
            StringBuilder out = new StringBuilder();
            out.append("KEY:     ").append(k.path("key").asText()).append('\n');
            out.append("PREFIX:  ").append(k.path("prefix").asText()).append("\n\n");
            Table t = new Table("CLUSTER", "STATE", "DATA", "MOD REV", "HASH", "VECTOR", "ORIGIN", "WRITE TIME",
                    "TOMBSTONE", "META DESCRIBES DATA");
            for (JsonNode c : k.path("clusters")) {
                JsonNode m = c.path("meta");
                if (c.hasNonNull("error")) {
                    t.row(c.path("cluster").asText(), c.path("state").asText(), c.path("error").asText(), "-", "-", "-",
                            "-", "-", "-", "-");
                    continue;
                }
                t.row(c.path("cluster").asText(), c.path("state").asText(), c.path("present").asBoolean() ? "present"
                                : "absent", c.path("modRevision").asLong(), c.path("valueHash").asText("-"),
                        m.isObject() ? m.path("vector").toString() : "-", m.isObject() ? m.path("origin").asText() : "-",
                        m.isObject() ? text(m.path("writeTime")) : "-",
                        m.isObject() ? (m.path("tombstone").asBoolean() ? "yes" : "no") : "-",
                        c.path("described").asBoolean() ? "yes" : "no");
            }
            out.append(t);
            if (k.path("conflicts").size() > 0) {
                out.append('\n');
                Table cs = new Table("CONFLICT", "STATE", "TYPE", "CLUSTERS", "DETECTED");
                for (JsonNode c : k.path("conflicts")) {
                    cs.row(c.path("id").asText(), c.path("state").asText(), c.path("type").asText(),
                            String.join(",", toList(c.path("clusters"))), c.path("detectedAt").asText());
                }
                out.append(cs);
            }
            return out.toString();
        }
    }

    static String encode(String segment) {
        return java.net.URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Command(name = "resolve", description = "Ends an open conflict: keep one cluster's version (--winner), write"
            + " your own object to every cluster (--value-file), or delete the key everywhere (--delete).")
    static final class Resolve implements Callable<Integer> {
        @ParentCommand
        Fedsyncctl root;

        @CommandLine.Parameters(index = "0", paramLabel = "ID", description = "The conflict's id (see 'conflicts').")
        String id;

        @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
        How how;

        static final class How {
            @Option(names = "--winner", paramLabel = "CLUSTER", description = "Keep this cluster's version.")
            String winner;

            @Option(names = "--value-file", paramLabel = "FILE", description = "Write this object (JSON or YAML) to"
                    + " every cluster: the same kind and name as the sides.")
            java.nio.file.Path valueFile;

            @Option(names = "--delete", description = "Delete the key on every cluster.")
            boolean delete;
        }

        @Option(names = {"-o", "--output"}, paramLabel = "table|json|yaml", defaultValue = "table",
                description = "Output format of the resolved record (default ${DEFAULT-VALUE}: one line).")
        Format format;

        @Override
        public Integer call() {
            com.fasterxml.jackson.databind.node.ObjectNode body = Json.object();
            if (how.winner != null) {
                body.put("winner", how.winner);
            } else if (how.valueFile != null) {
                JsonNode value;
                try {
                    value = new YAMLMapper().readTree(java.nio.file.Files.readAllBytes(how.valueFile));
                } catch (java.nio.file.NoSuchFileException e) {
                    throw new IllegalArgumentException("--value-file " + how.valueFile + ": no such file");
                } catch (java.io.IOException e) {
                    throw new IllegalArgumentException("--value-file " + how.valueFile + " is not JSON or YAML: "
                            + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage()
                            : e.getMessage()));
                }
                if (value == null || !value.isObject()) {
                    throw new IllegalArgumentException("--value-file " + how.valueFile + " must hold one object (the"
                            + " whole Kubernetes object)");
                }
                body.set("value", value);
            } else {
                body.put("delete", true);
            }
            return root.call(root.client().withTimeout(RESOLVE_TIMEOUT), client -> client.change("POST",
                    "/api/v1/conflicts/" + encode(id) + "/resolve", body.toString()), answer -> render(answer, format, c -> {
                JsonNode res = c.path("resolution");
                String what = res.hasNonNull("winner") ? res.path("winner").asText() + " wins"
                        : "value".equals(res.path("how").asText()) ? "your object was written to every cluster"
                        : "delete".equals(res.path("how").asText()) ? "the key was deleted on every cluster"
                        : res.path("reason").asText();
                return "conflict " + c.path("id").asText() + " on " + c.path("key").asText() + " " + c.path("state")
                        .asText() + ": " + what + "\n";
            }));
        }
    }

    /** The daemon waits up to about 20 s for a resolution to be written, more when forwarded. */
    static final Duration RESOLVE_TIMEOUT = Duration.ofSeconds(60);

    @Command(name = "verify", description = "Runs a verification pass (compares every key across the clusters) now.")
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        Fedsyncctl root;

        @Option(names = {"-o", "--output"}, paramLabel = "table|json|yaml", defaultValue = "table",
                description = "Output format (default ${DEFAULT-VALUE}).")
        Format format;

        @Override
        public Integer call() {
            return root.call(root.client().withTimeout(Duration.ofMinutes(10)), c -> c.post("/api/v1/verify"),
                    body -> render(body, format, v -> new Table("KEYS CHECKED", "DIVERGENT", "REPAIRED",
                            "CONFLICTS", "EXPLAINED", "TOMBSTONES COLLECTED", "TOOK")
                            .row(v.path("keysChecked").asLong(), v.path("divergent").asLong(),
                                    v.path("repaired").asLong(), v.path("conflicts").asLong(),
                                    v.path("explained").asLong(), v.path("tombstonesCollected").asLong(),
                                    v.path("tookMillis").asLong() + "ms")
                            .toString()));
        }
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? "-" : n.asText();
    }

    private static List<String> toList(JsonNode array) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Fedsyncctl.class.getPackage().getImplementationVersion();
            return new String[] {"fedsyncctl " + (v == null ? "(development build)" : v)};
        }
    }
}
