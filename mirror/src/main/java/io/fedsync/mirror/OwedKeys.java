package io.fedsync.mirror;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per cluster, the keys that changed elsewhere while it was not live: what it is owed. Filled
 * when a key settles among the others without it, emptied key by key when a reconcile includes
 * it. The status shows the count; when the cluster is back, they are queued again. The sweep
 * that compares the returning cluster with the others finds the same differences (and those of
 * a previous run), so this is a report and a shortcut, never the only record.
 */
final class OwedKeys {

    private final List<Set<Key>> owed = new ArrayList<>();

    OwedKeys(int clusters) {
        for (int i = 0; i < clusters; i++) {
            owed.add(ConcurrentHashMap.newKeySet());
        }
    }

    /** A run over {@code key} included the clusters in {@code liveBits}: the others are owed it. */
    void settled(Key key, long liveBits) {
        for (int c = 0; c < owed.size(); c++) {
            if ((liveBits & (1L << c)) != 0) {
                owed.get(c).remove(key);
            } else {
                owed.get(c).add(key);
            }
        }
    }

    void add(int cluster, Key key) {
        owed.get(cluster).add(key);
    }

    int count(int cluster) {
        return owed.get(cluster).size();
    }

    /** The keys owed to a cluster (a copy; they stay owed until a run includes it). */
    List<Key> of(int cluster) {
        return new ArrayList<>(owed.get(cluster));
    }
}
