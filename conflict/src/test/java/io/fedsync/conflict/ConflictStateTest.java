package io.fedsync.conflict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ConflictStateTest {

    @Test
    void wireNamesAreTheDocumentedOnes() {
        assertThat(ConflictState.OPEN.wireName()).isEqualTo("open");
        assertThat(ConflictState.RESOLVED.wireName()).isEqualTo("resolved");
        assertThat(ConflictState.CONVERGED.wireName()).isEqualTo("converged");
    }

    @ParameterizedTest
    @EnumSource(ConflictState.class)
    void wireNameRoundTrips(ConflictState state) {
        assertThat(ConflictState.fromWireName(state.wireName())).isEqualTo(state);
        assertThat(ConflictState.fromWireName(state.wireName().toUpperCase())).isEqualTo(state);
    }

    @Test
    void unknownWireNameIsRejected() {
        assertThatThrownBy(() -> ConflictState.fromWireName("closed")).isInstanceOf(IllegalArgumentException.class);
    }
}
