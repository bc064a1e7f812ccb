package io.fedsync.daemon.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.mirror.MirrorStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON form of {@link MirrorStatus} for {@code GET /api/v1/status}: term, startedAt, policy,
 * prefixes, clusters[{name, state, revision, endpoints, error}],
 * pairs[{from, to, cursorRevision, lagRevisions, lagMillis}],
 * problems[{cluster, key, reason, detectedAt}], counters{name: n} (sorted by name).
 */
public final class StatusCodec {

    private StatusCodec() {
    }

    public static ObjectNode toJson(MirrorStatus s) {
        ObjectNode o = Json.object();
        o.put("term", s.term());
        o.put("startedAt", Fields.iso(s.startedAt()));
        o.put("policy", s.policy());
        o.set("prefixes", Fields.strings(s.prefixes()));
        ArrayNode clusters = o.putArray("clusters");
        for (MirrorStatus.ClusterStatus c : s.clusters()) {
            ObjectNode n = clusters.addObject();
            n.put("name", c.name());
            n.put("state", c.state());
            n.put("revision", c.revision());
            n.set("endpoints", Fields.strings(c.endpoints()));
            n.put("error", c.error());
        }
        ArrayNode pairs = o.putArray("pairs");
        for (MirrorStatus.PairStatus p : s.pairs()) {
            ObjectNode n = pairs.addObject();
            n.put("from", p.from());
            n.put("to", p.to());
            n.put("cursorRevision", p.cursorRevision());
            n.put("lagRevisions", p.lagRevisions());
            n.put("lagMillis", p.lagMillis());
        }
        ArrayNode problems = o.putArray("problems");
        for (MirrorStatus.Problem p : s.problems()) {
            ObjectNode n = problems.addObject();
            n.put("cluster", p.cluster());
            n.put("key", p.key());
            n.put("reason", p.reason());
            n.put("detectedAt", Fields.iso(p.detectedAt()));
        }
        ObjectNode counters = o.putObject("counters");
        new TreeMap<>(s.counters()).forEach(counters::put);
        return o;
    }

    /** For clients of the API (the CLI, tests). */
    public static MirrorStatus fromJson(JsonNode o) {
        if (o == null || !o.isObject()) {
            throw new JsonFormatException("a status must be a JSON object");
        }
        List<MirrorStatus.ClusterStatus> clusters = new ArrayList<>();
        for (JsonNode n : Fields.array(o, "clusters")) {
            clusters.add(new MirrorStatus.ClusterStatus(Fields.text(n, "name"), Fields.text(n, "state"),
                    Fields.number(n, "revision"), Fields.strings(n, "endpoints"), Fields.optionalText(n, "error")));
        }
        List<MirrorStatus.PairStatus> pairs = new ArrayList<>();
        for (JsonNode n : Fields.array(o, "pairs")) {
            pairs.add(new MirrorStatus.PairStatus(Fields.text(n, "from"), Fields.text(n, "to"),
                    Fields.number(n, "cursorRevision"), Fields.number(n, "lagRevisions"),
                    Fields.number(n, "lagMillis")));
        }
        List<MirrorStatus.Problem> problems = new ArrayList<>();
        for (JsonNode n : Fields.array(o, "problems")) {
            problems.add(new MirrorStatus.Problem(Fields.text(n, "cluster"), Fields.text(n, "key"),
                    Fields.text(n, "reason"), Fields.optionalInstant(n, "detectedAt")));
        }
        JsonNode c = Fields.required(o, "counters");
        if (!c.isObject()) {
            throw new JsonFormatException("field 'counters' must be an object");
        }
        Map<String, Long> counters = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : c.properties()) {
            counters.put(e.getKey(), Fields.number(c, e.getKey()));
        }
        return new MirrorStatus(Fields.number(o, "term"), Fields.optionalInstant(o, "startedAt"),
                Fields.optionalText(o, "policy"), Fields.strings(o, "prefixes"), clusters, pairs, problems, counters);
    }
}
