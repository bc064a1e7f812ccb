package io.fedsync.raft.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.raft.api.json.Json;
import io.fedsync.raft.api.json.JsonFormatException;
import java.io.IOException;

/**
 * What applying one command answered: {@code {"ok": true}}, {@code {"ok": true, "term": 6}} for
 * next-term, or {@code {"ok": false, "stale": true|false, "error": "..."}}. A refused command
 * changed nothing.
 *
 * @param term  the fencing term handed out by next-term; 0 for other commands
 * @param stale refused because it came from a leader of an older term (see {@link Command})
 * @param error why it was refused; null when ok
 */
public record Reply(boolean ok, long term, boolean stale, String error) {

    static final Reply OK = new Reply(true, 0, false, null);

    static Reply term(long term) {
        return new Reply(true, term, false, null);
    }

    static Reply refused(String error) {
        return new Reply(false, 0, false, error);
    }

    static Reply stale(String error) {
        return new Reply(false, 0, true, error);
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
            return new Reply(true, node.path("term").asLong(0), false, null);
        }
        return new Reply(false, 0, node.path("stale").asBoolean(false), node.path("error").asText("unknown error"));
    }
}
