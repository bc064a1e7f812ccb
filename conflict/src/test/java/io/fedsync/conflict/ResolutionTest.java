package io.fedsync.conflict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ResolutionTest {

    private static final Instant AT = Instant.parse("2026-11-23T17:20:00Z");

    @Test
    void byAndAtAreRequired() {
        assertThatThrownBy(() -> new Resolution("host", null, AT))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("by");
        assertThatThrownBy(() -> new Resolution("host", "operator", null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("at");
    }

    @Test
    void convergedResolutionHasNoWinner() {
        Resolution r = new Resolution(null, "converged", AT);
        assertThat(r.winner()).isNull();
        assertThat(r.by()).isEqualTo("converged");
        assertThat(r.at()).isEqualTo(AT);
    }

    @Test
    void valueSemantics() {
        assertThat(new Resolution("host", "lww", AT)).isEqualTo(new Resolution("host", "lww", AT))
                .hasSameHashCodeAs(new Resolution("host", "lww", AT))
                .isNotEqualTo(new Resolution("host2", "lww", AT));
    }
}
