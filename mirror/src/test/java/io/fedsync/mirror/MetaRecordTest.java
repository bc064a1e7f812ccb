package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.conflict.VersionVector;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetaRecordTest {

    private static final VersionVector VV = VersionVector.of(Map.of("host", 3L, "host2", 1L));

    @Test
    void roundTrips() {
        MetaRecord m = new MetaRecord(VV, "host", 117_673_213_571_432_448L, MetaRecord.hashOf(bytes("{}")), false, 42);
        assertThat(MetaRecord.decode(m.encode())).isEqualTo(m);
        MetaRecord tomb = new MetaRecord(VV, "host2", 1, "", true, 0);
        assertThat(MetaRecord.decode(tomb.encode())).isEqualTo(tomb);
    }

    @Test
    void writtenWithItsDataItDescribesItsOwnModRevision() {
        MetaRecord sameTxn = new MetaRecord(VV, "host", 1, "h", false, 0);
        assertThat(sameTxn.describes(true, 17, 17)).isTrue();
        assertThat(sameTxn.describes(true, 18, 17)).as("data changed after the Txn").isFalse();
    }

    @Test
    void aStampDescribesTheRevisionItNames() {
        MetaRecord stamp = new MetaRecord(VV, "host", 1, "h", false, 17);
        assertThat(stamp.describes(true, 17, 20)).isTrue();
        assertThat(stamp.describes(true, 21, 20)).isFalse();
        assertThat(stamp.describes(false, 0, 20)).as("deleted since").isFalse();
    }

    @Test
    void aTombstoneDescribesOnlyAnAbsentKey() {
        MetaRecord tomb = new MetaRecord(VV, "host", 1, "", true, 0);
        assertThat(tomb.describes(false, 0, 9)).isTrue();
        assertThat(tomb.describes(true, 12, 9)).as("re-created since").isFalse();
    }

    @Test
    void hashIsStableAndShort() {
        assertThat(MetaRecord.hashOf(bytes("{\"a\":1}"))).isEqualTo(MetaRecord.hashOf(bytes("{\"a\":1}")))
                .hasSize(16).isNotEqualTo(MetaRecord.hashOf(bytes("{\"a\":2}")));
        assertThat(MetaRecord.hashOf(null)).isEmpty();
    }

    @Test
    void unreadableMetadataIsAClearError() {
        assertThatThrownBy(() -> MetaRecord.decode(bytes("{not json"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> MetaRecord.decode(bytes("{\"o\":\"host\"}"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a fedsync metadata record");
        assertThatThrownBy(() -> MetaRecord.decode(bytes("[1]"))).isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
