package io.fedsync.mirror;

import io.fedsync.conflict.ConflictRecord;
import java.util.List;

/**
 * What every cluster holds for one key, read from etcd now: the data's mod_revision and value
 * hash, fedsync's metadata for it (vector, origin, write time, tombstone) and whether that
 * metadata describes the data as it is; with the conflicts recorded for the key.
 *
 * @param key       the key in its wire form (UTF-8, or {@code hex:...})
 * @param prefix    the mirrored prefix it falls under
 * @param clusters  one entry per configured cluster, in config order
 * @param conflicts the records on this key, oldest first
 */
public record KeyExplanation(String key, String prefix, List<ClusterView> clusters, List<ConflictRecord> conflicts) {

    public KeyExplanation {
        clusters = List.copyOf(clusters);
        conflicts = List.copyOf(conflicts);
    }

    /**
     * One cluster's view of the key.
     *
     * @param state          the cluster's state in the mirror (live, down, …)
     * @param error          why it was not read (not live, no answer), or null when it was
     * @param readAt         the etcd revision it was read at (0 when not read)
     * @param present        the data key exists
     * @param modRevision    its mod_revision (0 when absent)
     * @param valueHash      {@link MetaRecord#hashOf} of its value ("" when absent)
     * @param meta           fedsync's metadata record, or null when there is none
     * @param metaModRevision the metadata key's mod_revision (0 when absent)
     * @param described      the metadata describes the data as it is (false: changed since
     *                       fedsync last stamped it, e.g. a local write not yet propagated)
     */
    public record ClusterView(String cluster, String state, String error, long readAt, boolean present,
                              long modRevision, String valueHash, MetaRecord meta, long metaModRevision,
                              boolean described) {
    }
}
