package io.fedsync.conflict;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Every conflict fedsync has seen: open ones until they are resolved, ended ones up to a bound
 * (oldest dropped first). At most one open conflict per key. Thread-safe.
 */
public final class ConflictLog {

    /** Ended records kept by default (open ones are always kept). */
    public static final int DEFAULT_MAX_ENDED = 10_000;

    private final int maxEnded;
    private final LinkedHashMap<String, ConflictRecord> byId = new LinkedHashMap<>();
    /** Ended records in the order they are dropped: oldest detection first, then id. */
    private final java.util.TreeSet<ConflictRecord> ended = new java.util.TreeSet<>(
            Comparator.comparing(ConflictRecord::detectedAt).thenComparing(ConflictRecord::id));
    private final Map<String, String> openByKey = new HashMap<>();

    public ConflictLog(int maxEnded) {
        if (maxEnded < 0) {
            throw new IllegalArgumentException("maxEnded must be >= 0");
        }
        this.maxEnded = maxEnded;
    }

    /** Adds or replaces a record (same id). */
    public synchronized void put(ConflictRecord record) {
        if (record.isOpen()) {
            String other = openByKey.get(record.key());
            if (other != null && !other.equals(record.id())) {
                throw new IllegalStateException("key " + record.key() + " already has open conflict " + other);
            }
        }
        ConflictRecord previous = byId.put(record.id(), record);
        if (previous != null) {
            ended.remove(previous);
            if (!previous.key().equals(record.key())) {
                // The same id on another key (ids come from key and time, so only a bad input
                // does this): the old key no longer has this open conflict.
                openByKey.remove(previous.key(), previous.id());
            }
        }
        if (!record.isOpen()) {
            ended.add(record);
        }
        if (record.isOpen()) {
            openByKey.put(record.key(), record.id());
        } else {
            openByKey.remove(record.key(), record.id());
        }
        trim();
    }

    public synchronized Optional<ConflictRecord> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    public synchronized Optional<ConflictRecord> openFor(String key) {
        String id = openByKey.get(key);
        return id == null ? Optional.empty() : Optional.of(byId.get(id));
    }

    public synchronized List<ConflictRecord> list(Predicate<ConflictRecord> filter) {
        List<ConflictRecord> out = new ArrayList<>();
        for (ConflictRecord r : byId.values()) {
            if (filter.test(r)) {
                out.add(r);
            }
        }
        out.sort(Comparator.comparing(ConflictRecord::detectedAt).thenComparing(ConflictRecord::id));
        return out;
    }

    public List<ConflictRecord> all() {
        return list(r -> true);
    }

    public synchronized int openCount() {
        return openByKey.size();
    }

    /** Replaces the whole content (loading persisted state). */
    public synchronized void replaceAll(Collection<ConflictRecord> records) {
        byId.clear();
        openByKey.clear();
        ended.clear();
        records.stream().sorted(Comparator.comparing(ConflictRecord::detectedAt).thenComparing(ConflictRecord::id))
                .forEach(this::put);
    }

    private void trim() {
        while (ended.size() > maxEnded) {
            byId.remove(ended.pollFirst().id());
        }
    }
}
