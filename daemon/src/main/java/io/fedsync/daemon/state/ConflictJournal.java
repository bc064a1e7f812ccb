package io.fedsync.daemon.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fedsync.conflict.ConflictLog;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.raft.api.json.ConflictRecordCodec;
import io.fedsync.raft.api.json.Json;
import io.fedsync.raft.api.json.JsonFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code conflicts.jsonl}: one conflict record per line, a later line for the same id replacing
 * the earlier one. Appending one fsynced line per change keeps a save cheap however many records
 * there are; the log is rewritten (atomically) on open and whenever superseded lines dominate,
 * keeping every open record and the newest {@link ConflictLog#DEFAULT_MAX_ENDED} ended ones (as the
 * in-memory log does), so it does not grow with the history of conflicts.
 *
 * <p>A kill -9 during an append can leave a torn last line without its newline: that line was
 * never acknowledged, so it is dropped. A bad line anywhere else is corruption and is reported.
 */
final class ConflictJournal implements AutoCloseable {

    static final String FILE_NAME = "conflicts.jsonl";

    private static final Logger LOG = LoggerFactory.getLogger(ConflictJournal.class);
    private static final String ADVICE = "move it away to start with an empty conflict log "
            + "(conflicts still open in etcd are detected again)";
    private static final int MIN_LINES_BEFORE_COMPACTION = 1000;
    private final int maxEnded;

    private final Path file;
    /** By id, in order of first detection: the API lists conflicts oldest first. */
    private final Map<String, ConflictRecord> records = new LinkedHashMap<>();
    private FileChannel appender;
    private long lines;

    ConflictJournal(Path dataDir) {
        this(dataDir, ConflictLog.DEFAULT_MAX_ENDED);
    }

    ConflictJournal(Path dataDir, int maxEnded) {
        this.maxEnded = maxEnded;
        this.file = dataDir.resolve(FILE_NAME);
        load();
        compact();
    }

    Path path() {
        return file;
    }

    synchronized List<ConflictRecord> all() {
        return new ArrayList<>(records.values());
    }

    synchronized void save(ConflictRecord record) {
        byte[] line = line(record);
        long before = -1;
        try {
            before = appender.size();
            ByteBuffer buf = ByteBuffer.wrap(line);
            while (buf.hasRemaining()) {
                appender.write(buf);
            }
            appender.force(false);
        } catch (IOException e) {
            truncateTo(before);
            throw StateFiles.cannotWrite(file, e);
        }
        records.put(record.id(), record);
        lines++;
        if (lines > Math.max(MIN_LINES_BEFORE_COMPACTION, 2L * records.size())
                || records.size() > maxEnded + maxEnded / 2 + openCount()) {
            compact();
        }
    }

    /** Undoes a partial append so that the next line does not get glued to its remains. */
    private void truncateTo(long size) {
        if (size < 0) {
            return;
        }
        try {
            appender.truncate(size);
        } catch (IOException e) {
            LOG.warn("cannot undo a failed append to {}: {}", file, e.getMessage());
        }
    }

    private void load() {
        if (!Files.exists(file)) {
            return;
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw StateFiles.cannotRead(file, e);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        String[] all = text.split("\n", -1);
        // split leaves "" after a final newline; anything else there is an unterminated last line.
        for (int i = 0; i < all.length; i++) {
            String l = all[i];
            boolean lastAndUnterminated = i == all.length - 1;
            if (l.isBlank()) {
                continue;
            }
            try {
                ConflictRecord r = ConflictRecordCodec.fromJson(Json.MAPPER.readTree(l));
                records.put(r.id(), r);
            } catch (JsonProcessingException | JsonFormatException e) {
                if (lastAndUnterminated) {
                    LOG.warn("{}: dropping a torn last line (a write interrupted by a crash)", file);
                    continue;
                }
                String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
                throw StateFiles.corrupt(file, "line " + (i + 1) + ": " + why.lines().findFirst().orElse(why), ADVICE);
            }
        }
    }

    private long openCount() {
        return records.values().stream().filter(ConflictRecord::isOpen).count();
    }

    /** Drops the oldest ended records beyond {@code maxEnded}, then rewrites the file. */
    private synchronized void compact() {
        List<ConflictRecord> ended = records.values().stream().filter(r -> !r.isOpen())
                .sorted(java.util.Comparator.comparing(ConflictRecord::updatedAt).thenComparing(ConflictRecord::id))
                .toList();
        for (ConflictRecord r : ended.subList(0, Math.max(0, ended.size() - maxEnded))) {
            records.remove(r.id());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        records.values().forEach(r -> out.writeBytes(line(r)));
        try {
            closeAppender();
            AtomicFiles.write(file, out.toByteArray());
            appender = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw StateFiles.cannotWrite(file, e);
        }
        lines = records.size();
    }

    private static byte[] line(ConflictRecord r) {
        byte[] json = Json.bytes(ConflictRecordCodec.toJson(r));
        byte[] line = new byte[json.length + 1];
        System.arraycopy(json, 0, line, 0, json.length);
        line[json.length] = '\n';
        return line;
    }

    private void closeAppender() throws IOException {
        if (appender != null) {
            appender.close();
            appender = null;
        }
    }

    @Override
    public synchronized void close() {
        try {
            closeAppender();
        } catch (IOException e) {
            LOG.warn("closing {}: {}", file, e.getMessage());
        }
    }
}
