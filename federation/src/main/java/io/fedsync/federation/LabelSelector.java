package io.fedsync.federation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Kubernetes label selector ({@code matchLabels} and {@code matchExpressions} with {@code In},
 * {@code NotIn}, {@code Exists}, {@code DoesNotExist}), as in a workspace template's
 * {@code spec.placement.clusterSelector}. An empty selector matches everything, like Kubernetes';
 * a malformed one is rejected with the reason rather than matching nothing silently.
 */
public record LabelSelector(Map<String, String> matchLabels, List<Requirement> requirements) {

    public enum Operator { IN, NOT_IN, EXISTS, DOES_NOT_EXIST }

    public record Requirement(String key, Operator operator, Set<String> values) {
        boolean matches(Map<String, String> labels) {
            return switch (operator) {
                case IN -> labels.containsKey(key) && values.contains(labels.get(key));
                case NOT_IN -> !labels.containsKey(key) || !values.contains(labels.get(key));
                case EXISTS -> labels.containsKey(key);
                case DOES_NOT_EXIST -> !labels.containsKey(key);
            };
        }
    }

    public LabelSelector {
        matchLabels = Map.copyOf(matchLabels);
        requirements = List.copyOf(requirements);
    }

    public boolean matches(Map<String, String> labels) {
        for (Map.Entry<String, String> e : matchLabels.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return requirements.stream().allMatch(r -> r.matches(labels));
    }

    /** @throws IllegalArgumentException with what is wrong in the selector */
    public static LabelSelector parse(JsonNode selector) {
        if (selector == null || selector.isNull()) {
            return new LabelSelector(Map.of(), List.of());
        }
        if (!selector.isObject()) {
            throw new IllegalArgumentException("clusterSelector must be an object");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        JsonNode ml = selector.path("matchLabels");
        if (!ml.isMissingNode() && !ml.isNull()) {
            if (!ml.isObject()) {
                throw new IllegalArgumentException("clusterSelector.matchLabels must be an object");
            }
            ml.fields().forEachRemaining(e -> {
                if (!e.getValue().isTextual()) {
                    throw new IllegalArgumentException("clusterSelector.matchLabels." + e.getKey() + " must be a string");
                }
                labels.put(e.getKey(), e.getValue().asText());
            });
        }
        List<Requirement> reqs = new ArrayList<>();
        JsonNode me = selector.path("matchExpressions");
        if (!me.isMissingNode() && !me.isNull()) {
            if (!me.isArray()) {
                throw new IllegalArgumentException("clusterSelector.matchExpressions must be a list");
            }
            for (JsonNode x : me) {
                String key = x.path("key").asText("");
                if (key.isEmpty()) {
                    throw new IllegalArgumentException("a clusterSelector.matchExpressions entry has no key");
                }
                Operator op = switch (x.path("operator").asText("")) {
                    case "In" -> Operator.IN;
                    case "NotIn" -> Operator.NOT_IN;
                    case "Exists" -> Operator.EXISTS;
                    case "DoesNotExist" -> Operator.DOES_NOT_EXIST;
                    default -> throw new IllegalArgumentException("clusterSelector operator '"
                            + x.path("operator").asText("") + "' for key " + key
                            + " is not one of In, NotIn, Exists, DoesNotExist");
                };
                Set<String> values = new TreeSet<>();
                x.path("values").forEach(v -> values.add(v.asText()));
                boolean needsValues = op == Operator.IN || op == Operator.NOT_IN;
                if (needsValues == values.isEmpty()) {
                    throw new IllegalArgumentException("clusterSelector key " + key + ": " + x.path("operator").asText()
                            + (needsValues ? " needs values" : " takes no values"));
                }
                reqs.add(new Requirement(key, op, values));
            }
        }
        return new LabelSelector(labels, reqs);
    }
}
