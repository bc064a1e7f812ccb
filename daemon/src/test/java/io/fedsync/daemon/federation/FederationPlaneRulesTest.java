package io.fedsync.daemon.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictSide;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.VersionVector;
import io.fedsync.conflict.WriteTime;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The join body's rules and the open-conflict index the federation reads, without clusters. */
class FederationPlaneRulesTest {

    private static FederationPlane.JoinRequest parse(String body) {
        return FederationPlane.JoinRequest.parse(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aJoinBodyIsReadWithItsDefaults() {
        FederationPlane.JoinRequest r = parse("{\"name\":\"member1\",\"kubeconfig\":\"/etc/fedsync/m1.kubeconfig\"}");
        assertThat(r.name()).isEqualTo("member1");
        assertThat(r.context()).isNull();
        assertThat(r.labels()).isEmpty();
        assertThat(r.dryRun()).isFalse();
        r = parse("{\"name\":\"m2\",\"kubeconfig\":\"/k\",\"context\":\"ctx\",\"labels\":{\"env\":\"prod\"},"
                + "\"dryRun\":true}");
        assertThat(r.labels()).containsEntry("env", "prod");
        assertThat(r.dryRun()).isTrue();
        assertThat(r.context()).isEqualTo("ctx");
    }

    @Test
    void aBadJoinBodyIsNamedNotGuessed() {
        assertThatThrownBy(() -> parse("")).hasMessageContaining("send {");
        assertThatThrownBy(() -> parse("not json")).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> parse("[1]")).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> parse("{\"kubeconfig\":\"/k\"}")).hasMessageContaining("'name' is missing");
        assertThatThrownBy(() -> parse("{\"name\":\"m\"}")).hasMessageContaining("'kubeconfig' is missing");
        assertThatThrownBy(() -> parse("{\"name\":\"m\",\"kubeconfig\":\"rel/k\"}")).hasMessageContaining("absolute");
        assertThatThrownBy(() -> parse("{\"name\":\"Not_A_Name\",\"kubeconfig\":\"/k\"}"))
                .hasMessageContaining("lowercase");
        assertThatThrownBy(() -> parse("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"token\":\"x\"}"))
                .hasMessageContaining("unknown field 'token'");
        assertThatThrownBy(() -> parse("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"labels\":{\"a\":1}}"))
                .hasMessageContaining("label 'a'");
        assertThatThrownBy(() -> parse("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"dryRun\":\"yes\"}"))
                .hasMessageContaining("dryRun");
    }

    private static ConflictRecord conflict(String id, String key, ConflictState state) {
        List<ConflictSide> sides = List.of(
                new ConflictSide("host", null, true, VersionVector.of(Map.of("host", 1L)), 3, WriteTime.UNKNOWN),
                new ConflictSide("host2", "{}".getBytes(StandardCharsets.UTF_8), false,
                        VersionVector.of(Map.of("host2", 1L)), 4, WriteTime.UNKNOWN));
        return new ConflictRecord(id, key, ConflictType.UPDATE_VS_DELETE, state, List.of("host", "host2"), sides,
                List.of(""), Instant.EPOCH, Instant.EPOCH, null);
    }

    @Test
    void openConflictsAreIndexedByKeyAndReadAgainOnlyWhenOld() {
        List<ConflictRecord> log = new ArrayList<>(List.of(conflict("c1", "/registry/a", ConflictState.OPEN)));
        AtomicInteger reads = new AtomicInteger();
        AtomicLong now = new AtomicLong();
        OpenConflicts view = new OpenConflicts(() -> {
            reads.incrementAndGet();
            return List.copyOf(log);
        }, now::get);
        assertThat(view.openConflict("/registry/a")).contains("c1");
        assertThat(view.openConflict("/registry/b")).isEmpty();
        assertThat(reads).hasValue(1);
        log.add(conflict("c2", "/registry/b", ConflictState.OPEN));
        now.addAndGet(OpenConflicts.MAX_AGE.toNanos() + 1);
        assertThat(view.openConflict("/registry/b")).contains("c2");
        assertThat(reads).hasValue(2);
    }
}
