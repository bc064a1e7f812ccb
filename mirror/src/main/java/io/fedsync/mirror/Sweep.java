package io.fedsync.mirror;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.fedsync.conflict.Causality;
import io.fedsync.conflict.VersionVector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares clusters key by key from their listings: the data keys (names and mod_revisions, no
 * values) and fedsync's metadata, each cluster read at one revision, merged in etcd's key order
 * one page at a time (bounded memory whatever the prefix holds).
 *
 * <p>A key is <em>settled</em> when in every cluster the metadata describes the data as it is,
 * and all clusters' metadata carry the same vector and content hash. Every other key is queued
 * for the {@link KeyReconciler}, with what the listing showed and the values a decision will
 * need (read in bulk here, not one by one later). Nothing here depends on history: not on a
 * cursor, not on what a watch delivered. That is what makes a restart, a cluster down across a
 * restart, a compaction or a watch gap lose nothing — whatever a cluster is owed shows up as a
 * difference between the clusters.
 *
 * <p>Settled keys are recorded in the {@link KeyTable} without values, so the mirror knows every
 * key (a key it has never seen is absent) without holding any value.
 */
final class Sweep {

    private static final Logger LOG = LoggerFactory.getLogger(Sweep.class);
    /** Keys decided together (values for them are read in one go per cluster). */
    static final int BATCH = 500;

    /** A cluster in this sweep and the revision it is read at. */
    record Member(ClusterLink link, long revision) {
    }

    /** What one cluster's listing showed for one key. */
    private record Seen(KeyValue data, KeyValue metaKv, MetaRecord meta) {
        boolean present() {
            return data != null;
        }

        long modRev() {
            return data == null ? 0 : data.getModRevision();
        }

        long metaModRev() {
            return metaKv == null ? 0 : metaKv.getModRevision();
        }

        boolean described() {
            return meta != null ? meta.describes(present(), modRev(), metaModRev()) : !present();
        }

        /** The vector of what this cluster holds: a local change counts one more for it. */
        VersionVector vector(String cluster) {
            VersionVector base = meta == null ? VersionVector.EMPTY : meta.vector();
            return described() ? base : base.increment(cluster);
        }
    }

    /** Receives the sweep's findings; implemented by the engine. */
    interface Sink {
        /** Records a settled key's state in each member (no value), without queuing it. */
        void settled(Key key, int prefix, long[] revisions, Observation[] seen);

        /** Queues an unsettled key with what each member showed (values where a decision needs them). */
        void unsettled(Key key, int prefix, long[] revisions, Observation[] seen);

        /** Blocks while too much work is queued (bounded memory); false when the mirror stops. */
        boolean backpressure() throws InterruptedException;
    }

    /** Counts of one sweep. */
    static final class Stats {
        long keys;
        long unsettled;
        long valuesRead;
        long pages;
    }

    /** A member's etcd failed during the sweep. */
    static final class MemberFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final transient ClusterLink link;

