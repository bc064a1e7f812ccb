package io.fedsync.mirror;

import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One key's conditional write: its compares and its ops (data and metadata together). The result
 * is the revision the write landed at, or {@link CompareFailed} when a compare did not hold.
 */
final class WriteOp {

    final Key key;
    final List<Cmp> compares;
    final List<Op> ops;
    final int bytes;
    final CompletableFuture<Long> result = new CompletableFuture<>();
    /** Set when a batch this write was in failed: it is then sent in a Txn of its own. */
    volatile boolean alone;

    WriteOp(Key key, List<Cmp> compares, List<Op> ops, int bytes) {
        this.key = key;
        this.compares = compares;
        this.ops = ops;
        this.bytes = bytes;
    }

    /** A compare did not hold: the key (or the fence) changed since the mirror last read it. */
    static final class CompareFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CompareFailed(Key key) {
            super("compare failed for " + key, null, false, false);
        }
    }

    /** etcd refused the request as larger than its {@code --max-request-bytes}. */
    static boolean isTooLarge(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            if (m.contains("request is too large") || m.contains("message larger than max")) {
                return true;
            }
        }
        return false;
    }
}
