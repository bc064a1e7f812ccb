package io.fedsync.mirror;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.fedsync.conflict.ConflictClassifier;
import io.fedsync.conflict.ReconcileDecision;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.conflict.Version;
import io.fedsync.conflict.VersionVector;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
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
 */
final class KeyReconciler {

    private static final Logger LOG = LoggerFactory.getLogger(KeyReconciler.class);

    enum Outcome { DONE, RETRY_NOW, RETRY_LATER }

    private final MirrorEngine engine;
    private final ConflictClassifier classifier;
    private final ResolutionPolicy policy;
    private final ValueGuard guard;

    KeyReconciler(MirrorEngine engine, ConflictClassifier classifier, ResolutionPolicy policy, ValueGuard guard) {
        this.engine = engine;
        this.classifier = classifier;
        this.policy = policy;
        this.guard = guard;
    }

    Outcome reconcile(KeyEntry entry) throws InterruptedException {
        if (engine.fenced()) {
            return Outcome.DONE;
        }
        List<ClusterLink> live = new ArrayList<>();
        for (ClusterLink link : engine.links()) {
            if (!engine.isLive(link.index)) {
                continue;
            }
            if (!entry.slots[link.index].known() && !refresh(entry, link)) {
                return Outcome.RETRY_LATER;
            }
            live.add(link);
        }
        if (live.size() < 2) {
            return Outcome.DONE;
        }
        List<Version> versions = new ArrayList<>();
        for (ClusterLink link : live) {
            Version v = derive(entry, link);
            if (v.local() && !v.tombstone()) {
                Optional<String> refused = guard.refuse(entry.key, v.value());
                if (refused.isPresent()) {
                    engine.problems().report(link.name, entry.key, refused.get());
                    return Outcome.DONE;
                }
            }
            versions.add(v);
        }
        engine.problems().clear(entry.key);
        ReconcileDecision decision = classifier.decide(versions);
        if (decision instanceof ReconcileDecision.Propagate p) {
            Outcome o = propagate(entry, live, versions, p.winner(), p.vector());
            if (o == Outcome.DONE) {
                engine.recorder().propagated(entry, p.winner().cluster());
            }
            return o;
        }
        if (decision instanceof ReconcileDecision.Converge c) {
            Outcome o = converge(entry, live, versions, c);
            if (o == Outcome.DONE) {
                engine.recorder().converged(entry, c.sides(), versions);
            }
            return o;
        }
        if (decision instanceof ReconcileDecision.Conflict c) {
            return conflict(entry, live, versions, c);
        }
        engine.recorder().inSync(entry);
        return Outcome.DONE;
    }

    private Outcome conflict(KeyEntry entry, List<ClusterLink> live, List<Version> versions,
                             ReconcileDecision.Conflict c) throws InterruptedException {
        Optional<Version> winner;
        String by;
        int chosen = entry.operatorWinner;
        if (chosen >= 0) {
            String name = engine.links().get(chosen).name;
            winner = c.contenders().stream().filter(v -> v.cluster().equals(name)).findFirst();
            by = "operator";
        } else {
            winner = policy.choose(c.contenders());
            by = policy.name();
        }
        if (winner.isEmpty()) {
            engine.recorder().held(entry, c.type(), c.contenders());
            return Outcome.DONE;
        }
        // The merged vector dominates every side, so each loser is written exactly once and no
        // side can later win back with an older version.
        Outcome o = propagate(entry, live, versions, winner.get(), c.merged());
        if (o == Outcome.DONE) {
            engine.recorder().resolved(entry, c.type(), c.contenders(), winner.get().cluster(), by);
        }
        return o;
    }

