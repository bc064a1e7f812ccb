package io.fedsync.raft;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.raft.api.CursorKey;
import io.fedsync.raft.api.MemberRegistration;
import io.fedsync.raft.api.json.JsonFormatException;
import io.fedsync.raft.state.Command;
import io.fedsync.raft.state.FedsyncState;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis edge of {@link FedsyncState}: applies committed entries, takes and loads snapshots,
 * and passes Ratis' leadership callbacks on to {@link Events} (never acting on them itself).
 * <p>
 * Threads: {@link #applyTransaction}, {@link #takeSnapshot}, {@link #notifyTermIndexUpdated} and
 * {@link #reinitialize} run on Ratis' state machine updater thread (one per division);
 * {@link #startTransaction} on the leader's request handler threads; the read accessors
 * ({@link #conflicts()} …) on any thread. {@link #lock} guards {@link #state} and the last applied
 * term-index as one; it is held for the apply of one command or for a copy, never across I/O.
 * <p>
 * Snapshots: {@code sm/snapshot.<term>_<index>} (JSON, see {@link FedsyncState.Image}) with
 * {@code snapshot.<term>_<index>.md5} beside it. The file is written to {@code .tmp}, synced, its
 * MD5 saved, then renamed, so a snapshot file never exists without its checksum. A replica that is
 * behind the leader's purged log (a new one, or one long down) gets the leader's snapshot file from
 * Ratis (with its MD5), then {@link #pause()} and {@link #reinitialize()} load it.
 */
final class FedsyncStateMachine extends BaseStateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(FedsyncStateMachine.class);

    /** Leaders Ratis told this replica of since it started (a new leader, or a new term of the same one). */
    private final java.util.concurrent.atomic.AtomicLong leaderChanges = new java.util.concurrent.atomic.AtomicLong();

    /** What the state machine reports to its node; implementations must return at once. */
    interface Events {
        /** Ratis: this replica leads and has applied the first entry of its term. */
        void leaderReady();

        /** Ratis: this replica does not lead (any more). */
        void notLeader(String why);
    }

    private final String tag;
    private final int maxEnded;
    private final Events events;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private FedsyncState state;

    FedsyncStateMachine(String tag, int maxEnded, Events events) {
        this.tag = tag;
        this.maxEnded = maxEnded;
        this.events = events;
        this.state = new FedsyncState(maxEnded);
    }

    // ---- reads (any thread) ----

    long fenceTerm() {
        synchronized (lock) {
            return state.fenceTerm();
        }
    }

    String mirrorApi() {
        synchronized (lock) {
            return state.mirrorApi();
        }
    }

    Map<CursorKey, Long> cursors() {
        synchronized (lock) {
            return state.cursors();
        }
    }

    long leaderChanges() {
        return leaderChanges.get();
    }

    List<ConflictRecord> conflicts() {
        synchronized (lock) {
            return state.conflicts();
        }
    }

    /** The members as applied on this replica, by name: a copy made under the lock. */
    List<MemberRegistration> members() {
        synchronized (lock) {
            return state.members();
        }
    }

    /** The index of the last log entry applied here (-1 before any). */
    long lastAppliedIndex() {
        synchronized (lock) {
            TermIndex last = getLastAppliedTermIndex();
            return last == null ? -1 : last.getIndex();
        }
    }

    // ---- lifecycle and snapshots (updater thread) ----

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        discardTempFiles();
        load(storage.loadLatestSnapshot());
        getLifeCycle().transition(LifeCycle.State.STARTING);
        getLifeCycle().transition(LifeCycle.State.RUNNING);
    }

    /**
     * Before Ratis publishes a snapshot installed from the leader: Ratis then reloads only a state
     * machine that says it is paused ({@link #reinitialize}).
     */
    @Override
    public void pause() {
        if (getLifeCycleState() == LifeCycle.State.RUNNING) {
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    /** After a snapshot was installed from the leader (paused meanwhile): its state replaces this one. */
    @Override
    public void reinitialize() throws IOException {
        LOG.info("{} loading the snapshot installed from the leader", tag);
        load(storage.loadLatestSnapshot());
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    @Override
    public SimpleStateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public long takeSnapshot() throws IOException {
        FedsyncState.Image image;
        TermIndex last;
        synchronized (lock) {
            image = state.image();
            last = getLastAppliedTermIndex();
        }
        if (last == null || last.getIndex() < 0) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        File tmp = new File(file.getParentFile(), file.getName() + ".tmp");
        try (FileOutputStream fos = new FileOutputStream(tmp); OutputStream out = new BufferedOutputStream(fos)) {
            image.writeTo(out);
            out.flush();
            fos.getChannel().force(true);
        }
        MD5Hash md5 = MD5FileUtil.computeMd5ForFile(tmp);
        MD5FileUtil.saveMD5File(file, md5);
        Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
        LOG.info("{} snapshot {} written: fence term {}, {} cursors, {} conflict records, {} members", tag,
                file.getName(), image.fenceTerm(), image.cursors().size(), image.conflicts().size(),
                image.members().size());
        return last.getIndex();
    }

    private void load(SingleFileSnapshotInfo snapshot) throws IOException {
        if (snapshot == null) {
            LOG.info("{} no snapshot: starting from an empty state", tag);
            return;
        }
        Path path = snapshot.getFile().getPath();
        if (!Files.isRegularFile(path)) {
            throw new IOException(tag + " snapshot " + path + " is missing");
        }
        MD5Hash expected = snapshot.getFile().getFileDigest();
        File md5File = MD5FileUtil.getDigestFileForFile(path.toFile());
        if (expected == null) {
            throw new IOException(tag + " snapshot " + path + " has no checksum file " + md5File
                    + ": it cannot be verified (restore the file or remove the snapshot to rebuild from the group)");
        }
        MD5Hash actual = MD5FileUtil.computeMd5ForFile(path.toFile());
        if (!actual.equals(expected)) {
            throw new IOException(tag + " snapshot " + path + " is corrupt: its MD5 is " + actual + " but " + md5File
                    + " says " + expected);
        }
        FedsyncState restored;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            restored = FedsyncState.restore(in, maxEnded);
        } catch (JsonFormatException e) {
            throw new IOException(tag + " snapshot " + path + " cannot be read: " + e.getMessage(), e);
        }
        TermIndex at = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(path.toFile());
        synchronized (lock) {
            state = restored;
            setLastAppliedTermIndex(at);
        }
        LOG.info("{} state loaded from snapshot {}: fence term {}, {} cursors, {} conflict records, {} members", tag,
                path.getFileName(), restored.fenceTerm(), restored.cursors().size(), restored.conflicts().size(),
                restored.members().size());
    }

    /** A crash while writing a snapshot leaves {@code snapshot.T_I.tmp}: never a valid snapshot. */
    private void discardTempFiles() throws IOException {
        File dir = storage.getSnapshotFile(0, 0).getParentFile();
        if (dir == null || !dir.isDirectory()) {
            return;
        }
        try (DirectoryStream<Path> tmps = Files.newDirectoryStream(dir.toPath(), "snapshot.*.tmp")) {
            for (Path tmp : tmps) {
                LOG.info("{} discarding unfinished snapshot {}", tag, tmp);
                Files.deleteIfExists(tmp);
            }
        }
    }

    // ---- the log ----

    /** On the leader, before an entry is appended: garbage never reaches the log. */
    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        TransactionContext trx = super.startTransaction(request);
        try {
            Command.decode(request.getMessage().getContent().toByteArray());
        } catch (JsonFormatException e) {
            trx.setException(new IllegalArgumentException(tag + " refused a command: " + e.getMessage()));
        }
        return trx;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        byte[] command = entry.getStateMachineLogEntry().getLogData().toByteArray();
        byte[] reply;
        synchronized (lock) {
            // FedsyncState.apply never throws for bad input; it answers why it refused.
            reply = state.apply(entry.getTerm(), command);
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        }
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(reply)));
    }

    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        synchronized (lock) {
            super.notifyTermIndexUpdated(term, index);
        }
    }

    // ---- leadership: passed on, never acted upon here ----

    @Override
    public void notifyLeaderReady() {
        events.leaderReady();
    }

    @Override
    public void notifyNotLeader(Collection<TransactionContext> pendingEntries) {
        events.notLeader("stepped down as Raft leader");
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        if (newLeaderId != null) {
            leaderChanges.incrementAndGet();
        }
        if (newLeaderId != null && !newLeaderId.equals(groupMemberId.getPeerId())) {
            events.notLeader("replica " + newLeaderId + " leads now");
        }
    }

    @Override
    public void notifyServerShutdown(RoleInfoProto roleInfo, boolean allServer) {
        events.notLeader("Raft server shut down");
    }
}
