package io.fedsync.mirror;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.fedsync.conflict.Causality;
import io.fedsync.conflict.ConflictClassifier;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.ObjectNormaliser;
import io.fedsync.conflict.ReconcileDecision;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.conflict.Version;
import io.fedsync.conflict.VersionVector;
import io.fedsync.conflict.WriteTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one key to agreement across the live clusters. Idempotent: it derives every cluster's
 * version from what etcd holds (data and fedsync's metadata), decides, and writes only what
 * differs, each write conditional on what it read. It returns what should happen next.
 *
 * <p>Order of writes for a change: first the winner's own metadata is stamped with the vector
 * being propagated, then the other clusters are written. If the mirror dies in between, the
 * stamp already says which version dominates, so a successor propagates the same vector; the
 * reverse order could leave two clusters with one vector and different bytes.
 *
 * <p>Values are read only where the decision needs them: of versions no other version dominates
 * (a settled key keeps no value in memory).
 */
final class KeyReconciler {

    private static final Logger LOG = LoggerFactory.getLogger(KeyReconciler.class);
    /** Stands for the bytes of a version another version dominates, when they were not read. */
    private static final byte[] NOT_READ = new byte[0];
    /** The origin recorded for an operator's own value or delete (no cluster made that change). */
    static final String OPERATOR_ORIGIN = "operator";

    enum Outcome { DONE, RETRY_NOW, RETRY_LATER }

    /** What a run did. */
    enum Action { NOTHING, IN_SYNC, PROPAGATED, CONVERGED, RESOLVED, HELD, REFUSED }

    /**
     * @param next   what should happen next
     * @param action what this run did
     * @param live   bit set of the clusters this run included (live and read)
     */
    record Result(Outcome next, Action action, long live) {
        boolean wrote() {
            return action == Action.PROPAGATED || action == Action.CONVERGED || action == Action.RESOLVED;
        }
    }

    /** What one run wrote (a decision that finds every cluster already agreeing writes nothing). */
    private static final class Run {
        int writes;
    }

    private final MirrorContext ctx;
    private final ConflictClassifier classifier;
    private final ObjectNormaliser normaliser;
    private final ResolutionPolicy policy;
    private final ValueGuard guard;
    /** Stands for a content that was not read: never equal to another. */
    private final java.util.concurrent.atomic.AtomicLong unreadContent = new java.util.concurrent.atomic.AtomicLong(-1);

    KeyReconciler(MirrorContext ctx, ConflictClassifier classifier, ObjectNormaliser normaliser, ResolutionPolicy policy,
                  ValueGuard guard) {
        this.ctx = ctx;
        this.classifier = classifier;
        this.normaliser = normaliser;
        this.policy = policy;
        this.guard = guard;
    }

    Result reconcile(KeyEntry entry) throws InterruptedException {
        if (ctx.fenced()) {
            return new Result(Outcome.DONE, Action.NOTHING, 0);
        }
        List<ClusterLink> live = new ArrayList<>();
        long liveBits = 0;
        for (ClusterLink link : ctx.links()) {
            if (!ctx.isLive(link.index)) {
                continue;
            }
            if (!entry.slots[link.index].known() && !refresh(entry, link)) {
                return new Result(Outcome.RETRY_LATER, Action.NOTHING, 0);
            }
            live.add(link);
            liveBits |= 1L << link.index;
        }
        if (live.size() < 2) {
            return new Result(Outcome.DONE, Action.NOTHING, liveBits);
        }
        if (settled(entry, live)) {
            // Every cluster's metadata describes its data and all agree (e.g. the echo of the
            // mirror's own write): nothing to decide, no value to read.
            ctx.recorder().inSync(entry);
            return new Result(Outcome.DONE, Action.IN_SYNC, liveBits);
        }
        Outcome values = readNeededValues(entry, live);
        if (values != Outcome.DONE) {
            return new Result(values, Action.NOTHING, 0);
        }
        List<Version> versions = new ArrayList<>();
        for (ClusterLink link : live) {
            Version v = derive(entry, link);
            if (v.local() && !v.tombstone()) {
                Optional<String> refused = guard.refuse(entry.key, v.value());
                if (refused.isPresent()) {
                    ctx.problems().report(link.name, entry.key, refused.get());
                    return new Result(Outcome.DONE, Action.REFUSED, liveBits);
                }
            }
            versions.add(v);
        }
        ctx.problems().clear(entry.key);
        ReconcileDecision decision = classifier.decide(versions);
        if (LOG.isDebugEnabled()) {
            LOG.debug("[{}] {} -> {}", entry.key, describeVersions(entry, live, versions),
                    decision.getClass().getSimpleName());
        }
        Result r;
        Run run = new Run();
        boolean changes = decision instanceof ReconcileDecision.Propagate || decision instanceof ReconcileDecision.Conflict;
        if (changes && ctx.recorder().openFlipFlop(entry).isPresent()) {
            // Frozen: nothing propagates until an operator resolves it (or every side agrees).
            r = flipFlop(run, entry, live, versions, liveBits);
        } else if (decision instanceof ReconcileDecision.Propagate p && entry.operator == null
                && flipsWith(entry, p.winner())) {
            r = flipFlop(run, entry, live, versions, liveBits);
        } else if (decision instanceof ReconcileDecision.Propagate p) {
            Outcome o = propagate(run, entry, live, versions, p.winner(), p.vector());
            if (o == Outcome.DONE) {
                ctx.recorder().propagated(entry, p.winner().cluster());
            }
            r = new Result(o, run.writes == 0 ? Action.IN_SYNC : Action.PROPAGATED, liveBits);
        } else if (decision instanceof ReconcileDecision.Converge c) {
            Outcome o = converge(run, entry, live, versions, c);
            if (o == Outcome.DONE && run.writes > 0) {
                ctx.recorder().converged(entry, c.sides());
            } else if (o == Outcome.DONE) {
                ctx.recorder().inSync(entry);
            }
            r = new Result(o, run.writes == 0 ? Action.IN_SYNC : Action.CONVERGED, liveBits);
        } else if (decision instanceof ReconcileDecision.Conflict c) {
            r = conflict(run, entry, live, versions, c, liveBits);
        } else {
            // The same version everywhere; metadata whose hash does not match its value (changed
            // behind fedsync's back) is stamped right, so that sweeps stop finding it.
            Outcome o = restamp(run, entry, live, versions);
            if (o == Outcome.DONE) {
                ctx.recorder().inSync(entry);
            }
            r = new Result(o, run.writes == 0 ? Action.IN_SYNC : Action.PROPAGATED, liveBits);
        }
        return r.next() == Outcome.DONE ? r : new Result(r.next(), r.action(), 0);
    }

    /**
     * Tells the flip-flop guard that {@code winner}'s content is about to be propagated; true when
     * the key's content keeps coming back, and it must be frozen instead.
     */
    private boolean flipsWith(KeyEntry entry, Version winner) {
        if (!ctx.flipFlops().enabled()) {
            return false;
        }
        int returns = ctx.flipFlops().propagating(entry.key.wire(), () -> contentOf(winner), ctx.clock().millis());
        if (returns > 0) {
            ctx.count("flipFlops");
            LOG.warn("[{}] its content came back to an earlier one {} times within the flip-flop window: frozen",
                    entry.key, returns);
            return true;
        }
        return false;
    }

    /** What the guard compares: the normalised object (server-set fields left out), or a deletion. */
    private long contentOf(Version v) {
        if (v.tombstone() || v.value() == null) {
            return io.fedsync.conflict.FlipFlopGuard.DELETED;
        }
        if (v.value() == NOT_READ) {
            return unreadContent.getAndDecrement();
        }
        // Non-negative: never DELETED, nor one of the unread markers above.
        return normaliser.contentHash(v.value()) & Long.MAX_VALUE;
    }

    /**
     * A key that flip-flops is held as a {@code flip-flop} conflict whatever the policy: nothing is
     * propagated until an operator resolves it. The operator's choice is then written with a vector
     * above every side's, so each cluster is written once and nothing comes back.
     */
    private Result flipFlop(Run run, KeyEntry entry, List<ClusterLink> live, List<Version> versions, long liveBits)
            throws InterruptedException {
        // Every side's object, the dominated ones included: the record shows them all, and the
        // operator may pick any of them (one another version dominates is not read otherwise).
        List<Version> sides = new ArrayList<>(versions.size());
        for (int i = 0; i < live.size(); i++) {
            Version v = versions.get(i);
            if (v.value() == NOT_READ) {
                if (!refresh(entry, live.get(i))) {
                    return new Result(Outcome.RETRY_LATER, Action.NOTHING, 0);
                }
                v = derive(entry, live.get(i));
                if (v.value() == NOT_READ) {
                    return new Result(Outcome.RETRY_NOW, Action.NOTHING, 0);
                }
            }
            sides.add(v);
        }
        versions = sides;
        KeyEntry.OperatorChoice chosen = entry.operator;
        if (chosen == null) {
            ctx.recorder().flipFlop(entry, withWriteTimes(sides));
            return new Result(Outcome.DONE, Action.HELD, liveBits);
        }
        VersionVector merged = VersionVector.EMPTY;
        for (Version v : versions) {
            merged = merged.merge(v.vector());
        }
        String over = chosen.winner() >= 0 ? ctx.links().get(chosen.winner()).name : OPERATOR_ORIGIN;
        Result r = conflict(run, entry, live, versions,
                new ReconcileDecision.Conflict(ConflictType.FLIP_FLOP, versions, merged.increment(over)), liveBits);
        if (r.next() == Outcome.DONE && r.action() == Action.RESOLVED) {
            ctx.flipFlops().forget(entry.key.wire());
        }
        return r;
    }

    /** Every live cluster's metadata describes its data, and all carry the same version. */
    private static boolean settled(KeyEntry entry, List<ClusterLink> live) {
        MetaRecord first = entry.slots[live.get(0).index].meta;
        for (ClusterLink link : live) {
            Slot s = entry.slots[link.index];
            if (s.meta == null || !s.described() || !s.meta.sameVersion(first)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads the values a decision will use: those of versions that no other version dominates
     * (and of local changes, which the value guard checks). A read may show a newer change, so
     * the versions are derived again until nothing more is needed.
     */
    private Outcome readNeededValues(KeyEntry entry, List<ClusterLink> live) {
        for (int round = 0; round < 3; round++) {
            VersionVector[] vectors = new VersionVector[live.size()];
            for (int i = 0; i < live.size(); i++) {
                vectors[i] = vectorOf(entry.slots[live.get(i).index], live.get(i).name);
            }
            boolean read = false;
            for (int i = 0; i < live.size(); i++) {
                Slot s = entry.slots[live.get(i).index];
                if (s.valueKnown()) {
                    continue;
                }
                boolean dominated = false;
                for (int o = 0; o < live.size() && !dominated; o++) {
                    dominated = o != i && vectors[i].compareTo(vectors[o]) == Causality.BEFORE;
                }
                if (!dominated || !s.described()) {
                    if (!refresh(entry, live.get(i))) {
                        return Outcome.RETRY_LATER;
                    }
                    ctx.count("valueReads");
                    read = true;
                }
            }
            if (!read) {
                return Outcome.DONE;
            }
        }
        return Outcome.RETRY_NOW;
    }

    /**
     * The contenders with the best write time each can show: for a Kubernetes object the time its
     * apiserver recorded ({@code managedFields}), else what was known (received, or stored).
     */
    private static List<Version> withWriteTimes(List<Version> contenders) {
        List<Version> out = new ArrayList<>(contenders.size());
        for (Version v : contenders) {
            out.add(v.value() != null && v.value() != NOT_READ ? v.withWriteTime(WriteTime.of(v.value(), v.writeTime()))
                    : v);
        }
        return out;
    }

    private Result conflict(Run run, KeyEntry entry, List<ClusterLink> live, List<Version> versions,
                            ReconcileDecision.Conflict decided, long liveBits) throws InterruptedException {
        ReconcileDecision.Conflict c = new ReconcileDecision.Conflict(decided.type(),
                withWriteTimes(decided.contenders()), decided.merged());
        Optional<Version> winner;
        String by;
        String reason;
        KeyEntry.OperatorChoice chosen = entry.operator;
        if (chosen != null && chosen.winner() < 0) {
            Outcome o = impose(run, entry, live, chosen, c.merged());
            if (o == Outcome.DONE) {
                ctx.recorder().resolved(entry, c.type(), c.contenders(), null, chosen.by(), chosen.value() == null
                        ? chosen.by() + ": deleted on every cluster"
                        : chosen.by() + ": wrote the operator's object (hash " + MetaRecord.hashOf(chosen.value())
                        + ") to every cluster", chosen.how());
            }
            return new Result(o, Action.RESOLVED, liveBits);
        }
        String how = null;
        if (chosen != null) {
            String name = ctx.links().get(chosen.winner()).name;
            winner = c.contenders().stream().filter(v -> v.cluster().equals(name)).findFirst();
            by = chosen.by();
            reason = by + ": picked " + name;
            how = chosen.how();
        } else {
            winner = policy.choose(c.contenders());
            by = policy.name();
            reason = winner.map(w -> policy.explain(c.contenders(), w)).orElse("");
        }
        if (winner.isEmpty() || c.type() == ConflictType.FLIP_FLOP && chosen == null) {
            ctx.recorder().held(entry, c.type(), c.contenders());
            return new Result(Outcome.DONE, Action.HELD, liveBits);
        }
        if (chosen == null && flipsWith(entry, winner.get())) {
            // A policy settling the same fight again and again is a flip-flop too.
            return flipFlop(run, entry, live, versions, liveBits);
        }
        // The merged vector dominates every side, so each loser is written exactly once and no
        // side can later win back with an older version.
        Outcome o = propagate(run, entry, live, versions, winner.get(), c.merged());
        if (o == Outcome.DONE) {
            ctx.recorder().resolved(entry, c.type(), c.contenders(), winner.get().cluster(), by, reason, how);
        }
        return new Result(o, Action.RESOLVED, liveBits);
    }

    /**
     * An operator's own object, or a delete, written to every live cluster in one Txn each (data
     * and metadata), with a vector that dominates every side: each cluster is written once, and
     * what it then holds is one version everywhere, so nothing propagates back.
     */
    private Outcome impose(Run run, KeyEntry entry, List<ClusterLink> live, KeyEntry.OperatorChoice chosen,
                           VersionVector vector) throws InterruptedException {
        byte[] value = chosen.value();
        MetaRecord m = new MetaRecord(vector, OPERATOR_ORIGIN, WriteTime.received(System.currentTimeMillis()),
                MetaRecord.hashOf(value), value == null, 0);
        List<Pending> writes = new ArrayList<>();
        for (ClusterLink link : live) {
            writes.add(write(entry, link, value, m));
        }
        return await(run, entry, writes);
    }

    /** The vector of what {@code s} holds: a change not yet stamped counts one more for its cluster. */
    private static VersionVector vectorOf(Slot s, String cluster) {
        VersionVector base = s.meta == null ? VersionVector.EMPTY : s.meta.vector();
        if (!s.dataPresent && s.meta == null) {
            return VersionVector.EMPTY;
        }
        return s.described() ? base : base.increment(cluster);
    }

    /** What {@code link} holds for the key, as a version with a vector. */
    Version derive(KeyEntry entry, ClusterLink link) {
        Slot s = entry.slots[link.index];
        MetaRecord m = s.meta;
        byte[] value = s.dataPresent ? (s.value != null ? s.value : NOT_READ) : null;
        if (m != null && s.described()) {
            return new Version(link.name, m.vector(), m.tombstone(), value, m.writeTime(), s.dataModRev, false,
                    m.origin());
        }
        if (!s.dataPresent && m == null) {
            return new Version(link.name, VersionVector.EMPTY, true, null, WriteTime.UNKNOWN, 0, false);
        }
        // Changed here since fedsync last stamped it: one more change originating at this cluster,
        // received by the watch at this time (or found by a read: unknown). The time the apiserver
        // recorded in the object is looked up only when a conflict needs it (see withWriteTimes).
        return new Version(link.name, vectorOf(s, link.name), !s.dataPresent, value,
                WriteTime.received(s.receivedAt), s.dataModRev, true);
    }

    private Outcome propagate(Run run, KeyEntry entry, List<ClusterLink> live, List<Version> versions, Version winner,
                              VersionVector vector) throws InterruptedException {
        ClusterLink w = live.get(indexOf(live, winner.cluster()));
        Slot ws = entry.slots[w.index];
        if (!winner.tombstone() && winner.value() == NOT_READ) {
            // Never copy a value that was not read (a dominated version picked by an operator):
            // read it and decide again.
            LOG.warn("[{}] the version of {} to propagate was not read; reading it and deciding again", entry.key,
                    winner.cluster());
            return refresh(entry, w) ? Outcome.RETRY_NOW : Outcome.RETRY_LATER;
        }
        String origin = winner.origin();
        MetaRecord carried = new MetaRecord(vector, origin, winner.writeTime(), MetaRecord.hashOf(winner.value()),
                winner.tombstone(), 0);
        if (needsStamp(ws, vector, winner)) {
            Outcome o = await(run, entry, List.of(stamp(entry, w, carried.describing(
                    winner.tombstone() ? 0 : ws.dataModRev))));
            if (o != Outcome.DONE) {
                return o;
            }
        }
        List<Pending> writes = new ArrayList<>();
        for (ClusterLink link : live) {
            if (link == w) {
                continue;
            }
            Version v = versions.get(indexOf(live, link.name));
            if (v.vector().equals(vector) && !v.local() && sameContent(v, winner)) {
                Slot s = entry.slots[link.index];
                if (needsStamp(s, vector, v)) {
                    // The right bytes under metadata that does not say so (written behind fedsync's back).
                    writes.add(stamp(entry, link, carried.describing(v.tombstone() ? 0 : s.dataModRev)));
                }
                continue;
            }
            writes.add(write(entry, link, winner.tombstone() ? null : winner.value(), carried));
        }
        return await(run, entry, writes);
    }

    private Outcome restamp(Run run, KeyEntry entry, List<ClusterLink> live, List<Version> versions)
            throws InterruptedException {
        List<Pending> stamps = new ArrayList<>();
        for (int i = 0; i < live.size(); i++) {
            ClusterLink link = live.get(i);
            Slot s = entry.slots[link.index];
            Version v = versions.get(i);
            if (s.meta != null && needsStamp(s, s.meta.vector(), v)) {
                stamps.add(stamp(entry, link, new MetaRecord(s.meta.vector(), s.meta.origin(), s.meta.writeTime(),
                        MetaRecord.hashOf(v.value()), v.tombstone(), v.tombstone() ? 0 : s.dataModRev,
                        s.meta.converged())));
            }
        }
        return stamps.isEmpty() ? Outcome.DONE : await(run, entry, stamps);
    }

    private static boolean sameContent(Version a, Version b) {
        return a.value() != NOT_READ && b.value() != NOT_READ && a.sameContent(b);
    }

    private Outcome converge(Run run, KeyEntry entry, List<ClusterLink> live, List<Version> versions,
                             ReconcileDecision.Converge c) throws InterruptedException {
        Version rep = c.representative();
        WriteTime time = c.sides().stream().map(Version::writeTime).max(WriteTime::compareTo).orElse(WriteTime.UNKNOWN);
        List<Pending> writes = new ArrayList<>();
        for (ClusterLink link : live) {
            Version v = versions.get(indexOf(live, link.name));
            boolean isSide = c.sides().stream().anyMatch(s -> s.cluster().equals(link.name));
            if (isSide) {
                // Same object, different bytes (uid, timestamps): keep the bytes, agree on the vector.
                Slot s = entry.slots[link.index];
                if (!needsStamp(s, c.merged(), v) && s.meta.converged()) {
                    continue;
                }
                MetaRecord m = new MetaRecord(c.merged(), v.cluster(), time, MetaRecord.hashOf(v.value()),
                        v.tombstone(), v.tombstone() ? 0 : s.dataModRev, true);
                writes.add(stamp(entry, link, m));
            } else {
                MetaRecord m = new MetaRecord(c.merged(), rep.cluster(), time, MetaRecord.hashOf(rep.value()),
                        rep.tombstone(), 0, true);
                writes.add(write(entry, link, rep.tombstone() ? null : rep.value(), m));
            }
        }
        return await(run, entry, writes);
    }

    private static boolean needsStamp(Slot s, VersionVector vector, Version v) {
        return v.local() || s.meta == null || !s.meta.vector().equals(vector) || !s.described()
                || !s.meta.converged() && v.value() != null && v.value() != NOT_READ
                && !s.meta.hash().equals(MetaRecord.hashOf(v.value()));
    }

    /** Metadata only; conditional on the metadata being as last read (the writer owns it). */
    private Pending stamp(KeyEntry entry, ClusterLink link, MetaRecord m) {
        Slot s = entry.slots[link.index];
        ByteSequence metaKey = ctx.keySpace().metaKey(entry.key);
        byte[] encoded = m.encode();
        WriteOp op = new WriteOp(entry.key,
                List.of(new Cmp(metaKey, Cmp.Op.EQUAL, CmpTarget.modRevision(s.metaModRev))),
                List.of(Op.put(metaKey, ByteSequence.from(encoded), PutOption.DEFAULT)), encoded.length + 200);
        link.pipeline.submit(op);
        return new Pending(link, op, null, rev -> {
            s.stamped(rev, m);
            ctx.count("metaStamps");
        });
    }

    /** Data (or its deletion) and metadata in one Txn, conditional on the data being as last read. */
    private Pending write(KeyEntry entry, ClusterLink link, byte[] value, MetaRecord m) {
        Slot s = entry.slots[link.index];
        ByteSequence dataKey = entry.key.sequence();
        ByteSequence metaKey = ctx.keySpace().metaKey(entry.key);
        byte[] encoded = m.encode();
        List<Cmp> cmps = List.of(new Cmp(dataKey, Cmp.Op.EQUAL, CmpTarget.modRevision(s.dataPresent ? s.dataModRev : 0)));
        List<Op> ops = new ArrayList<>(2);
        if (value != null) {
            ops.add(Op.put(dataKey, ByteSequence.from(value), PutOption.DEFAULT));
        } else if (s.dataPresent) {
            ops.add(Op.delete(dataKey, DeleteOption.DEFAULT));
        }
        ops.add(Op.put(metaKey, ByteSequence.from(encoded), PutOption.DEFAULT));
        WriteOp op = new WriteOp(entry.key, cmps, ops, (value == null ? 0 : value.length) + encoded.length + 200);
        boolean dataChanges = value != null || s.dataPresent;
        link.pipeline.submit(op);
        return new Pending(link, op, value, rev -> {
            s.wrote(rev, value, m);
            ctx.count(dataChanges ? "dataWrites" : "metaStamps");
        });
    }

    private record Pending(ClusterLink link, WriteOp op, byte[] value, java.util.function.LongConsumer onSuccess) {
    }

    private Outcome await(Run run, KeyEntry entry, List<Pending> writes) throws InterruptedException {
        run.writes += writes.size();
        Outcome outcome = Outcome.DONE;
        for (Pending p : writes) {
            Slot s = entry.slots[p.link.index];
            try {
                long rev = p.op.result.get(ctx.writeWaitMillis(), TimeUnit.MILLISECONDS);
                p.onSuccess.accept(rev);
            } catch (TimeoutException e) {
                // The write may still land: what this slot says can no longer be trusted.
                s.markStale();
                ctx.count("unknownOutcomes");
                LOG.warn("[{} {}] no answer to a write within {} ms; will re-read", p.link.name, entry.key,
                        ctx.writeWaitMillis());
                outcome = worst(outcome, Outcome.RETRY_LATER);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof CompletionException ce && ce.getCause() != null
                        ? ce.getCause() : e.getCause();
                if (cause instanceof WriteOp.CompareFailed) {
                    ctx.count("compareRetries");
                    outcome = worst(outcome, refresh(entry, p.link) ? Outcome.RETRY_NOW : Outcome.RETRY_LATER);
                } else if (WriteOp.isTooLarge(cause)) {
                    ctx.problems().report(p.link.name, entry.key, "etcd of " + p.link.name + " refused the write as too"
                            + " large (" + (p.value == null ? 0 : p.value.length) + " bytes of value plus fedsync's"
                            + " metadata; see etcd's --max-request-bytes); not copied");
                    ctx.count("refusedByEtcd");
                } else {
                    // Timed out in flight or failed without an answer: the outcome is unknown.
                    s.markStale();
                    ctx.count("unknownOutcomes");
                    LOG.warn("[{} {}] write failed: {}; will re-read", p.link.name, entry.key, describe(cause));
                    ctx.suspect(p.link.index, describe(cause));
                    outcome = worst(outcome, Outcome.RETRY_LATER);
                }
            }
        }
        return outcome;
    }

    private static Outcome worst(Outcome a, Outcome b) {
        return a.ordinal() >= b.ordinal() ? a : b;
    }

    /** Re-reads the key on one cluster; false if the cluster did not answer (or fences this writer). */
    boolean refresh(KeyEntry entry, ClusterLink link) {
        try {
            ClusterLink.Read read = link.read(entry.key);
            if (read.fence() == null || !read.fence().equals(ctx.token())) {
                if (read.fence() != null && read.fence().isAbove(ctx.token())) {
                    // A write of this mirror failed on the fence (or would): another writer took over.
                    ctx.count("fenceRejections");
                    ctx.fencedBy(link.index, read.fence());
                }
                return false;
            }
            entry.slots[link.index].absorb(read.observation());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            ctx.suspect(link.index, describe(e));
            return false;
        }
    }

    /** Each side as the decision saw it (for the DEBUG trace): vector, data revision, hash, local. */
    private static String describeVersions(KeyEntry entry, List<ClusterLink> live, List<Version> versions) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < versions.size(); i++) {
            Version v = versions.get(i);
            Slot s = entry.slots[live.get(i).index];
            b.append(i == 0 ? "" : "; ").append(v.cluster()).append(' ').append(v.vector())
                    .append(v.tombstone() ? " deleted" : " rev " + v.revision())
                    .append(v.value() == null ? "" : v.value() == NOT_READ ? " unread" : " " + MetaRecord.hashOf(v.value()))
                    .append(v.local() ? " local" : "")
                    .append(v.origin().equals(v.cluster()) ? "" : " from " + v.origin())
                    .append(" meta@").append(s.metaModRev)
                    .append(s.meta == null ? "" : " describes " + s.meta.describedRevision(s.metaModRev));
        }
        return b.toString();
    }

    static String describe(Throwable t) {
        return EtcdErrors.describe(t);
    }

    private static int indexOf(List<ClusterLink> live, String name) {
        for (int i = 0; i < live.size(); i++) {
            if (live.get(i).name.equals(name)) {
                return i;
            }
        }
        throw new IllegalStateException("cluster " + name + " is not live");
    }
}
