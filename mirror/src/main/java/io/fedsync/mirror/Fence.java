package io.fedsync.mirror;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;

/**
 * The fencing token as stored in each etcd: a zero-padded decimal, so etcd's byte-wise value
 * compare orders terms numerically. Every mirror Txn requires the fence to equal its own term.
 */
final class Fence {

    private Fence() {
    }

    static ByteSequence encode(long term) {
        return ByteSequence.from(String.format("%020d", term), StandardCharsets.UTF_8);
    }

    static long decode(ByteSequence value) {
        String s = value.toString(StandardCharsets.UTF_8).trim();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("fence key holds '" + s + "', not a term");
        }
    }
}
