package io.fedsync.itest.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.OptionsUtil;
import io.etcd.jetcd.options.PutOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/** Bulk reads and writes of one prefix for the benchmarks: fast preloads, paged reads, digests. */
final class PrefixData {

    /** Below etcd's default --max-txn-ops of 128. */
    static final int TXN_PUTS = 100;
    static final int PAGE = 1000;
    private static final long TIMEOUT_SECONDS = 30;

    private PrefixData() {
    }

    /** A value with its source revision. */
    record Entry(byte[] value, long modRevision) {
    }

    /** The count and a SHA-256 over every key and value (in key order) at one revision. */
    record Digest(long count, String sha256) {
        @Override
        public String toString() {
            return count + " keys, sha256 " + sha256.substring(0, 16);
        }
    }

    /** Puts every entry with Txns of {@value #TXN_PUTS} puts, {@code inFlight} Txns at a time. */
    static void preload(Client client, Iterator<Map.Entry<String, byte[]>> entries, int inFlight) {
        Semaphore slots = new Semaphore(inFlight);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<CompletableFuture<TxnResponse>> pending = new ArrayList<>();
        while (entries.hasNext() && failure.get() == null) {
            List<Op> ops = new ArrayList<>(TXN_PUTS);
            while (entries.hasNext() && ops.size() < TXN_PUTS) {
                Map.Entry<String, byte[]> e = entries.next();
                ops.add(Op.put(ByteSequence.from(e.getKey(), UTF_8), ByteSequence.from(e.getValue()), PutOption.DEFAULT));
            }
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during the preload", e);
            }
            CompletableFuture<TxnResponse> f = client.getKVClient().txn().Then(ops.toArray(Op[]::new)).commit();
            f.whenComplete((r, t) -> {
                if (t != null) {
                    failure.compareAndSet(null, t);
                }
                slots.release();
            });
            pending.add(f);
            pending.removeIf(CompletableFuture::isDone);
        }
        try {
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            failure.compareAndSet(null, e);
        }
        if (failure.get() != null) {
            throw new IllegalStateException("preload failed: " + failure.get(), failure.get());
        }
    }

    /** Every key under the prefix with value and mod_revision, page by page at one revision. */
    static SortedMap<String, Entry> read(Client client, String prefix) {
        SortedMap<String, Entry> out = new TreeMap<>();
        scan(client, prefix, kv -> out.put(kv.getKey().toString(UTF_8),
                new Entry(kv.getValue().getBytes(), kv.getModRevision())));
        return out;
    }

    /** How many pages (Range RPCs) a scan of {@code keys} keys takes. */
    static long pages(long keys) {
        return keys / PAGE + 1;
    }

    /** Count and hash of the prefix without holding the values. */
    static Digest digest(Client client, String prefix) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long[] count = {0};
        scan(client, prefix, kv -> {
            byte[] k = kv.getKey().getBytes();
            byte[] v = kv.getValue().getBytes();
            sha.update(k);
            sha.update((byte) 0);
            sha.update(Integer.toString(v.length).getBytes(UTF_8));
            sha.update((byte) 0);
            sha.update(v);
            count[0]++;
        });
        return new Digest(count[0], HexFormat.of().formatHex(sha.digest()));
    }

    private static void scan(Client client, String prefix, Consumer<KeyValue> each) {
        ByteSequence end = OptionsUtil.prefixEndOf(ByteSequence.from(prefix, UTF_8));
        ByteSequence from = ByteSequence.from(prefix, UTF_8);
        long revision = 0;
        while (true) {
            GetOption.Builder option = GetOption.builder().withRange(end).withLimit(PAGE)
                    .withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.ASCEND);
            if (revision > 0) {
                option.withRevision(revision);
            }
            GetResponse page;
            try {
                page = client.getKVClient().get(from, option.build()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted reading " + prefix, e);
            } catch (Exception e) {
                throw new IllegalStateException("reading " + prefix + " failed: " + e, e);
            }
            if (revision == 0) {
                revision = page.getHeader().getRevision();
            }
            page.getKvs().forEach(each);
            if (!page.isMore() || page.getKvs().isEmpty()) {
                return;
            }
            from = page.getKvs().get(page.getKvs().size() - 1).getKey().concat(ByteSequence.from(new byte[] {0}));
        }
    }
}
