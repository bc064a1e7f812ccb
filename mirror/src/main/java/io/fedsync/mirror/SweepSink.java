package io.fedsync.mirror;

import java.util.ArrayList;
import java.util.List;

/**
 * Receives a sweep's findings: records every key in the {@link KeyTable} (settled ones without
 * values, taking the key while it is idle), queues the unsettled ones with what was listed, and
 * counts what clusters not in the sweep (down) are owed. During a verification pass it also
 * tells the {@link VerifyPass} which differences an open conflict explains.
 */
final class SweepSink implements Sweep.Sink {

    /** Keys queued above which a sweep waits for the workers (bounded memory). */
    static final int MAX_QUEUED = 4096;

    private final MirrorEngine engine;
    private final List<Sweep.Member> members;
    private final VerifyPass verify;
    /** Clusters not in the sweep (down): what changed since their cursor is owed to them. */
    private final List<Integer> absent = new ArrayList<>();

    SweepSink(MirrorEngine engine, List<Sweep.Member> members, VerifyPass verify) {
        this.engine = engine;
        this.members = members;
        this.verify = verify;
        for (int c = 0; c < engine.links().size(); c++) {
            int cc = c;
            if (members.stream().noneMatch(m -> m.link().index == cc)) {
                absent.add(c);
            }
        }
    }

    @Override
    public void settled(Key key, int prefix, long[] revisions, Observation[] seen) {
        KeyTable table = engine.table();
        KeyEntry e = table.entry(key, prefix);
        if (table.queue().tryAcquire(key)) {
            try {
                for (Sweep.Member m : members) {
                    e.slots[m.link().index].absorb(seen[m.link().index]);
                }
                e.dropValues();
            } finally {
                table.queue().done(key);
            }
        } else {
            for (Sweep.Member m : members) {
                e.offer(m.link().index, seen[m.link().index], 0);
            }
        }
        owedWhileAbsent(key, prefix, seen);
        if (verify != null) {
            verify.considerTombstone(e, seen, members);
        }
    }

    @Override
    public void unsettled(Key key, int prefix, long[] revisions, Observation[] seen) {
        KeyTable table = engine.table();
        KeyEntry e = table.entry(key, prefix);
        if (verify != null) {
            if (engine.recorder().log().openFor(key.wire()).isPresent()) {
                verify.explained++;
            } else if (!table.queue().busy(key)) {
                verify.watch(key);
            }
        }
        long now = engine.clock().millis();
        for (Sweep.Member m : members) {
            int c = m.link().index;
            e.offer(c, seen[c], m.revision());
            engine.cursors().tracker(c, prefix).seen(m.revision(), now);
        }
        owedWhileAbsent(key, prefix, seen);
        table.offer(key);
    }

    private void owedWhileAbsent(Key key, int prefix, Observation[] seen) {
        for (int x : absent) {
            for (Sweep.Member m : members) {
                long stored = engine.cursors().stored(m.link().index, prefix);
                Observation o = seen[m.link().index];
                boolean described = o.meta() != null ? o.meta().describes(o.dataPresent(), o.dataModRev(),
                        o.metaModRev()) : !o.dataPresent();
                if (stored <= 0 || !described || o.dataModRev() > stored || o.metaModRev() > stored) {
                    engine.owed().add(x, key);
                    break;
                }
            }
        }
    }

    @Override
    public boolean backpressure() throws InterruptedException {
        while (engine.running() && engine.table().queue().size() > MAX_QUEUED) {
            Thread.sleep(5);
        }
        return engine.running();
    }
}
