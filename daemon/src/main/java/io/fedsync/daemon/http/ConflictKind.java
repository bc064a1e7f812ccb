package io.fedsync.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictSide;
import io.fedsync.conflict.ObjectNormaliser;
import java.util.Locale;
import java.util.Optional;

/**
 * What kind of Kubernetes object a conflict is about. kube-apiserver stores an object of a group
 * with a dot under {@code /registry/<group>/<resource>/[<namespace>/]<name>} (e.g.
 * {@code /registry/iam.kubesphere.io/users/alice}: group {@code iam.kubesphere.io}, resource
 * {@code users}) and a core or built-in one under {@code /registry/<resource>/...} (group
 * {@code ""}). The {@code Kind} ({@code User}) is the {@code kind} field of the first side that
 * holds a JSON object; null when none does (every side deleted, or not JSON).
 *
 * @param group    the API group from the key, "" for none; null for a key not under {@code /registry/}
 * @param resource the plural resource from the key; null for a key not under {@code /registry/}
 * @param kind     the object's {@code kind}, or null
 */
record ConflictKind(String group, String resource, String kind) {

    private static final String REGISTRY = "/registry/";

    static ConflictKind of(ConflictRecord r) {
        return ofKey(r.key()).withKind(kindOf(r));
    }

    /** Group and resource from the key alone (kind null). */
    static ConflictKind ofKey(String key) {
        if (key == null || !key.startsWith(REGISTRY)) {
            return new ConflictKind(null, null, null);
        }
        String[] segments = key.substring(REGISTRY.length()).split("/", -1);
        if (segments.length >= 3 && segments[0].contains(".") && !segments[1].isEmpty()) {
            return new ConflictKind(segments[0], segments[1], null);
        }
        if (segments.length >= 2 && !segments[0].isEmpty()) {
            return new ConflictKind("", segments[0], null);
        }
        return new ConflictKind(null, null, null);
    }

    private ConflictKind withKind(String k) {
        return new ConflictKind(group, resource, k);
    }

    private static String kindOf(ConflictRecord r) {
        for (ConflictSide s : r.sides()) {
            if (s.tombstone() || s.value() == null) {
                continue;
            }
            Optional<String> k = ObjectNormaliser.parseObject(s.value()).map(o -> o.get("kind"))
                    .filter(JsonNode::isTextual).map(JsonNode::asText).filter(t -> !t.isEmpty());
            if (k.isPresent()) {
                return k.get();
            }
        }
        return null;
    }

    /**
     * Whether {@code wanted} names this kind: the plural resource ({@code users}), the resource
     * with its group ({@code users.iam.kubesphere.io}) or the Kind ({@code User}), compared
     * without regard to case, as kubectl does.
     */
    static boolean matches(ConflictRecord r, String wanted) {
        String w = wanted.toLowerCase(Locale.ROOT);
        ConflictKind fromKey = ofKey(r.key());
        if (fromKey.resource != null) {
            String res = fromKey.resource.toLowerCase(Locale.ROOT);
            if (res.equals(w) || (!fromKey.group.isEmpty()
                    && (res + "." + fromKey.group.toLowerCase(Locale.ROOT)).equals(w))) {
                return true;
            }
        }
        String k = kindOf(r);
        return k != null && k.toLowerCase(Locale.ROOT).equals(w);
    }
}
