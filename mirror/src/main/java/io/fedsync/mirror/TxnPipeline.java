package io.fedsync.mirror;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one cluster's key writes as few etcd Txns as it can: writes of different keys that are
 * waiting at the same time go into one Txn (up to a key count and a byte budget), with a bounded
 * number of Txns in flight. Every Txn also requires the cluster's fence to hold exactly this
 * mirror's token. If a batch's compares fail, or etcd refuses the batch as too large, each write
 * is retried alone so one key does not fail its neighbours. Callers guarantee one write in
 * flight per key. Every Txn has a timeout; its outcome is then unknown (the caller re-reads).
 */
final class TxnPipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TxnPipeline.class);
    private static final int BYTE_BUDGET = 1_000_000;
    /** Txns in flight below which a batch is sent without waiting to fill it. */
    private static final int PARTIAL_BATCH_IN_FLIGHT = 1;

    private final String cluster;
    /** The cluster's current KV client (its link may replace its client while it is down). */
    private final Supplier<KV> kv;
    private final ByteSequence fenceKey;
    private final Supplier<FenceToken> token;
    private final int maxKeys;
    private final Semaphore inFlight;
    private final Duration timeout;
    private final LinkedBlockingDeque<WriteOp> queue = new LinkedBlockingDeque<>();
    private final Thread dispatcher;
    private final AtomicLong txns = new AtomicLong();
    private final AtomicInteger active = new AtomicInteger();
    private volatile boolean closed;
    private volatile Throwable died;

    TxnPipeline(String cluster, Supplier<KV> kv, ByteSequence fenceKey, Supplier<FenceToken> token, int maxKeys,
                int maxInFlight, Duration timeout) {
        this.cluster = cluster;
        this.kv = kv;
        this.fenceKey = fenceKey;
        this.token = token;
        this.maxKeys = maxKeys;
        this.inFlight = new Semaphore(maxInFlight);
        this.timeout = timeout;
        this.dispatcher = new Thread(this::run, "txn-" + cluster);
        this.dispatcher.setDaemon(true);
        this.dispatcher.start();
    }

    void submit(WriteOp op) {
        if (closed || died != null) {
            op.result.completeExceptionally(new IllegalStateException("write pipeline of " + cluster + " is "
                    + (closed ? "closed" : "dead: " + died)));
            return;
        }
        queue.add(op);
    }

    long txnCount() {
        return txns.get();
    }

    /** Why the dispatcher thread died, or null while it runs (or was closed). */
    String failure() {
        if (died != null) {
            return "write pipeline of " + cluster + " died: " + died;
        }
        if (!closed && !dispatcher.isAlive()) {
            return "write pipeline of " + cluster + " stopped";
        }
        return null;
    }

    private void run() {
        try {
            dispatch();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            died = e;
            LOG.error("[{}] write pipeline died", cluster, e);
        }
        WriteOp left;
        while ((left = queue.poll()) != null) {
            left.result.completeExceptionally(new IllegalStateException("write pipeline of " + cluster + " closed"));
        }
    }

    private void dispatch() throws InterruptedException {
        List<WriteOp> batch = new ArrayList<>();
        while (!closed) {
            WriteOp first = queue.poll(200, TimeUnit.MILLISECONDS);
            if (first == null) {
                continue;
            }
            inFlight.acquire();
            // Gather what queued up while we waited for a free slot: that is the batching.
            batch.add(first);
            int bytes = first.bytes;
            while (!first.alone && batch.size() < maxKeys) {
                WriteOp next = queue.peek();
                if (next == null) {
                    // A partial batch goes out at once while few Txns are in flight (low latency
                    // when idle); under load it waits for company or a slot, so the Txns stay
                    // large and the CPU per key small.
                    if (active.get() < PARTIAL_BATCH_IN_FLIGHT || closed) {
                        break;
                    }
                    next = queue.poll(1, TimeUnit.MILLISECONDS);
                    if (next == null) {
                        continue;
                    }
                    queue.addFirst(next);
                }
                if (next.alone || bytes + next.bytes > BYTE_BUDGET) {
                    break;
                }
                batch.add(queue.poll());
                bytes += next.bytes;
            }
            send(List.copyOf(batch), !first.alone);
            batch.clear();
        }
    }

    /** Sends a batch; the caller holds one in-flight permit, released when the Txn completes. */
    private void send(List<WriteOp> batch, boolean splitOnFailure) {
        List<Cmp> compares = new ArrayList<>();
        List<Op> ops = new ArrayList<>();
        compares.add(new Cmp(fenceKey, Cmp.Op.EQUAL, CmpTarget.value(token.get().encode())));
        for (WriteOp w : batch) {
            compares.addAll(w.compares);
            ops.addAll(w.ops);
        }
        txns.incrementAndGet();
        active.incrementAndGet();
        try {
            kv.get().txn().If(compares.toArray(Cmp[]::new)).Then(ops.toArray(Op[]::new)).commit()
                    .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((resp, err) -> {
                        active.decrementAndGet();
                        inFlight.release();
                        complete(batch, resp, err, splitOnFailure);
                    });
        } catch (RuntimeException e) {
            active.decrementAndGet();
            inFlight.release();
            complete(batch, null, e, splitOnFailure);
        }
    }

    private void complete(List<WriteOp> batch, TxnResponse resp, Throwable err, boolean splitOnFailure) {
        if (err != null) {
            if (batch.size() > 1 && splitOnFailure && WriteOp.isTooLarge(err)) {
                LOG.debug("[{}] batch of {} keys too large for etcd; retrying each key alone", cluster, batch.size());
                requeueAlone(batch);
                return;
            }
            batch.forEach(w -> w.result.completeExceptionally(err));
            return;
        }
        if (resp.isSucceeded()) {
            long revision = resp.getHeader().getRevision();
            batch.forEach(w -> w.result.complete(revision));
            return;
        }
        if (batch.size() == 1 || !splitOnFailure) {
            batch.forEach(w -> w.result.completeExceptionally(new WriteOp.CompareFailed(w.key)));
            return;
        }
        LOG.debug("[{}] batch of {} keys failed a compare; retrying each key alone", cluster, batch.size());
        requeueAlone(batch);
    }

    /** Back to the head of the queue, one Txn each. Never blocks: this runs on etcd's callback thread. */
    private void requeueAlone(List<WriteOp> batch) {
        for (int i = batch.size() - 1; i >= 0; i--) {
            WriteOp w = batch.get(i);
            w.alone = true;
            queue.addFirst(w);
        }
    }

    @Override
    public void close() {
        closed = true;
        dispatcher.interrupt();
    }
}
