package io.fedsync.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.Resolution;
import io.fedsync.daemon.FakeMirrorService;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConflictJournalTest {

    @TempDir
    Path dir;

    private static ConflictRecord ended(int i) {
        return FakeMirrorService.open("e" + i, "/registry/x.io/k" + i, ConflictType.CONCURRENT_UPDATE, "host", "host2")
                .resolved(ConflictState.RESOLVED, new Resolution("host", "lww",
                        FakeMirrorService.T0.plusSeconds(i), "lww: host later"));
    }

    @Test
    void keepsEveryOpenRecordAndOnlyTheNewestEndedOnes() {
        try (ConflictJournal j = new ConflictJournal(dir, 10)) {
            j.save(FakeMirrorService.open("open-1", "/registry/x.io/open", ConflictType.CONCURRENT_UPDATE, "host",
                    "host2"));
            for (int i = 0; i < 100; i++) {
                j.save(ended(i));
            }
            assertThat(j.all()).filteredOn(ConflictRecord::isOpen).extracting(ConflictRecord::id)
                    .containsExactly("open-1");
            assertThat(j.all().size()).as("bounded: open + at most 1.5 x maxEnded").isLessThanOrEqualTo(16);
            assertThat(j.all()).extracting(ConflictRecord::id).contains("e99");
        }
        try (ConflictJournal again = new ConflictJournal(dir, 10)) {
            // Reopening compacts to exactly the newest ten ended records plus the open one.
            assertThat(again.all()).hasSize(11);
            assertThat(again.all()).extracting(ConflictRecord::id).contains("open-1", "e99", "e90")
                    .doesNotContain("e89");
            assertThat(again.path()).content().hasLineCount(11);
        }
    }
}
