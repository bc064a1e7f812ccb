package io.fedsync.mirror;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every key the mirror knows, in any cluster (data or metadata), and the work queue over them.
 *
 * <p>Keys are added by watches and sweeps and removed only when no cluster holds anything for
 * them (after tombstone collection). So once a cluster has been swept completely at revision
 * {@code L}, a key the table does not hold was absent from that cluster at {@code L}, with no
 * metadata: a new entry starts with that knowledge for every cluster swept, and needs no read
 * there. A cluster that goes down loses it ({@link #forget}), as keys may appear on it unseen.
 */
final class KeyTable {

    private final ConcurrentHashMap<Key, KeyEntry> entries = new ConcurrentHashMap<>();
    private final KeyQueue queue = new KeyQueue();
    private final int clusters;
    /** [cluster][prefix]: revision of the last complete sweep of that cluster, 0 when none is valid. */
    private final long[][] sweptAt;

    KeyTable(int clusters, int prefixes) {
        this.clusters = clusters;
        this.sweptAt = new long[clusters][prefixes];
    }

    KeyQueue queue() {
        return queue;
    }

    KeyEntry get(Key key) {
        return entries.get(key);
    }

    /** The entry of a key, created if new (knowing it absent from every completely swept cluster). */
    KeyEntry entry(Key key, int prefix) {
        KeyEntry e = entries.get(key);
        if (e != null) {
            return e;
        }
        return entries.computeIfAbsent(key, k -> {
            KeyEntry created = new KeyEntry(k, prefix, clusters);
            synchronized (sweptAt) {
                for (int c = 0; c < clusters; c++) {
                    long at = sweptAt[c][prefix];
                    if (at > 0) {
                        created.slots[c].absorb(Observation.nothing(at));
                    }
                }
            }
            return created;
        });
    }

    /** Cluster {@code c} was listed completely at {@code revision} for this prefix. */
    void swept(int c, int prefix, long revision) {
        synchronized (sweptAt) {
            sweptAt[c][prefix] = revision;
        }
    }

    /** Cluster {@code c} went down: keys may appear there unseen. */
    void forget(int c) {
        synchronized (sweptAt) {
            java.util.Arrays.fill(sweptAt[c], 0);
        }
    }

    void offer(Key key) {
        queue.offer(key);
    }

    /** Removes a key nobody holds; the caller owns it. */
    void remove(KeyEntry e) {
        entries.remove(e.key, e);
    }

    Collection<KeyEntry> all() {
        return entries.values();
    }

    int size() {
        return entries.size();
    }
}
