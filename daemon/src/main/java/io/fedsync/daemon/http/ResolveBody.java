package io.fedsync.daemon.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.mirror.ResolveAction;
import io.fedsync.raft.api.json.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The body of {@code POST /api/v1/conflicts/{id}/resolve}: exactly one of
 * {@code {"winner": "<cluster>"}}, {@code {"value": {<object>}}} or {@code {"delete": true}}.
 * A value is written as compact JSON followed by a newline, as kube-apiserver stores objects.
 */
final class ResolveBody {

    /** Bodies above this get 413: a value must also fit in one etcd Txn (1.5 MiB by default). */
    static final int MAX_BODY_BYTES = 1_572_864;

    static final String USAGE = "send exactly one of {\"winner\": \"<cluster>\"}, {\"value\": {<the object>}} or"
            + " {\"delete\": true}";

    private ResolveBody() {
    }

    /** @throws IllegalArgumentException (400) saying what is wrong with the body */
    static ResolveAction parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw new IllegalArgumentException("the body is empty: " + USAGE);
        }
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException("the body is not JSON (" + firstLine(why) + "): " + USAGE);
        }
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object: " + USAGE);
        }
        List<String> fields = new ArrayList<>();
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            fields.add(it.next());
        }
        List<String> unknown = fields.stream().filter(f -> !f.equals("winner") && !f.equals("value")
                && !f.equals("delete")).toList();
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown field" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown.stream().map(f -> "'" + cut(f) + "'").toList()) + ": " + USAGE);
        }
        if (fields.size() != 1) {
            throw new IllegalArgumentException((fields.isEmpty() ? "nothing asked" : "both " + String.join(" and ",
                    fields) + " given") + ": " + USAGE);
        }
        JsonNode v = json.get(fields.get(0));
        switch (fields.get(0)) {
            case "winner" -> {
                if (!v.isTextual() || v.asText().isBlank()) {
                    throw new IllegalArgumentException("winner must be the name of a cluster, e.g. {\"winner\": \"host\"}");
                }
                return ResolveAction.winner(v.asText());
            }
            case "value" -> {
                if (!v.isObject()) {
                    throw new IllegalArgumentException("value must be a JSON object: the whole Kubernetes object to"
                            + " write to every cluster");
                }
                try {
                    byte[] compact = Json.MAPPER.writeValueAsBytes(v);
                    byte[] stored = java.util.Arrays.copyOf(compact, compact.length + 1);
                    stored[compact.length] = '\n';
                    return ResolveAction.value(stored);
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException("value cannot be written as JSON: " + e.getOriginalMessage());
                }
            }
            default -> {
                if (!v.isBoolean() || !v.asBoolean()) {
                    throw new IllegalArgumentException("delete must be true: {\"delete\": true}");
                }
                return ResolveAction.delete();
            }
        }
    }

    private static String cut(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    private static String firstLine(String s) {
        return s == null ? "malformed" : cut(s.lines().findFirst().orElse("malformed"));
    }
}
