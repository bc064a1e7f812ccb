package io.fedsync.daemon.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code term}: the last fencing term handed out, as a decimal number. It must never go back:
 * a term reused after a restart would let a deposed writer's fenced Txns succeed.
 */
final class TermFile {

    static final String FILE_NAME = "term";

    private final Path file;
    private long last;

    TermFile(Path dataDir) {
        this.file = dataDir.resolve(FILE_NAME);
        this.last = read();
    }

    Path path() {
        return file;
    }

    private long read() {
        if (!Files.exists(file)) {
            return 0;
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw StateFiles.cannotRead(file, e);
        }
        try {
            long n = Long.parseLong(text);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw StateFiles.corrupt(file, "expected one non-negative number, found '"
                    + (text.length() > 40 ? text.substring(0, 40) + "…" : text) + "'",
                    "write a number larger than any term this node used before (never a smaller one)");
        }
    }

    synchronized long current() {
        return last;
    }

    /** The next term, at least {@code atLeast}, on disk before it is returned. */
    synchronized long next(long atLeast) {
        long n = Math.max(last + 1, atLeast);
        try {
            AtomicFiles.write(file, (n + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw StateFiles.cannotWrite(file, e);
        }
        last = n;
        return n;
    }
}
