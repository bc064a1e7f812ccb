package io.fedsync.daemon;

import io.fedsync.mirror.MirrorEngine;
import io.fedsync.mirror.MirrorService;
import io.fedsync.mirror.MirrorSettings;
import io.fedsync.raft.api.MirrorStateStore;

/** Builds the mirror the daemon runs; tests substitute a fake so no etcd is needed. */
@FunctionalInterface
public interface MirrorFactory {

    MirrorService create(MirrorSettings settings, MirrorStateStore store);

    /** The real etcd mirror. */
    static MirrorFactory engine() {
        return MirrorEngine::new;
    }
}
