package io.fedsync.raft.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.raft.api.CursorKey;
import io.fedsync.raft.api.MemberRegistration;
import io.fedsync.raft.api.json.ConflictRecordCodec;
import io.fedsync.raft.api.json.Fields;
import io.fedsync.raft.api.json.Json;
import io.fedsync.raft.api.json.JsonFormatException;
import io.fedsync.raft.api.json.MemberRegistrationCodec;
import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One entry of fedsync's Raft log: a small JSON document with an {@code op}.
 * <pre>
 * {"op": "set-cursors", "leaderTerm": 7, "cursors": [{"cluster", "prefix", "revision"}, ...]}
 * {"op": "put-conflict", "record": { conflict record, see ConflictRecordCodec }}
 * {"op": "next-term", "leaderTerm": 7, "atLeast": 12, "leaderApi": "http://10.0.0.11:8080"}
 * {"op": "join-member", "member": { member registration, see MemberRegistrationCodec }}
 * {"op": "unjoin-member", "name": "member1"}
 * </pre>
 * {@code leaderTerm} is the Raft term in which the submitting replica was told it leads: the
 * state applies the command only if the log entry carries that same term, i.e. only if it was
 * appended by the leader that asked (one leader per term). A deposed leader's late cursors or
 * term request are therefore refused deterministically on every replica. {@code put-conflict},
 * {@code join-member} and {@code unjoin-member} carry no term: any replica may submit them (an
 * operator acts on any), and the state checks them where they are applied.
 */
public sealed interface Command permits Command.SetCursors, Command.PutConflict, Command.NextTerm,
        Command.JoinMember, Command.UnjoinMember {

    /** Merges {@code cursors} into the stored ones (a key not named keeps its value). */
    record SetCursors(long leaderTerm, SortedMap<CursorKey, Long> cursors) implements Command {
        public SetCursors {
            positive(leaderTerm, "leaderTerm");
            TreeMap<CursorKey, Long> copy = new TreeMap<>(FedsyncState.CURSOR_ORDER);
            cursors.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "cursor key"), Objects.requireNonNull(v, "cursor")));
            cursors = Collections.unmodifiableSortedMap(copy);
        }

        public static SetCursors of(long leaderTerm, Map<CursorKey, Long> cursors) {
            TreeMap<CursorKey, Long> sorted = new TreeMap<>(FedsyncState.CURSOR_ORDER);
            sorted.putAll(cursors);
            return new SetCursors(leaderTerm, sorted);
        }
    }

    /** Adds or replaces one conflict record (by id). */
    record PutConflict(ConflictRecord record) implements Command {
        public PutConflict {
            Objects.requireNonNull(record, "record");
        }
    }

    /**
     * Hands out the next fencing term: {@code max(last + 1, atLeast)}.
     *
     * @param leaderApi the HTTP API of the replica that asks, which mirrors under that term (where
     *                  other replicas forward calls only the mirror answers); null when unknown
     */
    record NextTerm(long leaderTerm, long atLeast, String leaderApi) implements Command {
        public NextTerm {
            positive(leaderTerm, "leaderTerm");
            if (atLeast < 0) {
                throw new IllegalArgumentException("atLeast must be >= 0, not " + atLeast);
            }
            if (leaderApi != null && leaderApi.isBlank()) {
                throw new IllegalArgumentException("leaderApi must not be blank");
            }
        }

        public NextTerm(long leaderTerm, long atLeast) {
            this(leaderTerm, atLeast, null);
        }
    }

    /**
     * Joins a member cluster (see {@code Members} for the rules). {@code joinedAt} was set by the
     * submitter: the state reads no clock.
     */
    record JoinMember(MemberRegistration member) implements Command {
        public JoinMember {
            Objects.requireNonNull(member, "member");
        }
    }

    /** Removes the registration of the member named {@code name}. */
    record UnjoinMember(String name) implements Command {
        public UnjoinMember {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
        }
    }

    default byte[] encode() {
        ObjectNode o = Json.object();
        if (this instanceof SetCursors c) {
            o.put("op", "set-cursors");
            o.put("leaderTerm", c.leaderTerm());
            o.set("cursors", FedsyncState.cursorsJson(c.cursors()));
        } else if (this instanceof PutConflict p) {
            o.put("op", "put-conflict");
            o.set("record", ConflictRecordCodec.toJson(p.record()));
        } else if (this instanceof NextTerm n) {
            o.put("op", "next-term");
            o.put("leaderTerm", n.leaderTerm());
            o.put("atLeast", n.atLeast());
            if (n.leaderApi() != null) {
                o.put("leaderApi", n.leaderApi());
            }
        } else if (this instanceof JoinMember j) {
            o.put("op", "join-member");
            o.set("member", MemberRegistrationCodec.toJson(j.member()));
        } else if (this instanceof UnjoinMember u) {
            o.put("op", "unjoin-member");
            o.put("name", u.name());
        }
        return Json.bytes(o);
    }

    /** @throws JsonFormatException naming what is wrong: not JSON, unknown op, missing or malformed field */
    static Command decode(byte[] bytes) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new JsonFormatException("a command must be JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new JsonFormatException("cannot read a command: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new JsonFormatException("a command must be a JSON object");
        }
        String op = Fields.text(node, "op");
        try {
            return switch (op) {
                case "set-cursors" -> new SetCursors(Fields.number(node, "leaderTerm"),
                        FedsyncState.cursorsFromJson(Fields.array(node, "cursors")));
                case "put-conflict" -> new PutConflict(ConflictRecordCodec.fromJson(Fields.required(node, "record")));
                case "next-term" -> new NextTerm(Fields.number(node, "leaderTerm"), Fields.number(node, "atLeast"),
                        optionalText(node, "leaderApi"));
                case "join-member" -> new JoinMember(member(Fields.required(node, "member")));
                case "unjoin-member" -> new UnjoinMember(Fields.text(node, "name"));
                default -> throw new JsonFormatException("unknown command op '" + op + "'");
            };
        } catch (JsonFormatException e) {
            throw e;
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new JsonFormatException("malformed '" + op + "' command: " + e.getMessage(), e);
        }
    }

    private static MemberRegistration member(JsonNode member) {
        try {
            return MemberRegistrationCodec.fromJson(member);
        } catch (JsonFormatException e) {
            throw new JsonFormatException("member: " + e.getMessage(), e);
        }
    }

    /** A text field that may be absent (older entries) or null. */
    static String optionalText(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new JsonFormatException("field '" + field + "' must be a string");
        }
        return v.asText();
    }

    private static void positive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, not " + value);
        }
    }
}