    /** What {@code link} holds for the key, as a version with a vector. */
    Version derive(KeyEntry entry, ClusterLink link) {
        Slot s = entry.slots[link.index];
        MetaRecord m = s.meta;
        if (m != null && m.describes(s.dataPresent, s.dataModRev, s.metaModRev)) {
            engine.clock().observe(m.hlc());
            return new Version(link.name, m.vector(), m.tombstone(), s.dataPresent ? s.value : null, m.hlc(),
                    s.dataModRev, false);
        }
        if (!s.dataPresent && m == null) {
            return new Version(link.name, VersionVector.EMPTY, true, null, 0, 0, false);
        }
        // Changed here since fedsync last stamped it: one more change originating at this cluster.
        long changeRev = s.dataPresent ? s.dataModRev : s.dataObservedAt;
        if (s.localHlcRev != changeRev) {
            s.localHlc = engine.clock().now();
            s.localHlcRev = changeRev;
        }
        VersionVector base = m == null ? VersionVector.EMPTY : m.vector();
        return new Version(link.name, base.increment(link.name), !s.dataPresent, s.dataPresent ? s.value : null,
                s.localHlc, s.dataModRev, true);
    }

    private Outcome propagate(KeyEntry entry, List<ClusterLink> live, List<Version> versions, Version winner,
                              VersionVector vector) throws InterruptedException {
        ClusterLink w = live.get(indexOf(live, winner.cluster()));
        Slot ws = entry.slots[w.index];
        String origin = winner.local() || ws.meta == null ? winner.cluster() : ws.meta.origin();
        MetaRecord carried = new MetaRecord(vector, origin, winner.hlc(), MetaRecord.hashOf(winner.value()),
                winner.tombstone(), 0);
        if (needsStamp(ws, vector, winner)) {
            Outcome o = stamp(entry, w, carried);
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
            if (v.vector().equals(vector) && v.sameContent(winner) && !v.local()) {
                continue;
            }
            writes.add(write(entry, link, winner.tombstone() ? null : winner.value(), carried));
        }
        return await(entry, writes);
    }

    private Outcome converge(KeyEntry entry, List<ClusterLink> live, List<Version> versions,
                             ReconcileDecision.Converge c) throws InterruptedException {
        Version rep = c.representative();
        long hlc = c.sides().stream().mapToLong(Version::hlc).max().orElse(0);
        List<Pending> writes = new ArrayList<>();
        for (ClusterLink link : live) {
            Version v = versions.get(indexOf(live, link.name));
            boolean isSide = c.sides().stream().anyMatch(s -> s.cluster().equals(link.name));
            if (isSide) {
                // Same object, different bytes (uid, timestamps): keep the bytes, agree on the vector.
                Slot s = entry.slots[link.index];
                if (!needsStamp(s, c.merged(), v)) {
                    continue;
                }
                MetaRecord m = new MetaRecord(c.merged(), v.cluster(), hlc, MetaRecord.hashOf(v.value()),
                        v.tombstone(), v.tombstone() ? 0 : s.dataModRev);
                writes.add(stampAsync(entry, link, m));
            } else {
                MetaRecord m = new MetaRecord(c.merged(), rep.cluster(), hlc, MetaRecord.hashOf(rep.value()),
                        rep.tombstone(), 0);
                writes.add(write(entry, link, rep.tombstone() ? null : rep.value(), m));
            }
        }
        return await(entry, writes);
    }

    private static boolean needsStamp(Slot s, VersionVector vector, Version v) {
        return v.local() || s.meta == null || !s.meta.vector().equals(vector)
                || !s.meta.describes(s.dataPresent, s.dataModRev, s.metaModRev);
    }

    private Outcome stamp(KeyEntry entry, ClusterLink link, MetaRecord carried) throws InterruptedException {
        Slot s = entry.slots[link.index];
        MetaRecord m = new MetaRecord(carried.vector(), carried.origin(), carried.hlc(),
                s.dataPresent ? MetaRecord.hashOf(s.value) : "", carried.tombstone(),
                carried.tombstone() ? 0 : s.dataModRev);
        return await(entry, List.of(stampAsync(entry, link, m)));
    }

