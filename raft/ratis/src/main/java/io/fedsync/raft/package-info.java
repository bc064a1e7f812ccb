/**
 * Replicated state for a group of fedsyncd replicas (Apache Ratis). Not built yet: until it is,
 * fedsyncd runs as a single node and keeps its mirror cursors and conflict log in
 * {@code node.dataDir} through {@code io.fedsync.raft.api.MirrorStateStore}, the interface
 * this module will implement.
 */
package io.fedsync.raft;
