package io.fedsync.daemon.state;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.raft.api.CursorKey;
import io.fedsync.raft.api.MemberRegistry;
import io.fedsync.raft.api.MirrorStateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-node {@link MirrorStateStore}: files in {@code node.dataDir}.
 * <ul>
 * <li>{@code fedsyncd.lock} — held while open, so two daemons never share a data dir;</li>
 * <li>{@code cursors.json} — replaced atomically, writes coalesced (see {@link CursorWriter});</li>
 * <li>{@code conflicts.jsonl} — an fsynced append log (see {@link ConflictJournal});</li>
 * <li>{@code term} — the fencing term, durable before {@link #nextTerm()} returns;</li>
 * <li>{@code members.json} — the member clusters joined, replaced atomically before a join or
 *     unjoin returns (see {@link #members()}).</li>
 * </ul>
 * Everything is read and checked in {@link #open}, so a corrupt file stops the daemon at start
 * with a message naming the file rather than failing later inside the mirror.
 */
public final class FileStateStore implements MirrorStateStore, AutoCloseable {

    public static final Duration DEFAULT_CURSOR_INTERVAL = Duration.ofMillis(200);

    private static final Logger LOG = LoggerFactory.getLogger(FileStateStore.class);

    private final Path dataDir;
    private final DataDirLock lock;
    private final CursorWriter cursorWriter;
    private final ConflictJournal conflicts;
    private final TermFile term;
    private final MemberFile members;
    private final AtomicReference<Map<CursorKey, Long>> cursors;
    private boolean closed;

    private FileStateStore(Path dataDir, DataDirLock lock, CursorFile cursorFile, ConflictJournal conflicts,
                           TermFile term, MemberFile members, Duration cursorInterval) {
        this.dataDir = dataDir;
        this.lock = lock;
        this.conflicts = conflicts;
        this.term = term;
        this.members = members;
        this.cursors = new AtomicReference<>(cursorFile.read());
        this.cursorWriter = new CursorWriter(cursorFile, cursorInterval);
    }

    public static FileStateStore open(Path dataDir) {
        return open(dataDir, DEFAULT_CURSOR_INTERVAL);
    }

    /**
     * Creates {@code dataDir} if missing, locks it and loads every file.
     *
     * @throws StateStoreException when the dir cannot be created or locked, or a file is corrupt
     */
    public static FileStateStore open(Path dataDir, Duration cursorInterval) {
        Objects.requireNonNull(cursorInterval, "cursorInterval");
        Path dir = dataDir.toAbsolutePath().normalize();
        DataDirLock lock = createAndLock(dir);
        ConflictJournal journal = null;
        try {
            CursorFile cursorFile = new CursorFile(dir);
            for (String name : List.of(CursorFile.FILE_NAME, ConflictJournal.FILE_NAME, TermFile.FILE_NAME,
                    MemberFile.FILE_NAME)) {
                AtomicFiles.discardTemp(dir.resolve(name));
            }
            TermFile term = new TermFile(dir);
            MemberFile members = new MemberFile(dir);
            journal = new ConflictJournal(dir);
            FileStateStore store = new FileStateStore(dir, lock, cursorFile, journal, term, members, cursorInterval);
            LOG.info("state in {}: {} cursors, {} conflict records, last term {}, {} members", dir,
                    store.cursors.get().size(), journal.all().size(), term.current(), members.size());
            return store;
        } catch (IOException | RuntimeException e) {
            if (journal != null) {
                journal.close();
            }
            lock.close();
            if (e instanceof StateStoreException s) {
                throw s;
            }
            throw new StateStoreException("cannot open state in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates {@code dataDir} if missing, checks it is usable and locks it (one fedsyncd per data
     * dir), for a replica whose state lives in Raft; closing the result releases the lock.
     *
     * @throws StateStoreException saying why the dir cannot be used
     */
    public static AutoCloseable lockDataDir(Path dataDir) {
        return createAndLock(dataDir.toAbsolutePath().normalize());
    }

    private static DataDirLock createAndLock(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StateStoreException("cannot use data dir " + dir + " (node.dataDir): "
                    + DataDirs.whyNotCreated(dir, e), e);
        }
        Optional<String> problem = DataDirs.problem(dir);
        if (problem.isPresent()) {
            throw new StateStoreException("cannot use data dir " + dir + " (node.dataDir): " + problem.get());
        }
        return DataDirLock.acquire(dir);
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public Map<CursorKey, Long> loadCursors() {
        return Map.copyOf(cursors.get());
    }

    @Override
    public void saveCursors(Map<CursorKey, Long> newCursors) {
        Map<CursorKey, Long> copy = Map.copyOf(newCursors);
        cursors.set(copy);
        cursorWriter.submit(copy);
    }

    /** Writes pending cursors now instead of at the next interval. */
    public void flush() {
        cursorWriter.flush();
    }

    @Override
    public List<ConflictRecord> loadConflicts() {
        return conflicts.all();
    }

    @Override
    public void saveConflict(ConflictRecord record) {
        conflicts.save(record);
    }

    @Override
    public long nextTerm(long atLeast) {
        return term.next(atLeast);
    }

    /**
     * The member clusters of this single fedsyncd ({@code members.json}), under the same rules as
     * a Raft group's: a join or unjoin is on disk when it returns. Any thread may call it while the
     * store is open; after {@link #close()} changes are refused as {@code UNAVAILABLE}.
     */
    public MemberRegistry members() {
        return members;
    }

    /** Writes pending cursors, closes the conflict log and releases the data dir lock. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        members.close();
        try {
            cursorWriter.close();
        } catch (StateStoreException e) {
            LOG.error("{}; the mirror will resume from an older cursor", e.getMessage());
        } finally {
            conflicts.close();
            lock.close();
        }
    }
}
