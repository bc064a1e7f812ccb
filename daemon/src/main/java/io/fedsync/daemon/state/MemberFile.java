package io.fedsync.daemon.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.raft.api.MemberRegistration;
import io.fedsync.raft.api.MemberRegistry;
import io.fedsync.raft.api.Members;
import io.fedsync.raft.api.RegistrationException;
import io.fedsync.raft.api.json.Json;
import io.fedsync.raft.api.json.JsonFormatException;
import io.fedsync.raft.api.json.MemberRegistrationCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code members.json}: the member clusters of a single fedsyncd,
 * {@code {"version": 1, "members": [registration, ...]}} by name (see {@code MemberRegistrationCodec}),
 * replaced atomically ({@link AtomicFiles}) before a join or unjoin returns. The rules are
 * {@link Members}', the same as the Raft group's. Read and checked when the store opens: a file
 * that is not such a document, or whose registrations break the rules, stops the daemon with a
 * message naming it.
 * <p>
 * Thread-safe; obtained from {@link FileStateStore#members()}, usable until the store is closed
 * (then every change is refused as {@code UNAVAILABLE}: the data dir lock is no longer held).
 */
final class MemberFile implements MemberRegistry {

    static final String FILE_NAME = "members.json";

    private static final Logger LOG = LoggerFactory.getLogger(MemberFile.class);
    private static final String ADVICE = "restore it from a backup or correct it by hand; deleting it unjoins every "
            + "member (what was pushed to them stays on them)";

    private final Path file;
    /** Guarded by this; replaced only once a change is on disk. */
    private Members members;
    private boolean closed;

    MemberFile(Path dataDir) {
        this.file = dataDir.resolve(FILE_NAME);
        this.members = read();
    }

    Path path() {
        return file;
    }

    private Members read() {
        if (!Files.exists(file)) {
            return new Members();
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw StateFiles.cannotRead(file, e);
        }
        JsonNode root = StateFiles.parse(file, bytes, ADVICE);
        if (root == null || !root.isObject() || !root.path("version").isInt() || root.get("version").asInt() != 1
                || !root.path("members").isArray()) {
            throw StateFiles.corrupt(file, "expected {\"version\": 1, \"members\": [...]}", ADVICE);
        }
        try {
            return Members.of(MemberRegistrationCodec.fromJsonArray(root.get("members"), "members"));
        } catch (JsonFormatException e) {
            throw StateFiles.corrupt(file, e.getMessage(), ADVICE);
        } catch (IllegalArgumentException e) {
            throw StateFiles.corrupt(file, "members: " + e.getMessage(), ADVICE);
        }
    }

    @Override
    public synchronized List<MemberRegistration> members() {
        return members.list();
    }

    /** On disk before it returns; exactly the registration already joined is OK and writes nothing. */
    @Override
    public synchronized void join(MemberRegistration member) {
        Objects.requireNonNull(member, "member");
        change(next -> next.join(member), "join of member " + member.name());
        LOG.info("member {} joined (kube-system UID {}, kubeconfig {})", member.name(), member.kubeSystemUid(),
                member.kubeconfig());
    }

    /** On disk before it returns. */
    @Override
    public synchronized void unjoin(String name) {
        Objects.requireNonNull(name, "name");
        change(next -> next.unjoin(name), "unjoin of member " + name);
        LOG.info("member {} unjoined", name);
    }

    private void change(java.util.function.Function<Members, Optional<Members.Refusal>> rule, String what) {
        if (closed) {
            throw new RegistrationException(RegistrationException.Kind.UNAVAILABLE, "the state in " + file.getParent()
                    + " is closed: " + what + " not made");
        }
        Members next = members.copy();
        Optional<Members.Refusal> refusal = rule.apply(next);
        if (refusal.isPresent()) {
            throw refusal.get().toException();
        }
        if (next.equals(members)) {
            return;
        }
        ObjectNode root = Json.object();
        root.put("version", 1);
        root.set("members", MemberRegistrationCodec.toJson(next.list()));
        try {
            AtomicFiles.write(file, Json.bytes(root));
        } catch (IOException e) {
            throw new RegistrationException(RegistrationException.Kind.UNAVAILABLE,
                    StateFiles.cannotWrite(file, e).getMessage() + ": " + what + " not made", e);
        }
        members = next;
    }

    synchronized int size() {
        return members.size();
    }

    synchronized void close() {
        closed = true;
    }
}
