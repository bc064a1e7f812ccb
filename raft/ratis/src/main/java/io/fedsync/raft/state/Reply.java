package io.fedsync.raft.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.raft.api.RegistrationException;
import io.fedsync.raft.api.json.Json;
import io.fedsync.raft.api.json.JsonFormatException;
import java.io.IOException;
import java.util.Locale;
import java.util.Objects;

/**
 * What applying one command answered: {@code {"ok": true}}, {@code {"ok": true, "term": 6}} for
 * next-term, or {@code {"ok": false, "stale": true|false, "error": "..."}}, with
 * {@code "refusal": "name-taken" | "cluster-taken" | "not-joined"} when a member registry rule
 * refused a join-member or unjoin-member. A refused command changed nothing.
 * <p>
 * Made by {@link FedsyncState} only; read by the replica that submitted the command.
 *
 * @param term    the fencing term handed out by next-term; 0 for other commands
 * @param stale   refused because it came from a leader of an older term (see {@link Command})
 * @param refusal which member registry rule refused it ({@code NAME_TAKEN}, {@code CLUSTER_TAKEN},
 *                {@code NOT_JOINED}); null for any other refusal and when ok
 * @param error   why it was refused, for the operator; null when ok
 */
public record Reply(boolean ok, long term, boolean stale, RegistrationException.Kind refusal, String error) {

    static final Reply OK = new Reply(true, 0, false, null, null);

    public Reply {
        if (ok && (stale || refusal != null || error != null)) {
            throw new IllegalArgumentException("an ok reply has no stale flag, refusal or error");
        }
        if (refusal == RegistrationException.Kind.UNAVAILABLE) {
            throw new IllegalArgumentException("UNAVAILABLE is the submitter's conclusion, never a state's refusal");
        }
    }

    static Reply term(long term) {
        return new Reply(true, term, false, null, null);
    }

    static Reply refused(String error) {
        return new Reply(false, 0, false, null, error);
    }

    /** Refused by a member registry rule: the submitter tells the kinds apart by {@link #refusal()}. */
    static Reply refused(RegistrationException.Kind refusal, String error) {
        return new Reply(false, 0, false, Objects.requireNonNull(refusal, "refusal"), error);
    }

    static Reply stale(String error) {
        return new Reply(false, 0, true, null, error);
    }

    public byte[] encode() {
        ObjectNode o = Json.object();
        o.put("ok", ok);
        if (ok) {
            if (term != 0) {
                o.put("term", term);
            }
        } else {
            o.put("stale", stale);
            if (refusal != null) {
                o.put("refusal", wireName(refusal));
            }
            o.put("error", error);
        }
        return Json.bytes(o);
    }

    /** @throws JsonFormatException when the bytes are not a reply */
    public static Reply decode(byte[] bytes) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new JsonFormatException("a reply must be JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new JsonFormatException("cannot read a reply: " + e.getMessage());
        }
        if (node == null || !node.isObject() || !node.path("ok").isBoolean()) {
            throw new JsonFormatException("a reply must be a JSON object with 'ok'");
        }
        if (node.get("ok").asBoolean()) {
            return new Reply(true, node.path("term").asLong(0), false, null, null);
        }
        return new Reply(false, 0, node.path("stale").asBoolean(false), refusal(node.path("refusal").asText(null)),
                node.path("error").asText("unknown error"));
    }

    private static String wireName(RegistrationException.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** A refusal this replica does not know (a newer one's) reads as none: a refusal all the same. */
    private static RegistrationException.Kind refusal(String wire) {
        if (wire == null) {
            return null;
        }
        for (RegistrationException.Kind k : RegistrationException.Kind.values()) {
            if (k != RegistrationException.Kind.UNAVAILABLE && wireName(k).equals(wire)) {
                return k;
            }
        }
        return null;
    }
}
