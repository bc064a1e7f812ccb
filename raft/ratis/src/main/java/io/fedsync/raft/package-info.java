/**
 * Replicated state for a group of fedsyncd replicas (Apache Ratis): {@link io.fedsync.raft.RaftNode}
 * runs one replica and implements {@link io.fedsync.raft.api.MirrorStateStore} over the group;
 * {@link io.fedsync.raft.Leadership} is told when this replica may mirror. The state itself and its
 * commands are pure code in {@code io.fedsync.raft.state}.
 */
package io.fedsync.raft;
