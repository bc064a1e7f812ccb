package io.fedsync.daemon.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive OS lock on {@code <dataDir>/fedsyncd.lock}, held for the life of the store: two
 * fedsyncd sharing a data dir would both think they own the cursors and the fencing term. The OS
 * drops the lock when the process dies, so a crash never leaves a stale lock. The file holds the
 * owner's pid for the error message.
 */
final class DataDirLock implements AutoCloseable {

    static final String FILE_NAME = "fedsyncd.lock";

    /**
     * Locks held by this JVM. Checked before opening the file because on Linux closing any channel
     * to a file drops every lock this process holds on it, including one held by another store.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirLock acquire(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME).toAbsolutePath().normalize();
        if (!HELD.add(file)) {
            throw inUse(dataDir, file, "this process");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String owner = owner(file);
                channel.close();
                HELD.remove(file);
                throw inUse(dataDir, file, owner);
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(false);
            return new DataDirLock(file, channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            HELD.remove(file);
            throw new StateStoreException("cannot lock " + file + ": " + e.getMessage(), e);
        }
    }

    private static StateStoreException inUse(Path dataDir, Path file, String owner) {
        return new StateStoreException("data dir " + dataDir + " is in use by another fedsyncd (" + owner
                + " holds " + file + "); each fedsyncd needs its own node.dataDir");
    }

    private static String owner(Path file) {
        try {
            String pid = Files.readString(file, StandardCharsets.US_ASCII).strip();
            return pid.matches("\\d+") ? "pid " + pid : "another process";
        } catch (IOException e) {
            return "another process";
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing to add: the open or lock failure is what gets reported.
            }
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // The process is ending or the store closing: the OS drops the lock with the descriptor.
        } finally {
            HELD.remove(file);
        }
    }
}
