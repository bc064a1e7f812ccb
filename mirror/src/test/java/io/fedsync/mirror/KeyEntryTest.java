package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedsync.conflict.VersionVector;
import io.fedsync.conflict.WriteTime;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyEntryTest {

    private static final MetaRecord META = new MetaRecord(VersionVector.of(Map.of("host", 1L)), "host",
            WriteTime.received(1), "h", false, 0);
    private static final Key K = Key.of("/k");

    @Test
    void theNewestObservationWinsAndOlderOnesAreIgnored() {
        KeyEntry e = new KeyEntry(K, 0, 2);
        e.offer(0, Observation.event(10, bytes("v10"), false, 1), 10);
        e.offer(0, Observation.event(12, bytes("v12"), false, 2), 12);
        e.offer(0, Observation.event(11, bytes("v11"), false, 3), 11);
        long[][] revisions = e.absorb();
        assertThat(new String(e.slots[0].value, StandardCharsets.UTF_8)).isEqualTo("v12");
        assertThat(e.slots[0].receivedAt).isEqualTo(2);
        assertThat(revisions[0]).containsExactly(10, 12, 11);
        assertThat(revisions[1]).isEmpty();
    }

    @Test
    void aDataEventDoesNotDropTheMetadataOfAnEarlierRead() {
        KeyEntry e = new KeyEntry(K, 0, 1);
        e.offer(0, Observation.read(10, true, bytes("v10"), 10, META, 10), 0);
        e.offer(0, Observation.event(11, bytes("v11"), false, 5), 0);
        e.absorb();
        Slot s = e.slots[0];
        assertThat(new String(s.value, StandardCharsets.UTF_8)).isEqualTo("v11");
        assertThat(s.dataModRev).isEqualTo(11);
        assertThat(s.meta).isEqualTo(META);
        assertThat(s.metaModRev).isEqualTo(10);
        assertThat(s.known()).isTrue();
    }

    @Test
    void revisionsOfAFailedRunAreGivenBack() {
        KeyEntry e = new KeyEntry(K, 0, 1);
        e.offer(0, Observation.event(5, bytes("v"), false, 1), 5);
        long[][] first = e.absorb();
        e.unsettled(first);
        assertThat(e.absorb()[0]).containsExactly(5);
    }

    @Test
    void theMirrorsOwnWriteIsRememberedAsObservedAtItsRevision() {
        Slot s = new Slot();
        s.absorb(Observation.read(10, true, bytes("old"), 8, null, 0));
        s.wrote(15, bytes("new"), META);
        assertThat(s.dataObservedAt).isEqualTo(15);
        assertThat(s.dataModRev).isEqualTo(15);
        assertThat(s.metaModRev).isEqualTo(15);
        s.absorb(Observation.event(15, bytes("new"), false, 1));
        assertThat(s.dataModRev).as("its own echo changes nothing").isEqualTo(15);
        s.wrote(16, null, META);
        assertThat(s.dataPresent).isFalse();
        assertThat(s.dataModRev).isZero();
    }

    @Test
    void aListingWithoutValuesKeepsTheValueOfTheSameRevision() {
        Slot s = new Slot();
        s.absorb(Observation.event(7, bytes("v7"), false, 99));
        s.absorb(Observation.read(9, true, null, 7, META, 3));
        assertThat(s.value).as("same data revision: the cached value still holds").isEqualTo(bytes("v7"));
        assertThat(s.receivedAt).as("the watch's receipt time is kept").isEqualTo(99);
        s.absorb(Observation.read(12, true, null, 11, META, 3));
        assertThat(s.value).as("a newer data revision: the value is not known").isNull();
        assertThat(s.valueKnown()).isFalse();
        assertThat(s.receivedAt).isZero();
    }

    @Test
    void aWriteOfUnknownOutcomeMakesTheSlotUnknownUntilTheNextRead() {
        Slot s = new Slot();
        s.absorb(Observation.read(10, true, bytes("v"), 8, META, 8));
        assertThat(s.known()).isTrue();
        s.markStale();
        assertThat(s.known()).isFalse();
        s.absorb(Observation.event(11, bytes("w"), false, 1));
        assertThat(s.known()).as("an event has no metadata").isFalse();
        s.absorb(Observation.read(12, true, bytes("w"), 11, META, 11));
        assertThat(s.known()).isTrue();
    }

    @Test
    void settledEntriesKeepNoValue() {
        KeyEntry e = new KeyEntry(K, 0, 2);
        e.offer(0, Observation.read(10, true, bytes("v"), 9, META, 9), 0);
        e.offer(1, Observation.nothing(10), 0);
        e.absorb();
        e.dropValues();
        assertThat(e.slots[0].value).isNull();
        assertThat(e.slots[0].dataModRev).isEqualTo(9);
        assertThat(e.empty()).isFalse();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