    /** Metadata only; conditional on the metadata being as last read (the leader owns it). */
    private Pending stampAsync(KeyEntry entry, ClusterLink link, MetaRecord m) {
        Slot s = entry.slots[link.index];
        ByteSequence metaKey = KeySpace.bytes(engine.keySpace().metaKey(entry.key));
        byte[] encoded = m.encode();
        WriteOp op = new WriteOp(entry.key,
                List.of(new Cmp(metaKey, Cmp.Op.EQUAL, CmpTarget.modRevision(s.metaModRev))),
                List.of(Op.put(metaKey, ByteSequence.from(encoded), PutOption.DEFAULT)), encoded.length + 200);
        link.pipeline.submit(op);
        return new Pending(link, op, rev -> {
            s.stamped(rev, m);
            engine.count("metaStamps");
        });
    }

    /** Data (or its deletion) and metadata in one Txn, conditional on the data being as last read. */
    private Pending write(KeyEntry entry, ClusterLink link, byte[] value, MetaRecord m) {
        Slot s = entry.slots[link.index];
        ByteSequence dataKey = KeySpace.bytes(entry.key);
        ByteSequence metaKey = KeySpace.bytes(engine.keySpace().metaKey(entry.key));
        byte[] encoded = m.encode();
        List<Cmp> cmps = List.of(new Cmp(dataKey, Cmp.Op.EQUAL, CmpTarget.modRevision(s.dataPresent ? s.dataModRev : 0)));
        List<Op> ops = new ArrayList<>();
        if (value != null) {
            ops.add(Op.put(dataKey, ByteSequence.from(value), PutOption.DEFAULT));
        } else if (s.dataPresent) {
            ops.add(Op.delete(dataKey, DeleteOption.DEFAULT));
        }
        ops.add(Op.put(metaKey, ByteSequence.from(encoded), PutOption.DEFAULT));
        WriteOp op = new WriteOp(entry.key, cmps, ops, (value == null ? 0 : value.length) + encoded.length + 200);
        boolean dataChanges = value != null || s.dataPresent;
        link.pipeline.submit(op);
        return new Pending(link, op, rev -> {
            s.wrote(rev, value, m);
            engine.count(dataChanges ? "dataWrites" : "metaStamps");
        });
    }

    private record Pending(ClusterLink link, WriteOp op, java.util.function.LongConsumer onSuccess) {
    }

    private Outcome await(KeyEntry entry, List<Pending> writes) throws InterruptedException {
        Outcome outcome = Outcome.DONE;
        for (Pending p : writes) {
            try {
                long rev = p.op.result.get();
                p.onSuccess.accept(rev);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof CompletionException ce && ce.getCause() != null
                        ? ce.getCause() : e.getCause();
                if (cause instanceof WriteOp.CompareFailed) {
                    engine.count("compareRetries");
                    outcome = worst(outcome, refresh(entry, p.link) ? Outcome.RETRY_NOW : Outcome.RETRY_LATER);
                } else {
                    LOG.warn("[{} {}] write failed: {}", p.link.name, entry.key, describe(cause));
                    engine.suspect(p.link.index, describe(cause));
                    outcome = worst(outcome, Outcome.RETRY_LATER);
                }
            }
        }
        return outcome;
    }

    private static Outcome worst(Outcome a, Outcome b) {
        return a.ordinal() >= b.ordinal() ? a : b;
    }

    /** Re-reads the key on one cluster after a lost race; false if the cluster did not answer. */
    private boolean refresh(KeyEntry entry, ClusterLink link) {
        try {
            ClusterLink.Read read = link.read(entry.key);
            if (read.fence() != engine.term()) {
                engine.fencedBy(link.index, read.fence());
                return false;
            }
            entry.slots[link.index].absorb(read.observation());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            engine.suspect(link.index, describe(e));
            return false;
        }
    }

    static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
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
