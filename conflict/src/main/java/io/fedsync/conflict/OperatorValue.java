package io.fedsync.conflict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;

/**
 * Checks an object an operator wants written in place of a conflict's sides: it must be the same
 * object — the same API group, kind, name and namespace — as every side that holds one, so that a
 * resolution cannot turn a key into something kube-apiserver would not expect under it. The
 * version within the group may differ (the apiserver reads any version it serves).
 */
public final class OperatorValue {

    private OperatorValue() {
    }

    /** Why {@code value} cannot replace {@code sides}, or empty when it can. */
    public static Optional<String> problem(List<ConflictSide> sides, byte[] value) {
        Optional<ObjectNode> parsed = ObjectNormaliser.parseObject(value);
        if (parsed.isEmpty()) {
            return Optional.of("the value is not a JSON object");
        }
        Identity given = Identity.of(parsed.get());
        for (ConflictSide side : sides) {
            if (side.tombstone() || side.value() == null) {
                continue;
            }
            Optional<ObjectNode> sideObject = ObjectNormaliser.parseObject(side.value());
            if (sideObject.isEmpty()) {
                return Optional.of("the side of " + side.cluster() + " is not a JSON object; resolve it by --winner"
                        + " or delete");
            }
            Identity expected = Identity.of(sideObject.get());
            Optional<String> mismatch = expected.mismatch(given);
            if (mismatch.isPresent()) {
                return Optional.of("the value must be the same object as the side of " + side.cluster() + ": "
                        + mismatch.get());
            }
        }
        return Optional.empty();
    }

    /** What makes a stored object the object it is under its key. */
    private record Identity(String group, String kind, String name, String namespace) {

        static Identity of(ObjectNode o) {
            String apiVersion = text(o.get("apiVersion"));
            String group = apiVersion == null ? null
                    : apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
            JsonNode metadata = o.path("metadata");
            return new Identity(group, text(o.get("kind")), text(metadata.get("name")), text(metadata.get("namespace")));
        }

        Optional<String> mismatch(Identity given) {
            if (!java.util.Objects.equals(group, given.group)) {
                return Optional.of("apiVersion group " + quote(given.group) + " is not " + quote(group));
            }
            if (!java.util.Objects.equals(kind, given.kind)) {
                return Optional.of("kind " + quote(given.kind) + " is not " + quote(kind));
            }
            if (!java.util.Objects.equals(name, given.name)) {
                return Optional.of("metadata.name " + quote(given.name) + " is not " + quote(name));
            }
            if (!java.util.Objects.equals(namespace, given.namespace)) {
                return Optional.of("metadata.namespace " + quote(given.namespace) + " is not " + quote(namespace));
            }
            return Optional.empty();
        }

        private static String quote(String s) {
            return s == null ? "(none)" : "'" + s + "'";
        }

        private static String text(JsonNode n) {
            return n == null || !n.isTextual() ? null : n.asText();
        }
    }
}
