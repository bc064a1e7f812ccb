package io.fedsync.federation;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the {@link Federator} knows and counts of one member: whether it answers, its jwtSecret
 * comparison, what fedsync last observed and wrote of each copy, the keys waiting for it, and the
 * counters its status shows (read as a {@link Federator.MemberState}). One per joined member, mutable,
 * shared by the workers, the resync and the probes.
 */
final class MemberRecord {
    volatile boolean reachable = true;
    volatile Boolean jwtMatches;
    volatile String jwtProblem;
    final AtomicLong creates = new AtomicLong();
    final AtomicLong updates = new AtomicLong();
    final AtomicLong deletes = new AtomicLong();
    final AtomicLong drifts = new AtomicLong();
    final AtomicLong holds = new AtomicLong();
    volatile String lastError;
    volatile Instant lastWriteAt;
    /** When a resync of this member last listed every kind on it. */
    volatile Instant lastSync;
    /** A resync of this member is running (the next one waits for it rather than piling up). */
    final AtomicBoolean resyncing = new AtomicBoolean();
    /**
     * A probe is asking this member, marked unreachable, whether it is back ({@code Federator.probe}): one
     * call at a time, never a worker's, so a member that does not answer (each call waits out its
     * timeout) never ties up the workers the other members need.
     */
    final AtomicBoolean probing = new AtomicBoolean();
    /** Keys that came up while the member did not answer: queued all at once when it answers. */
    final Set<PushKey> parked = ConcurrentHashMap.newKeySet();
    /**
     * By plural, the names of the copies fedsync wrote that the member was last seen holding
     * (listed by a resync, plus creates since, minus deletes since): what a member that does
     * not answer may be owed deletes for. In memory only: a new leader lists the member again,
     * and the copies' marks, not this set, decide what is deleted.
     */
    final Map<String, Set<String>> copies = new ConcurrentHashMap<>();
    /**
     * What fedsync last observed of the member's object, by plural/namespace/name: from its own
     * writes' answers and the resync's listing (empty: it has none). A decision uses it instead
     * of reading the member again; every write is conditional on the resourceVersion observed,
     * so an observation out of date costs a 409 and a read, never a blind overwrite. Edits made
     * on the member behind fedsync's back are found by the next resync, as before.
     */
    final Map<String, Optional<MemberCopy.Observed>> seen = new ConcurrentHashMap<>();
    /** Objects a write found otherwise than observed (409, 404, an error): read before the next decision. */
    final Set<String> mustRead = ConcurrentHashMap.newKeySet();
    /**
     * By plural, what the last resync's listing observed of each copy (by name): a copy listed
     * again at the same resourceVersion is the same object, observed already.
     */
    final Map<String, Map<String, MemberCopy.Observed>> listed = new ConcurrentHashMap<>();
    /**
     * By plural/namespace/name, fedsync's own last write of the copy, observed as written (the
     * resourceVersion its answer gave, the hash of what was sent). A copy still at that
     * resourceVersion holds what fedsync wrote, as the member stored it: a member that changes
     * objects as it stores them (a mutating admission webhook, defaulting) has not drifted. In
     * memory only: after a leader change, the member's managedFields tell (see {@code Federator.observe}).
     */
    final Map<String, MemberCopy.Observed> written = new ConcurrentHashMap<>();
    /**
     * By plural/namespace/name, when the workers last learned something of the copy (a write's
     * answer, a read, a failed write): numbers from {@link #learned}. A resync's listing may
     * have been taken before a write the workers made while it was under way; what they learned
     * after the listing began is not replaced by it (it would take a copy just created for
     * absent, and the next decision would create it again and get a 409).
     */
    final Map<String, Long> learnedAt = new ConcurrentHashMap<>();
    final AtomicLong learned = new AtomicLong();

    /** Called by a worker before it changes {@link #seen} or {@link #written} for {@code seenKey}. */
    void learning(String seenKey) {
        learnedAt.put(seenKey, learned.incrementAndGet());
    }

    /** Whether a worker learned of {@code seenKey} after {@code mark} (a value of {@link #learned}). */
    boolean learnedSince(String seenKey, long mark) {
        return learnedAt.getOrDefault(seenKey, 0L) > mark;
    }
    /** Objects the member refuses ({@code plural/[namespace/]name}), with its answer; gone once it accepts them. */
    final Map<String, String> refused = new ConcurrentSkipListMap<>();
    /** The kinds this member was seen storing otherwise than fedsync sent them. */
    final Set<String> storesDifferently = new ConcurrentSkipListSet<>();
    /** Resyncs of this member so far (one thread at a time: {@link #resyncing}). */
    final AtomicLong resyncs = new AtomicLong();
    /** creates, updates, deletes at the last {@code Federator.summarise} line. */
    volatile long[] summarised = {0, 0, 0};
}
