package io.fedsync.daemon.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.mirror.MirrorStatus;
import io.fedsync.raft.api.json.Fields;
import io.fedsync.raft.api.json.Json;
import io.fedsync.raft.api.json.JsonFormatException;
import io.fedsync.mirror.VerifyResult;
import io.fedsync.raft.RaftStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON form of {@link MirrorStatus} for {@code GET /api/v1/status}: term, writer, startedAt,
 * policy, prefixes, unhealthy (null when healthy),
 * clusters[{name, state, revision, endpoints, error, owedKeys, downSince}],
 * pairs[{from, to, cursorRevision, lagRevisions, lagMillis}],
 * problems[{cluster, key, reason, detectedAt}], verify{lastRun, clusters, keysChecked, divergent,
 * repaired, conflicts, explained, tombstonesCollected, tookMillis, error} (null before the first
 * pass), notices[{at, cluster, message}], counters{name: n} (sorted by name).
 */
public final class StatusCodec {

    private StatusCodec() {
    }

    /** With this replica's view of its Raft group as {@code raft} (omitted when null). */
    public static ObjectNode toJson(MirrorStatus s, RaftStatus raft) {
        ObjectNode o = toJson(s);
        if (raft != null) {
            o.set("raft", raft(raft));
        }
        return o;
    }

    /** This replica's view of its Raft group: {@code self, role, leader, term, appliedIndex, peers[]} (the live configuration). */
    public static ObjectNode raft(RaftStatus raft) {
        ObjectNode r = Json.object();
        r.put("self", raft.self());
        r.put("role", raft.role());
        r.put("leader", raft.leader());
        r.put("term", raft.term());
        r.put("appliedIndex", raft.appliedIndex());
        ArrayNode peers = r.putArray("peers");
        for (RaftStatus.PeerStatus p : raft.peers()) {
            ObjectNode n = peers.addObject();
            n.put("id", p.id());
            n.put("address", p.address());
            n.put("role", p.role());
            n.put("lastContactMillis", p.lastContactMillis());
        }
        return r;
    }

    public static ObjectNode toJson(MirrorStatus s) {
        ObjectNode o = Json.object();
        o.put("term", s.term());
        o.put("writer", s.writer());
        o.put("startedAt", Fields.iso(s.startedAt()));
        o.put("policy", s.policy());
        o.set("prefixes", Fields.strings(s.prefixes()));
        o.put("unhealthy", s.unhealthy());
        ArrayNode clusters = o.putArray("clusters");
        for (MirrorStatus.ClusterStatus c : s.clusters()) {
            ObjectNode n = clusters.addObject();
            n.put("name", c.name());
            n.put("state", c.state());
            n.put("revision", c.revision());
            n.set("endpoints", Fields.strings(c.endpoints()));
            n.put("error", c.error());
            n.put("owedKeys", c.owedKeys());
            n.put("downSince", Fields.iso(c.downSince()));
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
        if (s.verify() == null) {
            o.putNull("verify");
        } else {
            o.set("verify", verify(s.verify()));
        }
        ArrayNode notices = o.putArray("notices");
        for (MirrorStatus.Notice n : s.notices()) {
            ObjectNode j = notices.addObject();
            j.put("at", Fields.iso(n.at()));
            j.put("cluster", n.cluster());
            j.put("message", n.message());
        }
        ObjectNode counters = o.putObject("counters");
        new TreeMap<>(s.counters()).forEach(counters::put);
        return o;
    }

    public static ObjectNode verify(VerifyResult v) {
        ObjectNode n = Json.object();
        n.put("lastRun", Fields.iso(v.lastRun()));
        n.set("clusters", Fields.strings(v.clusters()));
        n.put("keysChecked", v.keysChecked());
        n.put("divergent", v.divergent());
        n.put("repaired", v.repaired());
        n.put("conflicts", v.conflicts());
        n.put("explained", v.explained());
        n.put("tombstonesCollected", v.tombstonesCollected());
        n.put("tookMillis", v.tookMillis());
        n.put("error", v.error());
        return n;
    }

    static VerifyResult verifyFromJson(JsonNode n) {
        return new VerifyResult(Fields.optionalInstant(n, "lastRun"), Fields.strings(n, "clusters"),
                Fields.number(n, "keysChecked"), Fields.number(n, "divergent"), Fields.number(n, "repaired"),
                Fields.number(n, "conflicts"), Fields.number(n, "explained"), Fields.number(n, "tombstonesCollected"),
                Fields.number(n, "tookMillis"), Fields.optionalText(n, "error"));
    }

    /** For clients of the API (the CLI, tests). */
    public static MirrorStatus fromJson(JsonNode o) {
        if (o == null || !o.isObject()) {
            throw new JsonFormatException("a status must be a JSON object");
        }
        List<MirrorStatus.ClusterStatus> clusters = new ArrayList<>();
        for (JsonNode n : Fields.array(o, "clusters")) {
            clusters.add(new MirrorStatus.ClusterStatus(Fields.text(n, "name"), Fields.text(n, "state"),
                    Fields.number(n, "revision"), Fields.strings(n, "endpoints"), Fields.optionalText(n, "error"),
                    n.has("owedKeys") ? Fields.number(n, "owedKeys") : 0, Fields.optionalInstant(n, "downSince")));
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
        List<MirrorStatus.Notice> notices = new ArrayList<>();
        if (o.has("notices")) {
            for (JsonNode n : Fields.array(o, "notices")) {
                notices.add(new MirrorStatus.Notice(Fields.optionalInstant(n, "at"), Fields.optionalText(n, "cluster"),
                        Fields.text(n, "message")));
            }
        }
        JsonNode v = o.get("verify");
        VerifyResult verify = v == null || v.isNull() ? null : verifyFromJson(v);
        JsonNode c = Fields.required(o, "counters");
        if (!c.isObject()) {
            throw new JsonFormatException("field 'counters' must be an object");
        }
        Map<String, Long> counters = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : c.properties()) {
            counters.put(e.getKey(), Fields.number(c, e.getKey()));
        }
        return new MirrorStatus(Fields.number(o, "term"), Fields.optionalText(o, "writer"),
                Fields.optionalInstant(o, "startedAt"), Fields.optionalText(o, "policy"), Fields.strings(o, "prefixes"),
                Fields.optionalText(o, "unhealthy"), clusters, pairs, problems, verify, notices, counters);
    }
}
