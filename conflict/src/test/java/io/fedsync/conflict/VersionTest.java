package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.bytes;
import static io.fedsync.conflict.Fixtures.vv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VersionTest {

    @Test
    void tombstoneWithAValueIsRejected() {
        assertThatThrownBy(() -> new Version("host", vv("host", 1), true, bytes("x"), 0, 0, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tombstone");
    }

    @Test
    void liveVersionWithoutAValueIsRejected() {
        assertThatThrownBy(() -> new Version("host", vv("host", 1), false, null, 0, 0, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value");
    }

    @Test
    void clusterAndVectorAreRequired() {
        assertThatThrownBy(() -> new Version(null, vv("host", 1), true, null, 0, 0, false))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("cluster");
        assertThatThrownBy(() -> new Version("host", null, true, null, 0, 0, false))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("vector");
    }

    @Test
    void emptyValueIsALiveValue() {
        Version v = new Version("host", vv("host", 1), false, new byte[0], 0, 0, false);
        assertThat(v.tombstone()).isFalse();
        assertThat(v.sameContent(new Version("host2", vv("b", 1), false, new byte[0], 0, 0, false))).isTrue();
        assertThat(v.sameContent(new Version("host2", vv("b", 1), true, null, 0, 0, false))).isFalse();
    }

    @Test
    void sameContentComparesBytesOnly() {
        Version a = new Version("host", vv("host", 1), false, bytes("v"), 1, 2, false);
        Version b = new Version("host2", vv("host2", 9), false, bytes("v"), 5, 6, true);
        Version c = new Version("host2", vv("host", 1), false, bytes("w"), 1, 2, false);
        assertThat(a.sameContent(b)).isTrue();
        assertThat(b.sameContent(a)).isTrue();
        assertThat(a.sameContent(c)).isFalse();
    }

    @Test
    void tombstonesHaveTheSameContent() {
        Version a = new Version("host", vv("host", 1), true, null, 0, 0, false);
        Version b = new Version("host2", VersionVector.EMPTY, true, null, 0, 0, false);
        Version live = new Version("host2", vv("host", 1), false, bytes("v"), 0, 0, false);
        assertThat(a.sameContent(b)).isTrue();
        assertThat(a.sameContent(live)).isFalse();
        assertThat(live.sameContent(a)).isFalse();
    }

    @Test
    void equalsAndHashCodeCompareValueBytesByContent() {
        Version a = new Version("host", vv("host", 1), false, bytes("v"), 3, 4, true);
        Version b = new Version("host", vv("host", 1), false, bytes("v"), 3, 4, true);
        assertThat(a).isEqualTo(b);
        assertThat(a.hashCode()).isEqualTo(b.hashCode());
        assertThat(a).isNotEqualTo(new Version("host", vv("host", 1), false, bytes("w"), 3, 4, true));
        assertThat(a).isNotEqualTo(new Version("host2", vv("host", 1), false, bytes("v"), 3, 4, true));
        assertThat(a).isNotEqualTo(new Version("host", vv("host", 2), false, bytes("v"), 3, 4, true));
        assertThat(a).isNotEqualTo(new Version("host", vv("host", 1), false, bytes("v"), 9, 4, true));
        assertThat(a).isNotEqualTo(new Version("host", vv("host", 1), false, bytes("v"), 3, 9, true));
        assertThat(a).isNotEqualTo(new Version("host", vv("host", 1), false, bytes("v"), 3, 4, false));
        Version t1 = new Version("host", vv("host", 1), true, null, 0, 0, false);
        Version t2 = new Version("host", vv("host", 1), true, null, 0, 0, false);
        assertThat(t1).isEqualTo(t2).hasSameHashCodeAs(t2);
        assertThat(a).isNotEqualTo("host");
    }

    @Test
    void toStringNamesClusterVectorAndState() {
        assertThat(new Version("host", vv("host", 2), true, null, 0, 7, true).toString())
                .contains("host", "<deleted>", "{host=2}", "local", "rev 7");
        assertThat(new Version("host2", vv("host", 1), false, bytes("secret-ish"), 0, 3, false).toString())
                .contains("host2", "{host=1}", "rev 3").doesNotContain("local", "<deleted>", "secret-ish");
    }
}
