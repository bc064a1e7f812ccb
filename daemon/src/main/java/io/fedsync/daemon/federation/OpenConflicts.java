package io.fedsync.daemon.federation;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.federation.Federator;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The mirror's open conflicts as the federation asks for them (one etcd key at a time, thousands
 * of times per resync): an index by key, rebuilt from the conflict log at most every {@link #MAX_AGE}.
 * A conflict seen up to that much late is harmless: while it is open the hosts hold different
 * values, and the federation holds an object the hosts disagree on anyway.
 */
public final class OpenConflicts implements Federator.MirrorView {

    static final Duration MAX_AGE = Duration.ofMillis(500);

    private final Supplier<List<ConflictRecord>> conflicts;
    private final LongSupplier nanos;
    private Map<String, String> byKey = Map.of();
    private long readAt;
    private boolean read;

    public OpenConflicts(Supplier<List<ConflictRecord>> conflicts) {
        this(conflicts, System::nanoTime);
    }

    OpenConflicts(Supplier<List<ConflictRecord>> conflicts, LongSupplier nanos) {
        this.conflicts = conflicts;
        this.nanos = nanos;
    }

    @Override
    public synchronized Optional<String> openConflict(String etcdKey) {
        long now = nanos.getAsLong();
        if (!read || now - readAt > MAX_AGE.toNanos()) {
            Map<String, String> index = new HashMap<>();
            for (ConflictRecord r : conflicts.get()) {
                if (r.isOpen()) {
                    index.put(r.key(), r.id());
                }
            }
            byKey = index;
            readAt = now;
            read = true;
        }
        return Optional.ofNullable(byKey.get(etcdKey));
    }
}
