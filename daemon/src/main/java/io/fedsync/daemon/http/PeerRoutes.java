package io.fedsync.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.daemon.json.StatusCodec;
import io.fedsync.raft.MembershipException;
import io.fedsync.raft.RaftStatus;
import io.fedsync.raft.api.json.Json;
import java.io.IOException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code /api/v1/peers} answers: the group, and membership changes with their errors mapped
 * to HTTP statuses. Blocking (a change waits for the leader): called on worker threads.
 */
final class PeerRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(PeerRoutes.class);
    static final int MAX_BODY_BYTES = 4096;

    record Answer(int status, JsonNode body) {
    }

    private final PeerChanges changes;
    private final Supplier<RaftStatus> raft;

    /** @param changes null for a fedsyncd without peers */
    PeerRoutes(PeerChanges changes, Supplier<RaftStatus> raft) {
        this.changes = changes;
        this.raft = raft;
    }

    Answer list() {
        RaftStatus s = raft.get();
        if (s == null) {
            return error(404, "this fedsyncd reports no Raft group");
        }
        return new Answer(200, StatusCodec.raft(s));
    }

    Answer add(String body) {
        if (changes == null) {
            return noGroup();
        }
        JsonNode json;
        try {
            json = body == null || body.isBlank() ? null : Json.MAPPER.readTree(body);
        } catch (IOException e) {
            return error(400, "the body is not JSON: send {\"id\": \"d\", \"address\": \"10.0.0.14:7101\"}");
        }
        if (json == null || !json.isObject() || !json.path("id").isTextual() || !json.path("address").isTextual()) {
            return error(400, "send {\"id\": \"d\", \"address\": \"10.0.0.14:7101\"}: the new replica's node.id and"
                    + " Raft address (host:port)");
        }
        String id = json.get("id").asText();
        String address = json.get("address").asText();
        try {
            RaftStatus s = changes.add(id, address);
            return done(201, "peer " + id + " added", s);
        } catch (MembershipException e) {
            return refused(e, "adding " + id);
        }
    }

    Answer remove(String id) {
        if (changes == null) {
            return noGroup();
        }
        try {
            RaftStatus s = changes.remove(id);
            return done(200, "peer " + id + " removed", s);
        } catch (MembershipException e) {
            return refused(e, "removing " + id);
        }
    }

    private static Answer done(int status, String what, RaftStatus s) {
        ObjectNode body = StatusCodec.raft(s);
        String group = s.peers().stream().map(RaftStatus.PeerStatus::id).collect(Collectors.joining(","));
        body.put("message", what + "; group is now " + group);
        LOG.info("{}; the group is now {}", what, group);
        return new Answer(status, body);
    }

    private Answer refused(MembershipException e, String what) {
        int status = switch (e.kind()) {
            case INVALID -> 400;
            case UNKNOWN_PEER -> 404;
            case ALREADY_MEMBER, REFUSED, IN_PROGRESS -> 409;
            case NOT_LEADER -> 503;
            case TIMED_OUT -> 504;
            case FAILED -> 500;
        };
        LOG.info("{}: {} ({})", what, e.getMessage(), status);
        ObjectNode body = Json.object();
        body.put("error", e.getMessage());
        body.put("reason", e.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        if (status == 503) {
            RaftStatus s = raft.get();
            String leader = e.leaderId() != null ? e.leaderId() : s == null ? null : s.leader();
            if (leader != null && s != null && !leader.equals(s.self())) {
                body.put("leader", leader);
                s.peers().stream().filter(p -> p.id().equals(leader)).findFirst()
                        .ifPresent(p -> body.put("leaderAddress", p.address()));
            }
        }
        return new Answer(status, body);
    }

    private static Answer noGroup() {
        return error(409, "this fedsyncd runs without peers (a group of one): there is no Raft group to change;"
                + " list the group under peers in its config to run it as a replica");
    }

    private static Answer error(int status, String message) {
        ObjectNode body = Json.object();
        body.put("error", message);
        return new Answer(status, body);
    }
}
