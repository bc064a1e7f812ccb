package io.fedsync.daemon.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.raft.api.json.ConflictRecordCodec;
import io.fedsync.raft.api.json.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * One page of {@code GET /api/v1/conflicts}, kubectl-like: records in a stable order (detection
 * time, then id: neither ever changes for a record), at most {@code limit} of them (default
 * {@value #DEFAULT_LIMIT}, 1 to {@value #MAX_LIMIT}), and {@code continue}, an opaque token naming
 * the last record of the previous page. A page starts after that record, so a conflict detected
 * while a client pages is not shown twice and none is skipped; the token is valid only with the
 * filters it was issued for. The answer is
 * {@code {"items": [...], "metadata": {"total", "remainingItemCount", "continue"}}}, where
 * {@code continue} is absent on the last page.
 *
 * @param after the position the page starts after; null for the first page
 */
record ConflictPage(ConflictFilter filter, int limit, Position after) {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    private static final String VERSION = "c1";

    /** The sort order of records; a page starts after one of these. */
    static final Comparator<ConflictRecord> ORDER = Comparator.comparing(ConflictRecord::detectedAt)
            .thenComparing(ConflictRecord::id);

    /** Where a page starts: after the record detected at {@code detectedAt} with {@code id}. */
    record Position(Instant detectedAt, String id) {
        boolean before(ConflictRecord r) {
            int c = detectedAt.compareTo(r.detectedAt());
            return c < 0 || (c == 0 && id.compareTo(r.id()) < 0);
        }
    }

    /** @throws IllegalArgumentException (400) saying which parameter is wrong and why */
    static ConflictPage parse(Map<String, List<String>> query) {
        ConflictFilter filter = ConflictFilter.parse(query);
        String limitText = ConflictFilter.single(query, "limit");
        int limit = DEFAULT_LIMIT;
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException("query parameter 'limit' must be a whole number from 1 to "
                        + MAX_LIMIT + ", got '" + cut(limitText) + "'");
            }
        }
        String token = ConflictFilter.single(query, "continue");
        return new ConflictPage(filter, limit, token == null ? null : decode(token, filter));
    }

    /** The page of {@code records} (in any order) this query asks for, as the API answers it. */
    ObjectNode answer(List<ConflictRecord> records) {
        List<ConflictRecord> matching = new ArrayList<>();
        for (ConflictRecord r : records) {
            if (filter.test(r)) {
                matching.add(r);
            }
        }
        matching.sort(ORDER);
        int start = 0;
        if (after != null) {
            while (start < matching.size() && !after.before(matching.get(start))) {
                start++;
            }
        }
        int end = Math.min(matching.size(), start + limit);
        ObjectNode body = Json.object();
        ArrayNode items = body.putArray("items");
        for (ConflictRecord r : matching.subList(start, end)) {
            ObjectNode item = ConflictRecordCodec.toJson(r);
            ConflictKind kind = ConflictKind.of(r);
            item.put("resource", kind.resource());
            item.put("kind", kind.kind());
            items.add(item);
        }
        ObjectNode metadata = body.putObject("metadata");
        metadata.put("total", matching.size());
        metadata.put("remainingItemCount", matching.size() - end);
        if (end < matching.size()) {
            ConflictRecord last = matching.get(end - 1);
            metadata.put("continue", encode(new Position(last.detectedAt(), last.id()), filter));
        }
        return body;
    }

    static String encode(Position p, ConflictFilter filter) {
        String raw = String.join("\n", VERSION, fingerprint(filter), Long.toString(p.detectedAt().getEpochSecond()),
                Integer.toString(p.detectedAt().getNano()), p.id());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    private static Position decode(String token, ConflictFilter filter) {
        String bad = "query parameter 'continue' is not a token this API issued: pass metadata.continue of the"
                + " previous page as it is";
        String raw;
        try {
            raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(bad);
        }
        String[] parts = raw.split("\n", -1);
        if (parts.length != 5 || !parts[0].equals(VERSION) || parts[4].isEmpty()) {
            throw new IllegalArgumentException(bad);
        }
        if (!parts[1].equals(fingerprint(filter))) {
            throw new IllegalArgumentException("query parameter 'continue' was issued for other filters: page with the"
                    + " same state, type, key, cluster and kind as the first page");
        }
        try {
            return new Position(Instant.ofEpochSecond(Long.parseLong(parts[2]), Integer.parseInt(parts[3])), parts[4]);
        } catch (NumberFormatException | DateTimeException e) {
            throw new IllegalArgumentException(bad);
        }
    }

    private static String fingerprint(ConflictFilter filter) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(filter.canonical()
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }

    private static String cut(String s) {
        return s.length() <= 20 ? s : s.substring(0, 20) + "…";
    }
}
