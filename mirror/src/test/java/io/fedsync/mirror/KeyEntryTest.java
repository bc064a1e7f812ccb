package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedsync.conflict.VersionVector;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyEntryTest {

    private static final MetaRecord META = new MetaRecord(VersionVector.of(Map.of("host", 1L)), "host", 1, "h", false, 0);

    @Test
    void theNewestObservationWinsAndOlderOnesAreIgnored() {
        KeyEntry e = new KeyEntry("/k", "/", 2);
        e.offer(0, Observation.event(10, bytes("v10"), false), true);
        e.offer(0, Observation.event(12, bytes("v12"), false), true);
        e.offer(0, Observation.event(11, bytes("v11"), false), true);
        long[][] revisions = e.absorb();
        assertThat(new String(e.slots[0].value, StandardCharsets.UTF_8)).isEqualTo("v12");
        assertThat(revisions[0]).containsExactly(10, 12, 11);
        assertThat(revisions[1]).isEmpty();
    }

    @Test
    void aDataEventDoesNotDropTheMetadataOfAnEarlierRead() {
        KeyEntry e = new KeyEntry("/k", "/", 1);
        e.offer(0, new Observation(10, true, bytes("v10"), 10, true, META, 10), false);
        e.offer(0, Observation.event(11, bytes("v11"), false), false);
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
        KeyEntry e = new KeyEntry("/k", "/", 1);
        e.offer(0, Observation.event(5, bytes("v"), false), true);
        long[][] first = e.absorb();
        e.unsettled(first);
        assertThat(e.absorb()[0]).containsExactly(5);
    }

    @Test
    void theMirrorsOwnWriteIsRememberedAsObservedAtItsRevision() {
        Slot s = new Slot();
        s.absorb(new Observation(10, true, bytes("old"), 8, true, null, 0));
        s.wrote(15, bytes("new"), META);
        assertThat(s.dataObservedAt).isEqualTo(15);
        assertThat(s.dataModRev).isEqualTo(15);
        assertThat(s.metaModRev).isEqualTo(15);
        s.absorb(Observation.event(15, bytes("new"), false));
        assertThat(s.dataModRev).as("its own echo changes nothing").isEqualTo(15);
        s.wrote(16, null, META);
        assertThat(s.dataPresent).isFalse();
        assertThat(s.dataModRev).isZero();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
