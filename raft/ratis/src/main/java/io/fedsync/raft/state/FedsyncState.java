package io.fedsync.raft.state;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.conflict.ConflictLog;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.raft.api.CursorKey;
import io.fedsync.raft.api.MemberRegistration;
import io.fedsync.raft.api.Members;
import io.fedsync.raft.api.json.ConflictRecordCodec;
import io.fedsync.raft.api.json.Fields;
import io.fedsync.raft.api.json.Json;
import io.fedsync.raft.api.json.JsonFormatException;
import io.fedsync.raft.api.json.MemberRegistrationCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The replicated state of a fedsync group and the only code that changes it: mirror cursors, the
 * conflict log, the last fencing term handed out and the member clusters joined to the group
 * (by name, under the rules of {@link Members}).
 * <p>
 * Pure: no Ratis, no I/O but the streams it is handed, no clock, no randomness. Replicas that
 * apply the same commands in the same order hold equal state and give equal replies, and a
 * snapshot restored then fed the rest of the log equals a replica that applied all of it.
 * <p>
 * Not thread-safe: the Ratis edge ({@code FedsyncStateMachine}) calls it under its lock.
 */
public final class FedsyncState {

    /** The {@code format} of a snapshot document. */
    public static final String FORMAT = "fedsync-raft-state/1";

    /** Cursors are kept and serialised in this order, so snapshots are byte-for-byte deterministic. */
    static final Comparator<CursorKey> CURSOR_ORDER =
            Comparator.comparing(CursorKey::cluster).thenComparing(CursorKey::prefix);

    private final int maxEnded;
    private final TreeMap<CursorKey, Long> cursors = new TreeMap<>(CURSOR_ORDER);
    private final ConflictLog conflicts;
    private long fenceTerm;
    /** The HTTP API of the replica that took {@link #fenceTerm}, i.e. of the mirror; null when unknown. */
    private String mirrorApi;
    /** Replaced only by {@link #restore}. */
    private Members members = new Members();

    public FedsyncState() {
        this(ConflictLog.DEFAULT_MAX_ENDED);
    }

    /** @param maxEnded ended conflict records kept (open ones are always kept) */
    public FedsyncState(int maxEnded) {
        this.maxEnded = maxEnded;
        this.conflicts = new ConflictLog(maxEnded);
    }

    /**
     * Applies one log entry. Never throws for bad input: a command that cannot be decoded or is
     * refused leaves the state as it was and says why in the reply.
     *
     * @param logTerm the Raft term of the log entry carrying the command
     * @return the encoded {@link Reply}
     */
    public byte[] apply(long logTerm, byte[] command) {
        return applyBytes(logTerm, command).encode();
    }

    /** {@link #apply(long, byte[])}, the reply not yet encoded. */
    public Reply applyBytes(long logTerm, byte[] command) {
        Command decoded;
        try {
            decoded = Command.decode(command);
        } catch (JsonFormatException e) {
            return Reply.refused("bad command: " + e.getMessage());
        }
        return apply(logTerm, decoded);
    }

    public Reply apply(long logTerm, Command command) {
        if (command instanceof Command.SetCursors c) {
            if (c.leaderTerm() != logTerm) {
                return Reply.stale(staleMessage("cursors", c.leaderTerm(), logTerm));
            }
            cursors.putAll(c.cursors());
            return Reply.OK;
        }
        if (command instanceof Command.PutConflict p) {
            ConflictRecord previous = conflicts.get(p.record().id()).orElse(null);
            if (previous != null && !previous.key().equals(p.record().key())) {
                // An id is derived from its key; ConflictLog would also keep the old key's open
                // entry, so a replica restored from a snapshot would then disagree with this one.
                return Reply.refused("conflict " + p.record().id() + " is on key " + previous.key() + ", not "
                        + p.record().key());
            }
            try {
                // ConflictLog checks its invariant (one open conflict per key) before changing anything.
                conflicts.put(p.record());
            } catch (IllegalStateException e) {
                return Reply.refused("conflict " + p.record().id() + " refused: " + e.getMessage());
            }
            return Reply.OK;
        }
        if (command instanceof Command.JoinMember j) {
            // A join already applied with exactly this registration (a retried submit) answers OK.
            return refusedOrOk(members.join(j.member()));
        }
        if (command instanceof Command.UnjoinMember u) {
            return refusedOrOk(members.unjoin(u.name()));
        }
        Command.NextTerm n = (Command.NextTerm) command;
        if (n.leaderTerm() != logTerm) {
            return Reply.stale(staleMessage("a fencing term", n.leaderTerm(), logTerm));
        }
        if (fenceTerm == Long.MAX_VALUE) {
            return Reply.refused("the fencing term cannot grow past " + Long.MAX_VALUE);
        }
        fenceTerm = Math.max(fenceTerm + 1, n.atLeast());
        mirrorApi = n.leaderApi();
        return Reply.term(fenceTerm);
    }

    private static Reply refusedOrOk(Optional<Members.Refusal> refusal) {
        return refusal.map(r -> Reply.refused(r.kind(), r.message())).orElse(Reply.OK);
    }

    private static String staleMessage(String what, long askedIn, long appendedIn) {
        return what + " asked for by the leader of Raft term " + askedIn + " reached the log in term " + appendedIn
                + ": that leader was deposed";
    }

    public long fenceTerm() {
        return fenceTerm;
    }

    /** The HTTP API of the replica that took the last fencing term (the mirror, while it leads); null when unknown. */
    public String mirrorApi() {
        return mirrorApi;
    }

