package io.fedsync.itest.kube;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code labelSelector} ({@code a=b}, {@code a==b}, {@code a!=b}, {@code a}, {@code !a},
 * {@code a in (x,y)}, {@code a notin (x,y)}) and {@code fieldSelector} ({@code metadata.name},
 * {@code metadata.namespace} with {@code =}, {@code ==}, {@code !=}) as kube-apiserver reads them.
 */
final class Selectors {

    private Selectors() {
    }

    /** Everything matches a null or blank selector. */
    static Predicate<Map<String, Object>> parse(String labelSelector, String fieldSelector) {
        Predicate<Map<String, Object>> labels = labels(labelSelector);
        Predicate<Map<String, Object>> fields = fields(fieldSelector);
        return object -> labels.test(object) && fields.test(object);
    }

    private static Predicate<Map<String, Object>> labels(String selector) {
        if (selector == null || selector.isBlank()) {
            return object -> true;
        }
        List<Predicate<Map<String, String>>> requirements = new ArrayList<>();
        for (String part : split(selector)) {
            requirements.add(labelRequirement(part.trim()));
        }
        return object -> {
            Map<String, String> labels = StoredObjects.stringMap(StoredObjects.metadata(object).get("labels"));
            return requirements.stream().allMatch(r -> r.test(labels));
        };
    }

    private static Predicate<Map<String, String>> labelRequirement(String part) {
        String[] setOp = part.split("\\s+(notin|in)\\s+", 2);
        if (setOp.length == 2) {
            String key = setOp[0].trim();
            boolean notIn = part.substring(key.length()).trim().startsWith("notin");
            String list = setOp[1].trim();
            if (!list.startsWith("(") || !list.endsWith(")")) {
                throw ApiError.badRequest("unable to parse requirement: " + part);
            }
            Set<String> values = Set.of(list.substring(1, list.length() - 1).trim().split("\\s*,\\s*"));
            return notIn ? labels -> !labels.containsKey(key) || !values.contains(labels.get(key))
                    : labels -> labels.containsKey(key) && values.contains(labels.get(key));
        }
        if (part.contains("!=")) {
            String[] kv = part.split("!=", 2);
            String key = kv[0].trim();
            String value = kv[1].trim();
            return labels -> !value.equals(labels.get(key));
        }
        if (part.contains("=")) {
            String[] kv = part.split("==?", 2);
            String key = kv[0].trim();
            String value = kv[1].trim();
            return labels -> value.equals(labels.get(key));
        }
        if (part.startsWith("!")) {
            String key = part.substring(1).trim();
            return labels -> !labels.containsKey(key);
        }
        if (part.isEmpty()) {
            throw ApiError.badRequest("unable to parse requirement: empty");
        }
        return labels -> labels.containsKey(part);
    }

    private static Predicate<Map<String, Object>> fields(String selector) {
        if (selector == null || selector.isBlank()) {
            return object -> true;
        }
        List<Predicate<Map<String, Object>>> requirements = new ArrayList<>();
        for (String part : split(selector)) {
            boolean negated = part.contains("!=");
            String[] kv = part.split(negated ? "!=" : "==?", 2);
            if (kv.length != 2) {
                throw ApiError.badRequest("invalid selector: '" + selector + "'; can't understand '" + part + "'");
            }
            String field = kv[0].trim();
            String value = kv[1].trim();
            if (!field.equals("metadata.name") && !field.equals("metadata.namespace")) {
                throw ApiError.badRequest("field label not supported: " + field);
            }
            String metaKey = field.substring("metadata.".length());
            requirements.add(object -> {
                Object actual = StoredObjects.metadata(object).get(metaKey);
                boolean equal = value.equals(actual == null ? "" : actual.toString());
                return negated != equal;
            });
        }
        return object -> requirements.stream().allMatch(r -> r.test(object));
    }

    /** Splits on commas outside parentheses. */
    private static List<String> split(String selector) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < selector.length(); i++) {
            char c = selector.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(selector.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(selector.substring(start));
        return parts;
    }
}