        MemberFailed(ClusterLink link, Exception cause) {
            super(cause);
            this.link = link;
        }
    }

    private final List<Member> members;
    private final int clusterCount;
    private final Sink sink;
    private final Stats stats = new Stats();

    Sweep(List<Member> members, int clusterCount, Sink sink) {
        this.members = List.copyOf(members);
        this.clusterCount = clusterCount;
        this.sink = sink;
    }

    Stats stats() {
        return stats;
    }

    /** Sweeps one prefix; returns false when the mirror stopped meanwhile. */
    boolean run(int prefix) throws MemberFailed, InterruptedException {
        int n = members.size();
        ClusterLink.Listing[] data = new ClusterLink.Listing[n];
        ClusterLink.Listing[] meta = new ClusterLink.Listing[n];
        for (int m = 0; m < n; m++) {
            data[m] = members.get(m).link().listData(prefix, members.get(m).revision(), true);
            meta[m] = members.get(m).link().listMeta(prefix, members.get(m).revision());
        }
        List<Key> batchKeys = new ArrayList<>(BATCH);
        List<Seen[]> batchSeen = new ArrayList<>(BATCH);
        while (true) {
            Key next = null;
            for (int m = 0; m < n; m++) {
                next = min(next, head(data[m], m));
                next = min(next, head(meta[m], m));
            }
            if (next == null) {
                break;
            }
            Seen[] seen = new Seen[n];
            for (int m = 0; m < n; m++) {
                KeyValue d = matches(head(data[m], m), next) ? take(data[m], m) : null;
                KeyValue mk = matches(head(meta[m], m), next) ? take(meta[m], m) : null;
                MetaRecord record = mk == null ? null : members.get(m).link().decodeMeta(mk);
                for (int o = 0; o < m && record != null; o++) {
                    if (record.equals(seen[o].meta())) {
                        record = seen[o].meta(); // one instance for equal records: they stay in memory
                    }
                }
                seen[m] = new Seen(d, mk, record);
            }
            batchKeys.add(next);
            batchSeen.add(seen);
            if (batchKeys.size() == BATCH) {
                if (!decide(prefix, batchKeys, batchSeen)) {
                    return false;
                }
                batchKeys.clear();
                batchSeen.clear();
            }
        }
        for (int m = 0; m < n; m++) {
            stats.pages += data[m].pages + meta[m].pages;
        }
        return decide(prefix, batchKeys, batchSeen);
    }

    private boolean decide(int prefix, List<Key> batchKeys, List<Seen[]> batchSeen)
            throws MemberFailed, InterruptedException {
        int n = members.size();
        boolean[] unsettled = new boolean[batchKeys.size()];
        List<List<Key>> wanted = new ArrayList<>();
        for (int m = 0; m < n; m++) {
            wanted.add(new ArrayList<>());
        }
        for (int i = 0; i < batchKeys.size(); i++) {
            Seen[] seen = batchSeen.get(i);
            unsettled[i] = !settled(seen);
            if (unsettled[i]) {
                boolean[] need = valuesNeeded(seen);
                for (int m = 0; m < n; m++) {
                    if (need[m]) {
                        wanted.get(m).add(batchKeys.get(i));
                    }
                }
            }
        }
        List<Map<Key, KeyValue>> values = new ArrayList<>();
        for (int m = 0; m < n; m++) {
            values.add(read(members.get(m), wanted.get(m)));
        }
        long[] revisions = new long[clusterCount];
        for (Member m : members) {
            revisions[m.link().index] = m.revision();
        }
        for (int i = 0; i < batchKeys.size(); i++) {
            Key key = batchKeys.get(i);
            Seen[] seen = batchSeen.get(i);
            Observation[] obs = new Observation[clusterCount];
            for (int m = 0; m < n; m++) {
                Member member = members.get(m);
                KeyValue withValue = values.get(m).get(key);
                byte[] value = withValue != null && seen[m].present() && withValue.getModRevision() == seen[m].modRev()
                        ? withValue.getValue().getBytes() : null;
                obs[member.link().index] = Observation.read(member.revision(), seen[m].present(), value,
                        seen[m].modRev(), seen[m].meta(), seen[m].metaModRev());
            }
            stats.keys++;
            if (unsettled[i]) {
                stats.unsettled++;
                sink.unsettled(key, prefix, revisions, obs);
            } else {
                sink.settled(key, prefix, revisions, obs);
            }
        }
        return sink.backpressure();
    }

    /** Every member's metadata describes its data, and all carry the same version. */
    private static boolean settled(Seen[] seen) {
        MetaRecord first = seen[0].meta();
        for (Seen s : seen) {
            if (s.meta() == null || !s.described() || !s.meta().sameVersion(first)) {
                return false;
            }
        }
        return true;
    }

    /** Values a decision will use: of every member holding data whose version no other dominates. */
    private boolean[] valuesNeeded(Seen[] seen) {
        int n = seen.length;
        VersionVector[] v = new VersionVector[n];
        for (int m = 0; m < n; m++) {
            v[m] = seen[m].vector(members.get(m).link().name);
        }
        boolean[] need = new boolean[n];
        for (int m = 0; m < n; m++) {
            if (!seen[m].present()) {
                continue;
            }
            boolean dominated = false;
            for (int o = 0; o < n && !dominated; o++) {
                dominated = o != m && v[m].compareTo(v[o]) == Causality.BEFORE;
            }
            need[m] = !dominated || !seen[m].described();
        }
        return need;
    }

    /** Values of some keys of one member at its revision: one range read when most of the batch is wanted. */
    private Map<Key, KeyValue> read(Member member, List<Key> wanted) throws MemberFailed {
        if (wanted.isEmpty()) {
            return Map.of();
        }
        stats.valuesRead += wanted.size();
        try {
            if (wanted.size() * 2 >= BATCH / 2) {
                Map<Key, KeyValue> out = new HashMap<>();
                ByteSequence from = wanted.get(0).sequence();
                ByteSequence end = wanted.get(wanted.size() - 1).successor();
                ClusterLink link = member.link();
                for (KeyValue kv : link.await(link.rawGet(from, GetOption.builder().withRange(end)
                        .withRevision(member.revision()).build())).getKvs()) {
                    out.put(Key.of(kv.getKey()), kv);
                }
                return out;
            }
            return member.link().readValues(wanted, member.revision());
        } catch (Exception e) {
            throw new MemberFailed(member.link(), e);
        }
    }

    private Key head(ClusterLink.Listing l, int m) throws MemberFailed {
        try {
            return l.peekKey();
        } catch (Exception e) {
            throw new MemberFailed(members.get(m).link(), e);
        }
    }

    private KeyValue take(ClusterLink.Listing l, int m) throws MemberFailed {
        try {
            return l.next();
        } catch (Exception e) {
            throw new MemberFailed(members.get(m).link(), e);
        }
    }

    private static boolean matches(Key head, Key key) {
        return head != null && head.equals(key);
    }

    private static Key min(Key a, Key b) {
        if (a == null) {
            return b;
        }
        return b == null || a.compareTo(b) <= 0 ? a : b;
    }

    static void log(String what, Stats s, long tookMillis) {
        LOG.info("{}: {} keys compared, {} to reconcile, {} values read, {} pages, {} ms", what, s.keys, s.unsettled,
                s.valuesRead, s.pages, tookMillis);
    }
}
