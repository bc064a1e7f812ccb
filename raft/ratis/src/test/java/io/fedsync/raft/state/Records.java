package io.fedsync.raft.state;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictSide;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.Resolution;
import io.fedsync.conflict.VersionVector;
import io.fedsync.conflict.WriteTime;
import io.fedsync.raft.api.MemberRegistration;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Conflict records and member registrations for tests. */
public final class Records {

    public static final Instant T0 = Instant.parse("2026-11-29T08:00:00.123456789Z");

    private Records() {
    }

    /** An open conflict on {@code key}, detected {@code second} seconds after {@link #T0}. */
    public static ConflictRecord open(String id, String key, long second) {
        Instant at = T0.plusSeconds(second);
        return new ConflictRecord(id, key, ConflictType.CONCURRENT_UPDATE, ConflictState.OPEN, List.of("host", "host2"),
                List.of(new ConflictSide("host", ("{\"v\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8), false,
                                VersionVector.of(Map.of("host", 2L)), 10 + second, WriteTime.managedFields(1_700_000_000_000L)),
                        new ConflictSide("host2", new byte[] {0, (byte) 0xff, 7}, false,
                                VersionVector.of(Map.of("host2", 1L)), 20 + second, WriteTime.UNKNOWN)),
                List.of("/spec"), at, at, null);
    }

    public static ConflictRecord resolved(ConflictRecord r, long second) {
        return r.resolved(ConflictState.RESOLVED, new Resolution("host", "operator", T0.plusSeconds(second), "picked host"));
    }

    /** A member registration; its kubeconfig path need not exist. */
    public static MemberRegistration member(String name, String kubeSystemUid, long joinedAt) {
        return new MemberRegistration(name, "/etc/fedsync/kubeconfigs/" + name + ".yaml", null, kubeSystemUid,
                new TreeMap<>(Map.of("region", "eu-" + name)), joinedAt);
    }
}
