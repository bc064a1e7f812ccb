package io.fedsync.raft.api;

import java.util.Objects;

/** Identifies one mirror cursor: a source cluster and one mirrored prefix. */
public record CursorKey(String cluster, String prefix) {
    public CursorKey {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(prefix, "prefix");
    }
}
