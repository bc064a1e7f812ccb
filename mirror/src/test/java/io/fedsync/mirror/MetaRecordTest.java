package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.conflict.VersionVector;
import io.fedsync.conflict.WriteTime;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetaRecordTest {

    private static final VersionVector VV = VersionVector.of(Map.of("host", 3L, "host2", 1L));
    private static final WriteTime T = WriteTime.managedFields(1_764_403_203_000L);

    @Test
    void roundTrips() {
        MetaRecord m = new MetaRecord(VV, "host", T, MetaRecord.hashOf(bytes("{}")), false, 42);
        assertThat(MetaRecord.decode(m.encode())).isEqualTo(m);
        MetaRecord tomb = new MetaRecord(VV, "host2", WriteTime.received(7), "", true, 0);
        assertThat(MetaRecord.decode(tomb.encode())).isEqualTo(tomb);
        MetaRecord unknown = new MetaRecord(VV, "host2", WriteTime.UNKNOWN, "", true, 0);
        assertThat(MetaRecord.decode(unknown.encode())).isEqualTo(unknown);
    }

    @Test
    void readsTheRecordsOfTheEarlierFormatWithAHybridClockTime() {
        long hlc = 1_764_403_203_123L << 16 | 5;
        MetaRecord m = MetaRecord.decode(bytes("{\"vv\":{\"host\":3,\"host2\":1},\"o\":\"host\",\"hlc\":" + hlc
                + ",\"h\":\"abc\",\"t\":false,\"r\":42}"));
        assertThat(m.vector()).isEqualTo(VV);
        assertThat(m.writeTime()).isEqualTo(WriteTime.received(1_764_403_203_123L));
        assertThat(m.describes()).isEqualTo(42);
    }

    @Test
    void writtenWithItsDataItDescribesItsOwnModRevision() {
        MetaRecord sameTxn = new MetaRecord(VV, "host", T, "h", false, 0);
        assertThat(sameTxn.describes(true, 17, 17)).isTrue();
        assertThat(sameTxn.describes(true, 18, 17)).as("data changed after the Txn").isFalse();
        assertThat(sameTxn.describedRevision(17)).isEqualTo(17);
    }

    @Test
    void aStampDescribesTheRevisionItNames() {
        MetaRecord stamp = new MetaRecord(VV, "host", T, "h", false, 17);
        assertThat(stamp.describes(true, 17, 20)).isTrue();
        assertThat(stamp.describes(true, 21, 20)).isFalse();
        assertThat(stamp.describes(false, 0, 20)).as("deleted since").isFalse();
        assertThat(stamp.describing(21).describes(true, 21, 20)).isTrue();
    }

    @Test
    void aTombstoneDescribesOnlyAnAbsentKey() {
        MetaRecord tomb = new MetaRecord(VV, "host", T, "", true, 0);
        assertThat(tomb.describes(false, 0, 9)).isTrue();
        assertThat(tomb.describes(true, 12, 9)).as("re-created since").isFalse();
    }

    @Test
    void sameVersionComparesVectorContentAndTombstoneButNotWhatItDescribes() {
        MetaRecord a = new MetaRecord(VV, "host", T, "h", false, 17);
        assertThat(a.sameVersion(new MetaRecord(VV, "host2", WriteTime.UNKNOWN, "h", false, 0))).isTrue();
        assertThat(a.sameVersion(new MetaRecord(VV, "host", T, "other", false, 17))).isFalse();
        assertThat(a.sameVersion(new MetaRecord(VV.increment("host"), "host", T, "h", false, 17))).isFalse();
        assertThat(a.sameVersion(new MetaRecord(VV, "host", T, "h", true, 17))).isFalse();
        assertThat(a.sameVersion(null)).isFalse();
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
        assertThatThrownBy(() -> MetaRecord.decode(bytes("{\"vv\":{\"host\":-1}}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a fedsync metadata record");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
