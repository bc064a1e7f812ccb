package io.fedsync.daemon.http;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The query of {@code GET /api/v1/conflicts}: {@code state}, {@code type}, {@code key} (a prefix),
 * {@code cluster} and {@code kind} (see {@link ConflictKind#matches}), all optional and combined
 * with AND; {@code limit} and {@code continue} are {@link ConflictPage}'s. Unknown parameters and
 * values are rejected rather than ignored: a typo must not silently return every conflict.
 */
public record ConflictFilter(ConflictState state, ConflictType type, String keyPrefix, String cluster, String kind)
        implements Predicate<ConflictRecord> {

    public static final ConflictFilter ALL = new ConflictFilter(null, null, null, null, null);

    private static final List<String> FILTERS = List.of("state", "type", "key", "cluster", "kind");
    static final List<String> PARAMETERS = List.of("state", "type", "key", "cluster", "kind", "limit", "continue");

    /** @throws IllegalArgumentException with a message for the client */
    public static ConflictFilter parse(Map<String, List<String>> query) {
        for (Map.Entry<String, List<String>> e : query.entrySet()) {
            if (!PARAMETERS.contains(e.getKey())) {
                throw new IllegalArgumentException("unknown query parameter '" + e.getKey() + "' (known: "
                        + String.join(", ", PARAMETERS) + ")");
            }
            if (e.getValue().size() > 1) {
                throw new IllegalArgumentException("query parameter '" + e.getKey() + "' is given more than once");
            }
        }
        return new ConflictFilter(
                parseEnum(single(query, "state"), "state", ConflictState.values(), ConflictState::wireName),
                parseEnum(single(query, "type"), "type", ConflictType.values(), ConflictType::wireName),
                nonEmpty(single(query, "key"), "key"),
                nonEmpty(single(query, "cluster"), "cluster"),
                nonEmpty(single(query, "kind"), "kind"));
    }

    /** The filters as one line, for {@link ConflictPage}'s token: a token is valid only with the same filters. */
    String canonical() {
        return FILTERS.size() + "|" + (state == null ? "" : state.wireName()) + "|"
                + (type == null ? "" : type.wireName()) + "|" + (keyPrefix == null ? "" : keyPrefix) + "|"
                + (cluster == null ? "" : cluster) + "|" + (kind == null ? "" : kind);
    }

    static String single(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static String nonEmpty(String value, String name) {
        if (value != null && value.isEmpty()) {
            throw new IllegalArgumentException("query parameter '" + name + "' is empty");
        }
        return value;
    }

    private static <E> E parseEnum(String value, String name, E[] values, Function<E, String> wire) {
        if (value == null) {
            return null;
        }
        for (E e : values) {
            if (wire.apply(e).equals(value)) {
                return e;
            }
        }
        throw new IllegalArgumentException("query parameter '" + name + "' must be one of "
                + Arrays.stream(values).map(wire).collect(Collectors.joining(", ")) + ", got '" + value + "'");
    }

    @Override
    public boolean test(ConflictRecord r) {
        return (state == null || r.state() == state)
                && (type == null || r.type() == type)
                && (keyPrefix == null || r.key().startsWith(keyPrefix))
                && (cluster == null || r.clusters().contains(cluster))
                && (kind == null || ConflictKind.matches(r, kind));
    }
}
