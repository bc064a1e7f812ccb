package io.fedsync.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.Resolution;
import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.raft.api.CursorKey;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStateStoreTest {

    private static final CursorKey HOST_IAM = new CursorKey("host", "/registry/iam.kubesphere.io/");
    private static final CursorKey HOST2_IAM = new CursorKey("host2", "/registry/iam.kubesphere.io/");

    @TempDir
    Path dir;

    private Path data() {
        return dir.resolve("data");
    }

    @Test
    void everythingSurvivesAReopen() {
        ConflictRecord open = FakeMirrorService.open("c1", "/registry/iam.kubesphere.io/users/a",
                ConflictType.CONCURRENT_UPDATE, "host", "host2");
        ConflictRecord other = FakeMirrorService.open("c2", "/registry/iam.kubesphere.io/users/b",
                ConflictType.UPDATE_VS_DELETE, "host", "host2");
        try (FileStateStore store = FileStateStore.open(data())) {
            assertThat(store.loadCursors()).isEmpty();
            assertThat(store.loadConflicts()).isEmpty();
            assertThat(store.nextTerm(0)).isEqualTo(1);
            assertThat(store.nextTerm(0)).isEqualTo(2);
            store.saveCursors(Map.of(HOST_IAM, 10L, HOST2_IAM, 20L));
            store.saveConflict(open);
            store.saveConflict(other);
            store.saveConflict(open.resolved(ConflictState.RESOLVED,
                    new Resolution("host", "operator", FakeMirrorService.T0)));
        }

        try (FileStateStore store = FileStateStore.open(data())) {
            assertThat(store.loadCursors()).isEqualTo(Map.of(HOST_IAM, 10L, HOST2_IAM, 20L));
            assertThat(store.loadConflicts()).extracting(ConflictRecord::id).containsExactly("c1", "c2");
            assertThat(store.loadConflicts().get(0).state()).isEqualTo(ConflictState.RESOLVED);
            assertThat(store.nextTerm(0)).as("terms never repeat across restarts").isEqualTo(3);
        }
        assertThat(data().resolve("conflicts.jsonl")).content().hasLineCount(2);
    }

    @Test
    void termIsOnDiskWhenNextTermReturns() throws Exception {
        try (FileStateStore store = FileStateStore.open(data())) {
            long term = store.nextTerm(0);
            assertThat(Files.readString(data().resolve("term")).strip()).isEqualTo(Long.toString(term));
        }
    }

    @Test
    void conflictIsOnDiskWhenSaveReturns() throws Exception {
        try (FileStateStore store = FileStateStore.open(data())) {
            store.saveConflict(FakeMirrorService.open("c1", "/k/a", ConflictType.FLIP_FLOP, "host", "host2"));
            assertThat(Files.readString(data().resolve("conflicts.jsonl"))).contains("\"id\":\"c1\"");
        }
    }

    @Test
    void cursorSavesAreCoalescedAndWrittenInTheBackground() throws Exception {
        Path file = data().resolve("cursors.json");
        try (FileStateStore store = FileStateStore.open(data(), Duration.ofMillis(100))) {
            for (long rev = 1; rev <= 1000; rev++) {
                store.saveCursors(Map.of(HOST_IAM, rev));
            }
            assertThat(store.loadCursors()).isEqualTo(Map.of(HOST_IAM, 1000L));
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!(Files.exists(file) && Files.readString(file).contains("\"revision\":1000"))) {
                assertThat(System.nanoTime()).as("cursor written within 5 s").isLessThan(deadline);
                Thread.sleep(10);
            }
        }
    }

    @Test
    void closeWritesPendingCursors() {
        try (FileStateStore store = FileStateStore.open(data(), Duration.ofHours(1))) {
            store.saveCursors(Map.of(HOST_IAM, 1L));
            store.saveCursors(Map.of(HOST_IAM, 2L));
        }
        try (FileStateStore store = FileStateStore.open(data())) {
            assertThat(store.loadCursors()).isEqualTo(Map.of(HOST_IAM, 2L));
        }
    }

    @Test
    void tempFilesLeftByAKilledWriteAreIgnored() throws Exception {
        try (FileStateStore store = FileStateStore.open(data())) {
            store.saveCursors(Map.of(HOST_IAM, 5L));
            store.nextTerm(0);
        }
        // kill -9 between writing the temp file and the rename: garbage next to the good files.
        Files.writeString(data().resolve("cursors.json.tmp"), "{\"version\":1,\"cursors\":[{\"clus");
        Files.writeString(data().resolve("term.tmp"), "");
        Files.writeString(data().resolve("conflicts.jsonl.tmp"), "not json");

        try (FileStateStore store = FileStateStore.open(data())) {
            assertThat(store.loadCursors()).isEqualTo(Map.of(HOST_IAM, 5L));
            assertThat(store.nextTerm(0)).isEqualTo(2);
            assertThat(store.loadConflicts()).isEmpty();
        }
        assertThat(data().resolve("cursors.json.tmp")).doesNotExist();
    }

    @Test
    void aTornLastConflictLineIsDroppedButKeepsEarlierRecords() throws Exception {
        try (FileStateStore store = FileStateStore.open(data())) {
            store.saveConflict(FakeMirrorService.open("c1", "/k/a", ConflictType.FLIP_FLOP, "host", "host2"));
        }
        // kill -9 in the middle of an append: a line without its end.
        Files.writeString(data().resolve("conflicts.jsonl"), "{\"id\":\"c2\",\"key\":\"/k/",
                StandardOpenOption.APPEND);

        try (FileStateStore store = FileStateStore.open(data())) {
            assertThat(store.loadConflicts()).extracting(ConflictRecord::id).containsExactly("c1");
            store.saveConflict(FakeMirrorService.open("c3", "/k/c", ConflictType.FLIP_FLOP, "host", "host2"));
        }
        try (FileStateStore store = FileStateStore.open(data())) {
            assertThat(store.loadConflicts()).extracting(ConflictRecord::id).containsExactly("c1", "c3");
        }
    }

    @Test
    void corruptFilesAreNamedWithoutAStackTrace() throws Exception {
        Files.createDirectories(data());
        Path cursors = Files.writeString(data().resolve("cursors.json"), "{\"version\":1,\"cursors\":[");
        assertThatThrownBy(() -> FileStateStore.open(data()))
                .isInstanceOf(StateStoreException.class)
                .hasMessageStartingWith("state file " + cursors + " is corrupt: ")
                .hasMessageContaining("delete it");
        Files.delete(cursors);

        Path term = Files.writeString(data().resolve("term"), "seven\n");
        assertThatThrownBy(() -> FileStateStore.open(data()))
                .hasMessageStartingWith("state file " + term + " is corrupt: expected one non-negative number");
        Files.delete(term);

        Path conflicts = Files.writeString(data().resolve("conflicts.jsonl"), "garbage\n{}\n");
        assertThatThrownBy(() -> FileStateStore.open(data()))
                .hasMessageStartingWith("state file " + conflicts + " is corrupt: line 1:");
        Files.delete(conflicts);

        // Each failed open released the lock again.
        FileStateStore.open(data()).close();
    }

    @Test
    void aSecondStoreOnTheSameDataDirIsRefused() {
        try (FileStateStore first = FileStateStore.open(data())) {
            assertThatThrownBy(() -> FileStateStore.open(data()))
                    .isInstanceOf(StateStoreException.class)
                    .hasMessageContaining("data dir " + data() + " is in use by another fedsyncd");
            first.nextTerm(0);
        }
        try (FileStateStore again = FileStateStore.open(data())) {
            assertThat(again.nextTerm(0)).isEqualTo(2);
        }
    }

    @Test
    void aLockHeldThroughTheOsIsRefused() throws Exception {
        Files.createDirectories(data());
        Path lockFile = data().resolve("fedsyncd.lock");
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock held = ch.lock()) {
            ch.write(ByteBuffer.wrap("4242\n".getBytes(StandardCharsets.US_ASCII)));
            assertThatThrownBy(() -> FileStateStore.open(data()))
                    .isInstanceOf(StateStoreException.class)
                    .hasMessageContaining("in use by another fedsyncd (pid 4242 holds " + lockFile + ")");
            assertThat(held.isValid()).isTrue();
        }
    }

    @Test
    void largeConflictLogsAreCompacted() throws Exception {
        try (FileStateStore store = FileStateStore.open(data())) {
            ConflictRecord r = FakeMirrorService.open("c1", "/k/a", ConflictType.FLIP_FLOP, "host", "host2");
            for (int i = 0; i < 1500; i++) {
                store.saveConflict(r.withSides(r.sides(), r.differingPaths(), FakeMirrorService.T0.plusSeconds(i)));
            }
            try (var lines = Files.lines(data().resolve("conflicts.jsonl"))) {
                assertThat(lines.count()).isLessThan(1001);
            }
            assertThat(store.loadConflicts()).hasSize(1);
            assertThat(store.loadConflicts().get(0).updatedAt()).isEqualTo(FakeMirrorService.T0.plusSeconds(1499));
        }
    }
}
