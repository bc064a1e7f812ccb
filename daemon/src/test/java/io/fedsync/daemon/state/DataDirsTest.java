package io.fedsync.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Why a data dir cannot be used, said the way an operator fixes it. */
class DataDirsTest {

    @TempDir
    Path dir;

    @Test
    void aUsableDirOrOneThatCanBeCreatedHasNoProblem() {
        assertThat(DataDirs.problem(dir)).isEmpty();
        assertThat(DataDirs.problem(dir.resolve("a/b/c"))).isEmpty();
        assertThat(dir.resolve("a")).as("nothing is created").doesNotExist();
    }

    @Test
    void aKernelFileSystemIsNamedAsSuch() {
        assertThat(DataDirs.problem(Path.of("/proc/fedsync"))).hasValue("/proc/fedsync cannot be created: /proc is "
                + "on the kernel's proc file system, which cannot hold fedsync's files; use a directory on a disk, "
                + "e.g. /var/lib/fedsync");
        assertThat(DataDirs.problem(Path.of("/sys/fedsync/x"))).hasValueSatisfying(p -> assertThat(p)
                .startsWith("/sys/fedsync/x cannot be created: /sys is on the kernel's sysfs file system"));
    }

    @Test
    void aFileInThePathIsNamed() throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");

        assertThat(DataDirs.problem(file)).hasValue(file + " exists and is not a directory");
        assertThat(DataDirs.problem(file.resolve("sub/dir")))
                .hasValue(file.resolve("sub/dir") + " cannot be created: " + file + " is a file, not a directory");
    }

    @Test
    void theReasonOfAFailedCreateIsSaidNotJustThePath() {
        Path target = dir.resolve("data");
        assertThat(DataDirs.whyNotCreated(target, new FileSystemException(target.toString(), null,
                "Read-only file system"))).isEqualTo("cannot create " + target + ": read-only file system");
        assertThat(DataDirs.whyNotCreated(target, new AccessDeniedException(dir.toString())))
                .isEqualTo("cannot create " + target + ": permission denied (at " + dir + ")");
    }

    @Test
    void theStoreSaysWhyAtStart() {
        assertThatThrownBy(() -> FileStateStore.open(Path.of("/proc/fedsync")))
                .isInstanceOf(StateStoreException.class)
                .hasMessage("cannot use data dir /proc/fedsync (node.dataDir): /proc/fedsync cannot be created: /proc "
                        + "is on the kernel's proc file system, which cannot hold fedsync's files; use a directory on "
                        + "a disk, e.g. /var/lib/fedsync");
    }
}
