package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ManagedFieldsTimeTest {

    @Test
    void theNewestTimeOfTheRealStoredSamples() {
        // Stored by a real kube-apiserver: the edit on host is the later write.
        long created = ManagedFieldsTime.newestMillis(Fixtures.createdOnHost());
        long edited = ManagedFieldsTime.newestMillis(Fixtures.editedOnHost());
        assertThat(created).isPositive();
        assertThat(edited).isGreaterThanOrEqualTo(created);
    }

    @Test
    void picksTheNewestEntryWhateverItsPosition() {
        byte[] v = bytes("{\"metadata\":{\"name\":\"x\",\"managedFields\":["
                + "{\"manager\":\"a\",\"time\":\"2026-11-29T08:00:03Z\",\"fieldsV1\":{\"f:spec\":{}}},"
                + "{\"manager\":\"b\",\"time\":\"2026-11-29T07:00:00Z\"}]},\"spec\":{}}");
        assertThat(ManagedFieldsTime.newestMillis(v)).isEqualTo(Instant.parse("2026-11-29T08:00:03Z").toEpochMilli());
    }

    @Test
    void zeroWhenThereIsNoTime() {
        assertThat(ManagedFieldsTime.newestMillis(bytes("{\"metadata\":{\"name\":\"x\"}}"))).isZero();
        assertThat(ManagedFieldsTime.newestMillis(bytes("{\"metadata\":{\"managedFields\":[{\"time\":\"yesterday\"}]}}"))).isZero();
        assertThat(ManagedFieldsTime.newestMillis(bytes("not json"))).isZero();
        assertThat(ManagedFieldsTime.newestMillis(bytes("{\"metadata\":"))).isZero();
        assertThat(ManagedFieldsTime.newestMillis(bytes("k8s\0binary"))).isZero();
        assertThat(ManagedFieldsTime.newestMillis(new byte[0])).isZero();
        assertThat(ManagedFieldsTime.newestMillis(null)).isZero();
    }

    @Test
    void writeTimeFallsBackWhenTheValueHasNoTime() {
        WriteTime received = WriteTime.received(1234);
        assertThat(WriteTime.of(bytes("{\"a\":1}"), received)).isEqualTo(received);
        assertThat(WriteTime.of(null, received)).isEqualTo(received);
        assertThat(WriteTime.of(Fixtures.editedOnHost(), received).source()).isEqualTo(WriteTime.Source.MANAGED_FIELDS);
    }

    @Test
    void unknownSortsBeforeEveryKnownTime() {
        assertThat(WriteTime.UNKNOWN).isLessThan(WriteTime.received(1));
        assertThat(WriteTime.received(0)).isEqualTo(WriteTime.UNKNOWN);
        assertThat(WriteTime.UNKNOWN.toString()).isEqualTo("write time unknown");
        assertThat(WriteTime.managedFields(Instant.parse("2026-11-29T08:00:00Z").toEpochMilli()).toString())
                .isEqualTo("managedFields time 2026-11-29T08:00:00Z");
    }
}
