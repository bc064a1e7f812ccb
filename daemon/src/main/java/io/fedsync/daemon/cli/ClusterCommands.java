package io.fedsync.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.raft.api.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code fedsyncctl join|unjoin|clusters|check-jwt}: member clusters of the federation, over
 * {@code /api/v1/clusters} (see the contract in the README's "Joining a member"). A kubeconfig is
 * sent as a path, never as content: fedsyncctl only checks that the file exists and is readable.
 */
final class ClusterCommands {

    private ClusterCommands() {
    }

    static final String CLUSTERS = "/api/v1/clusters";

    /**
     * Joining runs the checks against the member (reaching its API, reading its jwtSecret) and, for
     * a dry run, reads every federated object on the hosts and the member.
     */
    static final Duration JOIN_TIMEOUT = Duration.ofSeconds(60);

    @Command(name = "join", description = "Joins a member cluster to the federation: the daemon checks it (reachable,"
            + " not a host, not joined already, the hosts' jwtSecret) and then copies the hosts' users, roles and"
            + " workspaces to it. The kubeconfig is sent as an absolute path that must exist on every fedsyncd"
            + " replica; its content is never read or sent by fedsyncctl.")
    static final class Join implements Callable<Integer> {
        @ParentCommand
        Fedsyncctl root;

        @Parameters(index = "0", paramLabel = "NAME", description = "The member's name in the federation.")
        String name;

        @Option(names = "--kubeconfig", required = true, paramLabel = "FILE", description = "The member's kubeconfig;"
                + " a relative path is made absolute against the current directory. fedsyncd reads it at this path.")
        Path kubeconfig;

        @Option(names = "--context", paramLabel = "CTX", description = "A context of the kubeconfig (default: its"
                + " current context).")
        String context;

        @Option(names = "--label", paramLabel = "KEY=VALUE",
                description = "A label of the member, for workspace placement by selector; repeatable.")
        Map<String, String> labels = new LinkedHashMap<>();

        @Option(names = "--dry-run", description = "Run the checks and show what joining would do to each object;"
                + " write nothing.")
        boolean dryRun;

        @Option(names = {"-o", "--output"}, paramLabel = "table|json|yaml", defaultValue = "table",
                description = "Output format (default ${DEFAULT-VALUE}: the checks, then the result or the preview).")
        Fedsyncctl.Format format;

        @Override
        public Integer call() {
            labels.keySet().stream().filter(String::isBlank).findFirst().ifPresent(k -> {
                throw new IllegalArgumentException("--label needs KEY=VALUE with a key");
            });
            Path file = absoluteKubeconfig(kubeconfig);
            ObjectNode body = joinBody(name, file, context, labels, dryRun);
            ApiClient client = root.client().withTimeout(JOIN_TIMEOUT);
            ApiClient.Answer a;
            try {
                a = client.change("POST", CLUSTERS, body.toString());
            } catch (ApiClient.NoAnswer e) {
                root.err.println("fedsyncctl: " + e.getMessage());
                return Fedsyncctl.NO_ANSWER;
            }
            JsonNode r = a.body();
            boolean result = r != null && ("JoinResult".equals(r.path("kind").asText()) || r.path("checks").isArray());
            if (!result) {
                root.err.println("fedsyncctl: " + a.server() + " answered " + a.status() + ": " + a.error());
                return Fedsyncctl.REFUSED;
            }
            root.out.print(Fedsyncctl.render(r, format, ClusterCommands::joinResult));
            if (format == Fedsyncctl.Format.table) {
                r.path("warnings").forEach(w -> root.err.println("Warning: " + w.asText()));
            }
            if (!a.ok() || (!r.path("joined").asBoolean() && !r.path("dryRun").asBoolean())) {
                root.out.flush();
                String message = r.hasNonNull("message") ? r.path("message").asText() : a.error();
                root.err.println("fedsyncctl: " + (message == null || message.isBlank()
                        ? a.server() + " answered " + a.status() + ": " + name + " was not joined" : message));
                return Fedsyncctl.REFUSED;
            }
            return Fedsyncctl.OK;
        }
    }

    /**
     * {@code --kubeconfig FILE} made absolute against the working directory, once it is known to be a
     * readable file (its content is not read).
     *
     * @throws IllegalArgumentException (exit 2) naming the file and what is wrong
     */
    static Path absoluteKubeconfig(Path given) {
        Path file = given.toAbsolutePath().normalize();
        String named = "--kubeconfig " + given + (given.isAbsolute() ? "" : " (" + file + ")");
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(named + ": no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(named + " is not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(named + " is not readable by this user");
        }
        return file;
    }

    /** The body of {@code POST /api/v1/clusters}. */
    static ObjectNode joinBody(String name, Path kubeconfig, String context, Map<String, String> labels,
                               boolean dryRun) {
        ObjectNode body = Json.object();
        body.put("name", name);
        body.put("kubeconfig", kubeconfig.toString());
        if (context == null) {
            body.putNull("context");
        } else {
            body.put("context", context);
        }
        ObjectNode l = body.putObject("labels");
        labels.forEach(l::put);
        body.put("dryRun", dryRun);
        return body;
    }

    /**
     * A JoinResult as an operator reads it: each check on a line (a fix under the one that needs
     * it), then {@code NAME joined}, or the preview and its summary for a dry run. A refused join
     * shows the checks only (the refusal goes to stderr).
     */
    static String joinResult(JsonNode r) {
        StringBuilder out = new StringBuilder(checks(r.path("checks")));
        if (r.path("dryRun").asBoolean()) {
            if (r.path("preview").isArray()) {
                out.append('\n').append(preview(r.path("preview")));
            }
            out.append("dry run: nothing was written\n");
        } else if (r.path("joined").asBoolean()) {
            out.append(r.path("name").asText()).append(" joined\n");
        }
        return out.toString();
    }

    /** One line per check: {@code PASS  reachable  https://...}, and {@code fix: ...} under a check that has one. */
    static String checks(JsonNode checks) {
        int width = 0;
        for (JsonNode c : checks) {
            width = Math.max(width, c.path("check").asText().length());
        }
        StringBuilder out = new StringBuilder();
        for (JsonNode c : checks) {
            String status = c.path("status").asText("?");
            String line = String.format(Locale.ROOT, "%-4s  %-" + Math.max(1, width) + "s  %s", status,
                    c.path("check").asText(), c.path("detail").asText(""));
            out.append(line.stripTrailing()).append('\n');
            String fix = c.path("fix").isTextual() ? c.path("fix").asText() : "";
            if (!fix.isBlank()) {
                out.append("      fix: ").append(fix).append('\n');
            }
        }
        return out.toString();
    }

    /** The actions a summary always names, in this order; the others only when they occur. */
    private static final List<String> SUMMARY = List.of("CREATE", "ADOPT", "OVERWRITE", "LEAVE");
    private static final List<String> OTHER_ACTIONS = List.of("UPDATE", "DELETE", "HOLD");

    /** A dry run's table RESOURCE NAME ACTION REASON and its summary line. */
    static String preview(JsonNode rows) {
        Table t = new Table("RESOURCE", "NAME", "ACTION", "REASON");
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (JsonNode row : rows) {
            String action = row.path("action").asText().toUpperCase(Locale.ROOT);
            counts.merge(action, 1, Integer::sum);
            t.row(row.path("resource").asText(), row.path("name").asText(), action.toLowerCase(Locale.ROOT),
                    text(row.path("reason")));
        }
        List<String> parts = new ArrayList<>();
        for (String a : SUMMARY) {
            parts.add(a.toLowerCase(Locale.ROOT) + " " + counts.getOrDefault(a, 0));
        }
        for (String a : OTHER_ACTIONS) {
            if (counts.getOrDefault(a, 0) > 0) {
                parts.add(a.toLowerCase(Locale.ROOT) + " " + counts.get(a));
            }
        }
        counts.forEach((a, n) -> {
            if (!SUMMARY.contains(a) && !OTHER_ACTIONS.contains(a)) {
                parts.add(a.toLowerCase(Locale.ROOT) + " " + n);
            }
        });
        return (rows.size() > 0 ? t.toString() : "no objects to copy\n") + "would " + String.join(", ", parts)
                + "\n";
    }

    @Command(name = "unjoin", description = "Removes a member from the federation; what was pushed to it stays on it.")
    static final class Unjoin implements Callable<Integer> {
        @ParentCommand
        Fedsyncctl root;

        @Parameters(index = "0", paramLabel = "NAME", description = "The member's name.")
        String name;

        @Override
        public Integer call() {
            return root.call(root.client(), c -> c.change("DELETE", CLUSTERS + "/" + Fedsyncctl.encode(name), null),
                    body -> body.path("message").asText(name + " unjoined") + System.lineSeparator());
        }
    }

    @Command(name = "clusters", description = "The host clusters and the members joined to the federation: reachable,"
            + " jwtSecret, the last sync and what is pending.")
    static final class Clusters implements Callable<Integer> {
        @ParentCommand
        Fedsyncctl root;

        @Option(names = {"-o", "--output"}, paramLabel = "table|wide|json|yaml", defaultValue = "table",
                description = "Output format (default ${DEFAULT-VALUE}; wide adds the API server, labels, what was"
                        + " pushed (creates/updates/deletes) and the detail).")
        Fedsyncctl.ListFormat format;

        @Override
        public Integer call() {
            return root.call(root.client(), c -> c.get(CLUSTERS), body -> {
                Instant now = Instant.now();
                String printed = switch (format) {
                    case table -> clustersTable(body.path("items"), false, now);
                    case wide -> clustersTable(body.path("items"), true, now);
                    case json -> Fedsyncctl.render(body, Fedsyncctl.Format.json, null);
                    case yaml -> Fedsyncctl.render(body, Fedsyncctl.Format.yaml, null);
                };
                if (format == Fedsyncctl.ListFormat.table || format == Fedsyncctl.ListFormat.wide) {
                    String note = federationNote(body.path("federation"));
                    if (note != null) {
                        // After the table: print it first.
                        root.out.print(printed);
                        root.out.flush();
                        root.err.println(note);
                        return "";
                    }
                }
                return printed;
            });
        }
    }

    /** What stderr says under the table when federation is off or not running on the replica that answered. */
    static String federationNote(JsonNode federation) {
        if (!federation.path("enabled").asBoolean(false)) {
            return "fedsyncctl: federation is not configured: add a federation: section and clusters[].kubeconfig to"
                    + " fedsyncd's config";
        }
        if (federation.has("running") && !federation.path("running").asBoolean()) {
            return "fedsyncctl: federation is configured but not running on the replica that answered: reachable and"
                    + " jwtSecret are not known there";
        }
        return null;
    }

    /** {@code clusters} as a table; {@code wide} adds SERVER LABELS PUSHED(c/u/d) DETAIL. */
    static String clustersTable(JsonNode items, boolean wide, Instant now) {
        Table t = wide ? new Table("NAME", "ROLE", "REACHABLE", "JWTSECRET", "LASTSYNC", "PENDING", "SERVER", "LABELS",
                "PUSHED(C/U/D)", "DETAIL")
                : new Table("NAME", "ROLE", "REACHABLE", "JWTSECRET", "LASTSYNC", "PENDING");
        for (JsonNode c : items) {
            boolean member = "member".equals(c.path("role").asText());
            JsonNode reachable = c.path("reachable");
            String reach = reachable.isBoolean() ? (reachable.asBoolean() ? "yes" : "no") : "<unknown>";
            String lastSync = member ? age(c.path("lastSync"), now) : "-";
            String pending = member && c.path("pending").isNumber() ? c.path("pending").asText() : "-";
            if (!wide) {
                t.row(c.path("name").asText(), c.path("role").asText(), reach, text(c.path("jwtSecret")), lastSync,
                        pending);
                continue;
            }
            List<String> labels = new ArrayList<>();
            c.path("labels").properties().forEach(e -> labels.add(e.getKey() + "=" + e.getValue().asText()));
            JsonNode p = c.path("pushed");
            String pushed = p.isObject() ? p.path("creates").asLong() + "/" + p.path("updates").asLong() + "/"
                    + p.path("deletes").asLong() : "-";
            List<String> detail = new ArrayList<>();
            if (c.hasNonNull("detail") && !c.path("detail").asText().isBlank()) {
                detail.add(c.path("detail").asText());
            }
            c.path("warnings").forEach(w -> detail.add("warning: " + w.asText()));
            if (c.path("refusedCount").asLong() > 0) {
                JsonNode first = c.path("refused").path(0);
                detail.add("refuses " + c.path("refusedCount").asLong() + " object(s)"
                        + (first.isObject() ? ", e.g. " + first.path("object").asText() + ": " + first.path("answer").asText()
                        : ""));
            }
            t.row(c.path("name").asText(), c.path("role").asText(), reach, text(c.path("jwtSecret")), lastSync,
                    pending, text(c.path("server")), labels.isEmpty() ? "<none>" : String.join(",", labels), pushed,
                    detail.isEmpty() ? "-" : String.join("; ", detail));
        }
        return t.toString();
    }

    /**
     * How long ago {@code time} (RFC 3339) was, like kubectl's AGE: {@code 12s}, {@code 5m},
     * {@code 3h}, {@code 2d}, {@code 1y}; {@code <none>} for null; {@code 0s} for a time ahead of this clock.
     */
    static String age(JsonNode time, Instant now) {
        if (time == null || !time.isTextual()) {
            return "<none>";
        }
        Instant then;
        try {
            then = Instant.parse(time.asText());
        } catch (DateTimeParseException e) {
            return "<invalid>";
        }
        return age(Duration.between(then, now));
    }

    static String age(Duration d) {
        long s = d.getSeconds();
        if (s < 0) {
            return "0s";
        }
        if (s < 60) {
            return s + "s";
        }
        long m = s / 60;
        if (m < 60) {
            return m + "m";
        }
        long h = m / 60;
        if (h < 24) {
            return h + "h";
        }
        if (h < 24 * 365) {
            return h / 24 + "d";
        }
        return h / (24 * 365) + "y";
    }

    @Command(name = "check-jwt", description = "Reads a member's and the hosts' jwtSecret now and says whether they"
            + " match (a member with another jwtSecret refuses the hosts' logins). The secret is never shown.")
    static final class CheckJwt implements Callable<Integer> {
        @ParentCommand
        Fedsyncctl root;

        @Parameters(index = "0", paramLabel = "NAME", description = "The member's name.")
        String name;

        @Option(names = {"-o", "--output"}, paramLabel = "table|json|yaml", defaultValue = "table",
                description = "Output format (default ${DEFAULT-VALUE}: one line, and the fix).")
        Fedsyncctl.Format format;

        @Override
        public Integer call() {
            boolean[] matches = {false};
            int code = root.call(root.client(), c -> c.get(CLUSTERS + "/" + Fedsyncctl.encode(name) + "/jwt"), body -> {
                matches[0] = "matches".equals(body.path("jwtSecret").asText());
                return Fedsyncctl.render(body, format, ClusterCommands::jwtCheck);
            });
            return code == Fedsyncctl.OK && !matches[0] ? Fedsyncctl.REFUSED : code;
        }
    }

    /** A JwtCheck in a line: matches, differs (and why) or unreadable (and why), then the fix. */
    static String jwtCheck(JsonNode j) {
        String name = j.path("name").asText();
        String state = j.path("jwtSecret").asText();
        String detail = j.hasNonNull("detail") && !j.path("detail").asText().isBlank() ? j.path("detail").asText()
                : null;
        StringBuilder out = new StringBuilder(name).append(": jwtSecret ");
        switch (state) {
            case "matches" -> out.append("matches the hosts'");
            case "differs" -> out.append("differs from the hosts'");
            case "unreadable" -> out.append("unreadable");
            default -> out.append(state.isEmpty() ? "unknown" : state);
        }
        if (detail != null && !"matches".equals(state)) {
            out.append(": ").append(detail);
        }
        out.append('\n');
        if (j.path("fix").isTextual() && !j.path("fix").asText().isBlank()) {
            out.append("  fix: ").append(j.path("fix").asText()).append('\n');
        }
        return out.toString();
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? "-" : n.asText();
    }
}
