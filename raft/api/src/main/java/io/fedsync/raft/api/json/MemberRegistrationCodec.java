package io.fedsync.raft.api.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.raft.api.MemberRegistration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON form of a {@link MemberRegistration}, shared by the Raft log and snapshot
 * ({@code join-member}, {@code "members"}) and the single-node {@code members.json}:
 * <pre>
 * {"name": "member1", "kubeconfig": "/etc/fedsync/member1.kubeconfig", "context": "admin@member1" (omitted when null),
 *  "kubeSystemUid": "0b6c…", "labels": {"region": "eu"}, "joinedAt": 1764403200123}
 * </pre>
 * {@code joinedAt} is epoch milliseconds. Reading is strict: a missing or mistyped field, or a
 * value the registration refuses (a relative kubeconfig path, a bad name), is a
 * {@link JsonFormatException} that names it. Fields it does not know are ignored, as in
 * {@link ConflictRecordCodec}. Anyone may call it; it holds no state.
 */
public final class MemberRegistrationCodec {

    private MemberRegistrationCodec() {
    }

    public static ObjectNode toJson(MemberRegistration m) {
        ObjectNode o = Json.object();
        o.put("name", m.name());
        o.put("kubeconfig", m.kubeconfig());
        if (m.context() != null) {
            o.put("context", m.context());
        }
        o.put("kubeSystemUid", m.kubeSystemUid());
        ObjectNode labels = o.putObject("labels");
        m.labels().forEach(labels::put);
        o.put("joinedAt", m.joinedAt());
        return o;
    }

    /** The registrations as a JSON list, in the order given. */
    public static ArrayNode toJson(Collection<MemberRegistration> members) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        members.forEach(m -> a.add(toJson(m)));
        return a;
    }

    /** @throws JsonFormatException naming the first field that is missing or malformed */
    public static MemberRegistration fromJson(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new JsonFormatException("a member registration must be a JSON object");
        }
        String name = Fields.text(node, "name");
        String kubeconfig = Fields.text(node, "kubeconfig");
        String context = Fields.optionalText(node, "context");
        String uid = Fields.text(node, "kubeSystemUid");
        JsonNode labelsNode = Fields.required(node, "labels");
        if (!labelsNode.isObject()) {
            throw new JsonFormatException("field 'labels' must be an object of label → value");
        }
        Map<String, String> labels = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : labelsNode.properties()) {
            if (!e.getValue().isTextual()) {
                throw new JsonFormatException("label '" + e.getKey() + "' must be a string");
            }
            labels.put(e.getKey(), e.getValue().asText());
        }
        long joinedAt = Fields.number(node, "joinedAt");
        try {
            return new MemberRegistration(name, kubeconfig, context, uid, new TreeMap<>(labels), joinedAt);
        } catch (IllegalArgumentException e) {
            // The registration's own rules; each message names its field.
            throw new JsonFormatException("invalid member registration: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a list written by {@link #toJson(Collection)}.
     *
     * @param field the list's name, which prefixes a problem with one entry ({@code members[2]: …})
     * @throws JsonFormatException when it is not a list or an entry is malformed
     */
    public static List<MemberRegistration> fromJsonArray(JsonNode array, String field) {
        if (array == null || !array.isArray()) {
            throw new JsonFormatException("field '" + field + "' must be a list");
        }
        List<MemberRegistration> result = new ArrayList<>();
        int i = 0;
        for (JsonNode m : array) {
            try {
                result.add(fromJson(m));
            } catch (JsonFormatException e) {
                throw new JsonFormatException(field + "[" + i + "]: " + e.getMessage(), e);
            }
            i++;
        }
        return result;
    }
}
