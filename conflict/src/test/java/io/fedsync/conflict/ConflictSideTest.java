package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.wt;
import static io.fedsync.conflict.Fixtures.bytes;
import static io.fedsync.conflict.Fixtures.vv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConflictSideTest {

    @Test
    void ofCopiesEveryFieldOfAVersion() {
        Version v = new Version("host2", vv("host", 1, "host2", 2), false, bytes("{\"a\":1}"), wt(77), 12, true);
        ConflictSide s = ConflictSide.of(v);
        assertThat(s.cluster()).isEqualTo("host2");
        assertThat(s.value()).isEqualTo(bytes("{\"a\":1}"));
        assertThat(s.tombstone()).isFalse();
        assertThat(s.vector()).isEqualTo(vv("host", 1, "host2", 2));
        assertThat(s.revision()).isEqualTo(12);
        assertThat(s.writeTime()).isEqualTo(wt(77));
    }

    @Test
    void ofATombstone() {
        ConflictSide s = ConflictSide.of(new Version("host", vv("host", 3), true, null, wt(1), 0, false));
        assertThat(s.tombstone()).isTrue();
        assertThat(s.value()).isNull();
    }

    @Test
    void equalsAndHashCodeCompareValueBytesByContent() {
        ConflictSide a = new ConflictSide("host", bytes("v"), false, vv("host", 1), 2, wt(3));
        ConflictSide b = new ConflictSide("host", bytes("v"), false, vv("host", 1), 2, wt(3));
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(new ConflictSide("host", bytes("w"), false, vv("host", 1), 2, wt(3)));
        assertThat(a).isNotEqualTo(new ConflictSide("host2", bytes("v"), false, vv("host", 1), 2, wt(3)));
        assertThat(a).isNotEqualTo(new ConflictSide("host", bytes("v"), false, vv("host", 2), 2, wt(3)));
        assertThat(a).isNotEqualTo(new ConflictSide("host", bytes("v"), false, vv("host", 1), 9, wt(3)));
        assertThat(a).isNotEqualTo(new ConflictSide("host", bytes("v"), false, vv("host", 1), 2, wt(9)));
        ConflictSide t1 = new ConflictSide("host", null, true, vv("host", 1), 2, wt(3));
        ConflictSide t2 = new ConflictSide("host", null, true, vv("host", 1), 2, wt(3));
        assertThat(t1).isEqualTo(t2).hasSameHashCodeAs(t2);
        assertThat(t1).isNotEqualTo(new ConflictSide("host", null, false, vv("host", 1), 2, wt(3)));
    }

    @Test
    void clusterAndVectorAreRequired() {
        assertThatThrownBy(() -> new ConflictSide(null, null, true, vv("a", 1), 0, WriteTime.UNKNOWN))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("cluster");
        assertThatThrownBy(() -> new ConflictSide("a", null, true, null, 0, WriteTime.UNKNOWN))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("vector");
    }
}
