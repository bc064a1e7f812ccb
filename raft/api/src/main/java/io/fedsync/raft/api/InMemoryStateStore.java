package io.fedsync.raft.api;

import io.fedsync.conflict.ConflictRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A store that lives as long as the process: for tests and for benchmarks. */
public final class InMemoryStateStore implements MirrorStateStore {

    private final Map<CursorKey, Long> cursors = new HashMap<>();
    private final Map<String, ConflictRecord> conflicts = new LinkedHashMap<>();
    private final java.util.function.LongSupplier terms;

    public InMemoryStateStore() {
        this(new java.util.concurrent.atomic.AtomicLong()::incrementAndGet);
    }

    /** A store whose terms come from elsewhere (several stores racing for the same clusters). */
    public InMemoryStateStore(java.util.function.LongSupplier terms) {
        this.terms = terms;
    }

    @Override
    public synchronized Map<CursorKey, Long> loadCursors() {
        return Map.copyOf(cursors);
    }

    @Override
    public synchronized void saveCursors(Map<CursorKey, Long> newCursors) {
        cursors.clear();
        cursors.putAll(newCursors);
    }

    @Override
    public synchronized List<ConflictRecord> loadConflicts() {
        return new ArrayList<>(conflicts.values());
    }

    @Override
    public synchronized void saveConflict(ConflictRecord record) {
        conflicts.put(record.id(), record);
    }

    @Override
    public synchronized long nextTerm(long atLeast) {
        return Math.max(terms.getAsLong(), atLeast);
    }
}
