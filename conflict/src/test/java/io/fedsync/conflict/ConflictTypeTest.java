package io.fedsync.conflict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ConflictTypeTest {

    @Test
    void wireNamesAreTheDocumentedOnes() {
        assertThat(ConflictType.CONCURRENT_UPDATE.wireName()).isEqualTo("concurrent-update");
        assertThat(ConflictType.UPDATE_VS_DELETE.wireName()).isEqualTo("update-vs-delete");
        assertThat(ConflictType.FLIP_FLOP.wireName()).isEqualTo("flip-flop");
    }

    @ParameterizedTest
    @EnumSource(ConflictType.class)
    void wireNameRoundTrips(ConflictType type) {
        assertThat(ConflictType.fromWireName(type.wireName())).isEqualTo(type);
        assertThat(ConflictType.fromWireName(type.wireName().toUpperCase())).isEqualTo(type);
    }

    @Test
    void unknownWireNameIsRejected() {
        assertThatThrownBy(() -> ConflictType.fromWireName("ping-pong")).isInstanceOf(IllegalArgumentException.class);
    }
}