    /** A copy, in (cluster, prefix) order. */
    public Map<CursorKey, Long> cursors() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(cursors));
    }

    /** A copy, oldest detection first. */
    public List<ConflictRecord> conflicts() {
        return conflicts.all();
    }

    /** A copy, by name. */
    public List<MemberRegistration> members() {
        return members.list();
    }

    public int maxEnded() {
        return maxEnded;
    }

    /** An immutable copy of the whole state, to be serialised outside the caller's lock. */
    public Image image() {
        return new Image(fenceTerm, mirrorApi, Collections.unmodifiableSortedMap(new TreeMap<>(cursors)),
                List.copyOf(conflicts.all()), members.list());
    }

    /**
     * The whole state at one point of the log.
     * <pre>
     * {"format": "fedsync-raft-state/1", "fenceTerm": 6, "mirrorApi": "http://10.0.0.11:8080" (optional),
     *  "cursors": [{"cluster", "prefix", "revision"}, ...], "conflicts": [record, ...],
     *  "members": [registration, ...] (by name; see MemberRegistrationCodec)}
     * </pre>
     * {@code members} is always written; a snapshot without it (written before members were
     * replicated) is read as having none.
     */
    public record Image(long fenceTerm, String mirrorApi, SortedMap<CursorKey, Long> cursors,
                        List<ConflictRecord> conflicts, List<MemberRegistration> members) {

        /** Streams the document to {@code out} (left open). */
        public void writeTo(OutputStream out) throws IOException {
            try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
                g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                g.writeStartObject();
                g.writeStringField("format", FORMAT);
                g.writeNumberField("fenceTerm", fenceTerm);
                if (mirrorApi != null) {
                    g.writeStringField("mirrorApi", mirrorApi);
                }
                g.writeFieldName("cursors");
                Json.MAPPER.writeTree(g, cursorsJson(cursors));
                g.writeArrayFieldStart("conflicts");
                for (ConflictRecord r : conflicts) {
                    Json.MAPPER.writeTree(g, ConflictRecordCodec.toJson(r));
                }
                g.writeEndArray();
                g.writeFieldName("members");
                Json.MAPPER.writeTree(g, MemberRegistrationCodec.toJson(members));
                g.writeEndObject();
            }
        }

        public byte[] toBytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                writeTo(out);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot happen: writing to memory", e);
            }
            return out.toByteArray();
        }
    }

    /** @see #restore(InputStream, int) */
    public static FedsyncState restore(byte[] snapshot, int maxEnded) {
        try {
            return restore(new ByteArrayInputStream(snapshot), maxEnded);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot happen: reading memory", e);
        }
    }

    /**
     * Reads a document written by {@link Image#writeTo}.
     *
     * @throws JsonFormatException naming what is wrong when it is not such a document
     * @throws IOException         when the stream cannot be read
     */
    public static FedsyncState restore(InputStream in, int maxEnded) throws IOException {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(in);
        } catch (JsonProcessingException e) {
            throw new JsonFormatException("a snapshot must be JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new JsonFormatException("a snapshot must be a JSON object");
        }
        String format = Fields.text(node, "format");
        if (!FORMAT.equals(format)) {
            throw new JsonFormatException("snapshot format '" + format + "' is not " + FORMAT);
        }
        FedsyncState state = new FedsyncState(maxEnded);
        state.fenceTerm = Fields.number(node, "fenceTerm");
        if (state.fenceTerm < 0) {
            throw new JsonFormatException("field 'fenceTerm' must be >= 0");
        }
        state.mirrorApi = Command.optionalText(node, "mirrorApi");
        state.cursors.putAll(cursorsFromJson(Fields.array(node, "cursors")));
        List<ConflictRecord> records = new ArrayList<>();
        int i = 0;
        for (JsonNode r : Fields.array(node, "conflicts")) {
            try {
                records.add(ConflictRecordCodec.fromJson(r));
            } catch (JsonFormatException e) {
                throw new JsonFormatException("conflicts[" + i + "]: " + e.getMessage(), e);
            }
            i++;
        }
        try {
            state.conflicts.replaceAll(records);
        } catch (IllegalStateException e) {
            throw new JsonFormatException("conflicts: " + e.getMessage(), e);
        }
        JsonNode members = node.get("members");
        if (members != null && !members.isNull()) {
            List<MemberRegistration> registrations = MemberRegistrationCodec.fromJsonArray(members, "members");
            try {
                state.members = Members.of(registrations);
            } catch (IllegalArgumentException e) {
                throw new JsonFormatException("members: " + e.getMessage(), e);
            }
        }
        return state;
    }

    static ArrayNode cursorsJson(SortedMap<CursorKey, Long> cursors) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        cursors.forEach((k, v) -> {
            ObjectNode c = a.addObject();
            c.put("cluster", k.cluster());
            c.put("prefix", k.prefix());
            c.put("revision", v);
        });
        return a;
    }

    static SortedMap<CursorKey, Long> cursorsFromJson(ArrayNode array) {
        TreeMap<CursorKey, Long> result = new TreeMap<>(CURSOR_ORDER);
        int i = 0;
        for (JsonNode c : array) {
            try {
                if (!c.isObject()) {
                    throw new JsonFormatException("must be an object");
                }
                CursorKey key = new CursorKey(Fields.text(c, "cluster"), Fields.text(c, "prefix"));
                long revision = Fields.number(c, "revision");
                if (revision < 0) {
                    throw new JsonFormatException("field 'revision' must be >= 0");
                }
                if (result.put(key, revision) != null) {
                    throw new JsonFormatException("cursor (" + key.cluster() + ", " + key.prefix() + ") appears twice");
                }
            } catch (JsonFormatException e) {
                throw new JsonFormatException("cursors[" + i + "]: " + e.getMessage(), e);
            }
            i++;
        }
        return result;
    }
}
