package io.fedsync.mirror;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Keys the mirror refuses to copy, by key, until they change into something it can copy. */
final class Problems {

    private static final Logger LOG = LoggerFactory.getLogger(Problems.class);

    private final ConcurrentHashMap<Key, MirrorStatus.Problem> byKey = new ConcurrentHashMap<>();
    private final Clock clock;

    Problems(Clock clock) {
        this.clock = clock;
    }

    void report(String cluster, Key key, String reason) {
        MirrorStatus.Problem previous = byKey.get(key);
        if (previous != null && previous.cluster().equals(cluster) && previous.reason().equals(reason)) {
            return;
        }
        byKey.put(key, new MirrorStatus.Problem(cluster, key.wire(), reason, clock.instant()));
        LOG.warn("[{} {}] {}", cluster, key, reason);
    }

    void clear(Key key) {
        if (byKey.remove(key) != null) {
            LOG.info("[{}] can be mirrored again", key);
        }
    }

    List<MirrorStatus.Problem> list() {
        List<MirrorStatus.Problem> out = new ArrayList<>(byKey.values());
        out.sort(Comparator.comparing(MirrorStatus.Problem::key));
        return out;
    }
}
