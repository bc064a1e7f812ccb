package io.fedsync.daemon.state;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Why a data dir cannot be used, in words an operator acts on: "read-only file system",
 * "permission denied", "is a file, not a directory", "is on the kernel's proc file system".
 * {@link #problem(Path)} predicts it without creating anything (for {@code --check}, which must
 * change nothing); {@link #whyNotCreated(Path, IOException)} explains a failed create at start.
 */
public final class DataDirs {

    /** Kernel file systems: mounted read-write, yet nobody can create a directory of files there. */
    private static final Set<String> KERNEL_FILE_SYSTEMS = Set.of("proc", "sysfs", "cgroup", "cgroup2", "debugfs",
            "tracefs", "securityfs", "pstore", "bpf", "configfs", "efivarfs", "fusectl", "binfmt_misc", "mqueue",
            "devpts", "autofs", "nsfs", "rpc_pipefs");

    private DataDirs() {
    }

    /** Why {@code dir} cannot serve as the data dir, or empty when it can (or can be created). */
    public static Optional<String> problem(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) {
                return Optional.of(abs + " exists and is not a directory");
            }
            return fileSystemProblem(abs, abs).or(() -> Files.isWritable(abs) ? Optional.empty()
                    : Optional.of(abs + " is not writable by user " + user() + " (permission denied)"));
        }
        // It will be created at start: look at what would hold it.
        Path ancestor = abs.getParent();
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor == null) {
            return Optional.of(abs + " does not exist and has no existing parent");
        }
        if (!Files.isDirectory(ancestor)) {
            return Optional.of(abs + " cannot be created: " + ancestor + " is a file, not a directory");
        }
        Path existing = ancestor;
        return fileSystemProblem(existing, abs).or(() -> Files.isWritable(existing) ? Optional.empty()
                : Optional.of(abs + " cannot be created: permission denied (" + existing
                + " is not writable by user " + user() + ")"));
    }

    /**
     * The reason {@code Files.createDirectories(dir)} failed with {@code e}; the JDK's own
     * message is often just the path.
     */
    public static String whyNotCreated(Path dir, IOException e) {
        Path abs = dir.toAbsolutePath().normalize();
        Optional<String> predicted = problem(abs);
        if (predicted.isPresent()) {
            return predicted.get();
        }
        String reason;
        if (e instanceof AccessDeniedException) {
            reason = "permission denied";
        } else if (e instanceof FileAlreadyExistsException) {
            reason = "a file of that name is in the way";
        } else if (e instanceof NoSuchFileException) {
            reason = "no such file or directory";
        } else if (e instanceof FileSystemException fse && fse.getReason() != null) {
            reason = fse.getReason().toLowerCase(Locale.ROOT);
        } else {
            reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        String where = e instanceof FileSystemException fse && fse.getFile() != null
                && !fse.getFile().equals(abs.toString()) ? " (at " + fse.getFile() + ")" : "";
        return "cannot create " + abs + ": " + reason + where;
    }

    private static Optional<String> fileSystemProblem(Path existing, Path dir) {
        FileStore store;
        try {
            store = Files.getFileStore(existing);
        } catch (IOException e) {
            return Optional.empty();
        }
        String verb = existing.equals(dir) ? dir + " is" : dir + " cannot be created: " + existing + " is";
        if (KERNEL_FILE_SYSTEMS.contains(store.type())) {
            return Optional.of(verb + " on the kernel's " + store.type() + " file system, which cannot hold "
                    + "fedsync's files; use a directory on a disk, e.g. /var/lib/fedsync");
        }
        if (store.isReadOnly()) {
            return Optional.of(verb + " on a read-only file system (" + store.name() + ")");
        }
        return Optional.empty();
    }

    private static String user() {
        return System.getProperty("user.name", "?");
    }
}
