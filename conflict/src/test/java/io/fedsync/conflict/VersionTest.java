package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.wt;
import static io.fedsync.conflict.Fixtures.bytes;
import static io.fedsync.conflict.Fixtures.vv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VersionTest {

    @Test
    void tombstoneWithAValueIsRejected() {
        assertThatThrownBy(() -> new Version("host", vv("host", 1), true, bytes("x"), WriteTime.UNKNOWN, 0, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tombstone");
    }

    @Test
    void liveVersionWithoutAValueIsRejected() {
        assertThatThrownBy(() -> new Version("host", vv("host", 1), false, null, WriteTime.UNKNOWN, 0, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value");
    }

    @Test
    void clusterAndVectorAreRequired() {
        assertThatThrownBy(() -> new Version(null, vv("host", 1), true, null, WriteTime.UNKNOWN, 0, false))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("cluster");
        assertThatThrownBy(() -> new Version("host", null, true, null, WriteTime.UNKNOWN, 0, false))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("vector");
    }

    @Test
    void emptyValueIsALiveValue() {
        Version v = new Version("host", vv("host", 1), false, new byte[0], WriteTime.UNKNOWN, 0, false);
        assertThat(v.tombstone()).isFalse();
        assertThat(v.sameContent(new Version("host2", vv("b", 1), false, new byte[0], WriteTime.UNKNOWN, 0, false))).isTrue();
        assertThat(v.sameContent(new Version("host2", vv("b", 1), true, null, WriteTime.UNKNOWN, 0, false))).isFalse();
    }

    @Test
    void sameContentComparesBytesOnly() {
        Version a = new Version("host", vv("host", 1), false, bytes("v"), wt(1), 2, false);
        Version b = new Version("host2", vv("host2", 9), false, bytes("v"), wt(5), 6, true);
        Version c = new Version("host2", vv("host", 1), false, bytes("w"), wt(1), 2, false);
        assertThat(a.sameContent(b)).isTrue();
        assertThat(b.sameContent(a)).isTrue();
        assertThat(a.sameContent(c)).isFalse();
    }

    @Test
    void tombstonesHaveTheSameContent() {
        Version a = new Version("host", vv("host", 1), true, null, WriteTime.UNKNOWN, 0, false);
        Version b = new Version("host2", VersionVector.EMPTY, true, null, WriteTime.UNKNOWN, 0, false);
        Version live = new Version("host2", vv("host", 1), false, bytes("v"), WriteTime.UNKNOWN, 0, false);
        assertThat(a.sameContent(b)).isTrue();
        assertThat(a.sameContent(live)).isFalse();
        assertThat(live.sameContent(a)).isFalse();
    }

    @Test
    void equalsAndHashCodeCompareValueBytesByContent() {
        Version a = new Version("host", vv("host", 1), false, bytes("v"), wt(3), 4, true);
        Version b = new Version("host", vv("host", 1), false, bytes("v"), wt(3), 4, true);
        assertThat(a).isEqualTo(b);
        assertThat(a.hashCode()).isEqualTo(b.hashCode());
        assertThat(a).isNotEqualTo(new Version("host", vv("host", 1), false, bytes("w"), wt(3), 4, true));
        assertThat(a).isNotEqualTo(new Version("host2", vv("host", 1), false, bytes("v"), wt(3), 4, true));
        assertThat(a).isNotEqualTo(new Version("host", vv("host", 2), false, bytes("v"), wt(3), 4, true));
        assertThat(a).isNotEqualTo(new Version("host", vv("host", 1), false, bytes("v"), wt(9), 4, true));
        assertThat(a).isNotEqualTo(new Version("host", vv("host", 1), false, bytes("v"), wt(3), 9, true));
        assertThat(a).isNotEqualTo(new Version("host", vv("host", 1), false, bytes("v"), wt(3), 4, false));
        Version t1 = new Version("host", vv("host", 1), true, null, WriteTime.UNKNOWN, 0, false);
        Version t2 = new Version("host", vv("host", 1), true, null, WriteTime.UNKNOWN, 0, false);
        assertThat(t1).isEqualTo(t2).hasSameHashCodeAs(t2);
        assertThat(a).isNotEqualTo("host");
    }

    @Test
    void toStringNamesClusterVectorAndState() {
        assertThat(new Version("host", vv("host", 2), true, null, WriteTime.UNKNOWN, 7, true).toString())
                .contains("host", "<deleted>", "{host=2}", "local", "rev 7");
        assertThat(new Version("host2", vv("host", 1), false, bytes("secret-ish"), WriteTime.UNKNOWN, 3, false).toString())
                .contains("host2", "{host=1}", "rev 3").doesNotContain("local", "<deleted>", "secret-ish");
    }
}
