package io.fedsync.mirror;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watch of one prefix on one cluster: records each event in its key's entry and queues the
 * key, on the etcd client's thread, never blocking. Drops the echoes of the mirror's own writes
 * (their revision is already in the key's slot). An error, or the watch ending when the mirror
 * did not end it, marks the cluster down; it is loaded again when it answers.
 */
final class WatchFeed implements Watch.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(WatchFeed.class);

    private final MirrorEngine engine;
    private final ClusterLink link;
    private final int prefix;
    private final RevisionTracker tracker;
    /** Set before the mirror closes this watch itself. */
    volatile boolean closing;

    WatchFeed(MirrorEngine engine, ClusterLink link, int prefix) {
        this.engine = engine;
        this.link = link;
        this.prefix = prefix;
        this.tracker = engine.cursors().tracker(link.index, prefix);
    }

    @Override
    public void onNext(WatchResponse response) {
        if (response.isProgressNotify() || response.getEvents().isEmpty()) {
            tracker.progress(response.getHeader().getRevision());
            return;
        }
        long now = engine.clock().millis();
        KeyTable table = engine.table();
        for (WatchEvent ev : response.getEvents()) {
            KeyValue kv = ev.getKeyValue();
            Key key = Key.of(kv.getKey());
            long rev = kv.getModRevision();
            KeyEntry e = table.entry(key, prefix);
            if (e.slots[link.index].dataObservedAt >= rev) {
                // The mirror's own write (it recorded the revision when its Txn returned),
                // or something a later read already covered.
                engine.count("echoesDropped");
                continue;
            }
            boolean deleted = ev.getEventType() == WatchEvent.EventType.DELETE;
            tracker.seen(rev, now);
            e.offer(link.index, Observation.event(rev, kv.getValue().getBytes(), deleted, now), rev);
            table.offer(key);
        }
    }

    @Override
    public void onError(Throwable t) {
        if (!engine.running() || closing) {
            return;
        }
        if (t instanceof CompactedException || MirrorEngine.isCompacted(t)) {
            engine.count("compactionReconciles");
            LOG.warn("[{} {}] watch fell behind etcd's compaction; comparing current data and metadata instead",
                    link.name, engine.settings().prefixes().get(prefix));
        }
        engine.clusterFailed(link.index, EtcdErrors.describe(t));
    }

    @Override
    public void onCompleted() {
        // Closed by us, or after onError; anything else means events stopped coming.
        if (engine.running() && !closing) {
            engine.clusterFailed(link.index, "the watch of " + engine.settings().prefixes().get(prefix) + " ended");
        }
    }
}
