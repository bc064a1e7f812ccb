package io.fedsync.mirror;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fencing token of one writer, stored in every etcd's fence key: a term and the writer that
 * holds it. Terms only grow: a new writer takes a term above every fence it finds (so a node that
 * lost its disk still takes over), and every Txn it sends requires the fence to hold exactly its
 * token (so the writer it replaced, if it comes back, cannot write). The owner part makes tokens
 * unique: two writers that pick the same term race, and the one whose owner sorts last wins on
 * every etcd, so exactly one of them keeps writing.
 *
 * <p>Stored as {@code <term, 20 digits>/<owner>}: etcd compares values byte-wise, and the
 * zero-padded term makes that order the numeric one.
 *
 * @param term  monotonic for the whole life of the installation
 * @param owner the writer: node id and a per-start instance suffix
 */
public record FenceToken(long term, String owner) implements Comparable<FenceToken> {

    private static final Pattern FORMAT = Pattern.compile("(\\d{1,20})(?:/(.*))?");

    public FenceToken {
        Objects.requireNonNull(owner, "owner");
        if (term < 0) {
            throw new IllegalArgumentException("term must be >= 0, was " + term);
        }
    }

    /** {@code <term, 20 digits>/<owner>}: etcd's byte-wise compare then orders tokens by term. */
    public ByteSequence encode() {
        String digits = Long.toString(term);
        StringBuilder b = new StringBuilder(21 + owner.length());
        b.append("0".repeat(20 - digits.length())).append(digits).append('/').append(owner);
        return ByteSequence.from(b.toString(), StandardCharsets.UTF_8);
    }

    /** Reads a stored fence; a bare number (an older fedsync) is a token with no owner. */
    public static FenceToken decode(ByteSequence value) {
        String s = value.toString(StandardCharsets.UTF_8).trim();
        Matcher m = FORMAT.matcher(s);
        if (!m.matches()) {
            throw new IllegalStateException("fence key holds '" + (s.length() > 60 ? s.substring(0, 60) + "…" : s)
                    + "', not a fedsync fencing token");
        }
        return new FenceToken(Long.parseLong(m.group(1)), m.group(2) == null ? "" : m.group(2));
    }

    @Override
    public int compareTo(FenceToken o) {
        int c = Long.compare(term, o.term);
        return c != 0 ? c : owner.compareTo(o.owner);
    }

    public boolean isAbove(FenceToken o) {
        return compareTo(o) > 0;
    }

    @Override
    public String toString() {
        return "term " + term + (owner.isEmpty() ? "" : " (" + owner + ")");
    }
}
