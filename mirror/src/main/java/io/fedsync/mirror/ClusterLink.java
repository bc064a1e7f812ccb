package io.fedsync.mirror;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cluster's etcd, as the mirror uses it: probes, the fence, reads and paged listings at a
 * revision, watches and the write pipeline. Every call has a timeout.
 */
final class ClusterLink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterLink.class);
    /** Keys per page of a listing: bounded memory whatever the prefix holds. */
    static final int PAGE = 1000;
    /** Gets per read Txn (etcd allows 128 ops per Txn by default). */
    private static final int GETS_PER_TXN = 100;

    final String name;
    final int index;
    final ClusterEndpoint endpoint;
    /**
     * How old a down cluster's client may get before {@link #reconnectIfStale} replaces it. gRPC
     * spaces a channel's reconnects exponentially, up to 2 minutes apart: after a 90 s outage an
     * old channel saw etcd back 27 s late. A new channel connects at its first call, then after
     * 1, 1.6 and 2.6 s, so within this age it is never more than ~2 s late.
     */
    static final Duration RECONNECT_EVERY = Duration.ofSeconds(5);

    /** Replaced by {@link #reconnectIfStale} while the cluster is down. */
    private volatile Client client;
    private volatile long connectedAt;
    private final KeySpace keys;
    private final Duration timeout;
    final TxnPipeline pipeline;

    ClusterLink(int index, ClusterEndpoint endpoint, KeySpace keys, MirrorSettings settings,
                java.util.function.Supplier<FenceToken> token) {
        this.name = endpoint.name();
        this.index = index;
        this.endpoint = endpoint;
        this.keys = keys;
        this.timeout = settings.requestTimeout();
        this.client = connect(endpoint);
        this.connectedAt = System.nanoTime();
        this.pipeline = new TxnPipeline(name, () -> client.getKVClient(), keys.fenceKey(), token,
                settings.batchKeys(), settings.maxInFlightTxns(), timeout);
    }

    static Client connect(ClusterEndpoint e) {
        ClientBuilder b = Client.builder().endpoints(e.endpoints().toArray(String[]::new))
                .connectTimeout(Duration.ofSeconds(3))
                .retryMaxDuration(Duration.ofSeconds(5))
                // Values up to etcd's request limit come back in ranges and watch responses.
                .maxInboundMessageSize(64 * 1024 * 1024);
        if (e.tls()) {
            try {
                b.sslContext(EtcdTls.sslContext(e));
            } catch (SSLException | IllegalArgumentException ex) {
                throw new IllegalArgumentException("cluster " + e.name() + ": cannot use its TLS files ("
                        + e.caFile() + (e.certFile() != null ? ", " + e.certFile() + ", " + e.keyFile() : "")
                        + "): " + ex.getMessage(), ex);
            }
        }
        return b.build();
    }

    /**
     * For a cluster that is down: replaces the etcd client if the current one is older than
     * {@link #RECONNECT_EVERY}, so that etcd coming back is seen within seconds however long it
     * was away. The old client is closed, failing whatever was still in flight on it; nothing else
     * should be using a down cluster's link. Returns whether it replaced it.
     */
    boolean reconnectIfStale() {
        long now = System.nanoTime();
        if (now - connectedAt < RECONNECT_EVERY.toNanos()) {
            return false;
        }
        Client fresh;
        try {
            fresh = connect(endpoint);
        } catch (IllegalArgumentException e) {
            // Its TLS files became unreadable: keep the old client; the probe's error says why.
            LOG.debug("[{}] not reconnecting: {}", name, e.getMessage());
            return false;
        }
        Client old = client;
        client = fresh;
        connectedAt = now;
        old.close();
        return true;
    }

    /** The current revision and fence, or an exception if the cluster does not answer. */
    Probe probe() throws Exception {
        GetResponse r = await(client.getKVClient().get(keys.fenceKey()));
        return new Probe(r.getHeader().getRevision(), fenceOf(r.getKvs().isEmpty() ? null : r.getKvs().get(0)));
    }

    /**
     * The same as {@link #probe()}, as a read-only Txn with a compare: a standby uses it so that
     * the Txn path a takeover starts with is loaded and compiled before it is needed.
     */
    Probe probeByTxn() throws Exception {
        ByteSequence key = keys.fenceKey();
        TxnResponse r = await(client.getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.GREATER, CmpTarget.createRevision(-1)))
                .Then(Op.get(key, GetOption.DEFAULT))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit());
        GetResponse g = r.getGetResponses().get(0);
        return new Probe(r.getHeader().getRevision(), fenceOf(g.getKvs().isEmpty() ? null : g.getKvs().get(0)));
    }

    /** @param fence the stored fencing token, null when there is none yet */
    record Probe(long revision, FenceToken fence) {
    }

    private static FenceToken fenceOf(KeyValue kv) {
        return kv == null ? null : FenceToken.decode(kv.getValue());
    }

    /**
     * Raises the fence to {@code mine} unless it is already higher (compare-and-swap: etcd compares
     * values byte-wise, which orders tokens). Returns the token now stored: if it is not
     * {@code mine}, another writer holds this cluster.
     */
    FenceToken raiseFence(FenceToken mine) throws Exception {
        ByteSequence key = keys.fenceKey();
        ByteSequence encoded = mine.encode();
        // etcd compares have no OR: "absent" and "lower" are two conditional puts.
        TxnResponse created = await(client.getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(key, encoded, PutOption.DEFAULT))
                .commit());
        if (created.isSucceeded()) {
            return mine;
        }
        TxnResponse r = await(client.getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.LESS, CmpTarget.value(encoded)))
                .Then(Op.put(key, encoded, PutOption.DEFAULT))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit());
        if (r.isSucceeded()) {
            return mine;
        }
        GetResponse g = r.getGetResponses().get(0);
        return g.getKvs().isEmpty() ? null : fenceOf(g.getKvs().get(0));
    }

    /**
     * Pages through every key of a range at one revision, in etcd's order, {@link #PAGE} keys at a
     * time, with or without values. Holds one page in memory.
     */
    final class Listing {
        private final ByteSequence end;
        private final long revision;
        private final boolean keysOnly;
        private ByteSequence from;
        private final java.util.function.Function<ByteSequence, Key> keyOf;
        private final ArrayDeque<KeyValue> page = new ArrayDeque<>();
        private boolean more = true;
        private Key headKey;
        long pages;

        Listing(ByteSequence prefix, long revision, boolean keysOnly, java.util.function.Function<ByteSequence, Key> keyOf) {
            this.from = prefix;
            this.end = KeySpace.rangeEnd(prefix);
            this.revision = revision;
            this.keysOnly = keysOnly;
            this.keyOf = keyOf;
        }

        /** The (data) key of the next key-value, or null at the end. */
        Key peekKey() throws Exception {
            if (headKey == null) {
                KeyValue kv = peek();
                headKey = kv == null ? null : keyOf.apply(kv.getKey());
            }
            return headKey;
        }

        /** The next key-value, or null at the end. */
        KeyValue peek() throws Exception {
            if (page.isEmpty() && more) {
                fill();
            }
            return page.peekFirst();
        }

        KeyValue next() throws Exception {
            KeyValue kv = peek();
            if (kv != null) {
                page.pollFirst();
                headKey = null;
            }
            return kv;
        }

        private void fill() throws Exception {
            GetResponse r = await(client.getKVClient().get(from, GetOption.builder().withRange(end)
                    .withRevision(revision).withLimit(PAGE).withKeysOnly(keysOnly).build()));
            pages++;
            page.addAll(r.getKvs());
            more = r.isMore() && !r.getKvs().isEmpty();
            if (!r.getKvs().isEmpty()) {
                from = Key.of(r.getKvs().get(r.getKvs().size() - 1).getKey()).successor();
            }
        }
    }

    Listing listData(int prefix, long revision, boolean keysOnly) {
        return new Listing(keys.prefix(prefix), revision, keysOnly, Key::of);
    }

    /** Lists a prefix's metadata; {@link Listing#peekKey()} gives the data key each one describes. */
    Listing listMeta(int prefix, long revision) {
        return new Listing(keys.metaPrefix(prefix), revision, false, keys::dataKeyOf);
    }

    CompletableFuture<GetResponse> rawGet(ByteSequence key, GetOption option) {
        return client.getKVClient().get(key, option);
    }

    /** The values of some keys at {@code revision} (absent keys are left out), in read Txns of 100. */
    Map<Key, KeyValue> readValues(List<Key> wanted, long revision) throws Exception {
        Map<Key, KeyValue> out = new HashMap<>();
        GetOption at = GetOption.builder().withRevision(revision).build();
        for (int i = 0; i < wanted.size(); i += GETS_PER_TXN) {
            List<Op> gets = new ArrayList<>();
            for (Key k : wanted.subList(i, Math.min(wanted.size(), i + GETS_PER_TXN))) {
                gets.add(Op.get(k.sequence(), at));
            }
            TxnResponse r = await(client.getKVClient().txn().Then(gets.toArray(Op[]::new)).commit());
            for (GetResponse g : r.getGetResponses()) {
                for (KeyValue kv : g.getKvs()) {
                    out.put(Key.of(kv.getKey()), kv);
                }
            }
        }
        return out;
    }

    /** Whether etcd has compacted away {@code revision} (a cursor is that old). */
    boolean compactedPast(int prefix, long revision) throws Exception {
        try {
            await(client.getKVClient().get(keys.prefix(prefix), GetOption.builder()
                    .withRange(KeySpace.rangeEnd(keys.prefix(prefix))).withRevision(revision).withKeysOnly(true)
                    .withLimit(1).build()));
            return false;
        } catch (Exception e) {
            if (MirrorEngine.isCompacted(e)) {
                return true;
            }
            throw e;
        }
    }

    /** The data and metadata of one key, read atomically, plus the fence. */
    Read read(Key key) throws Exception {
        TxnResponse r = await(client.getKVClient().txn().Then(
                Op.get(key.sequence(), GetOption.DEFAULT), Op.get(keys.metaKey(key), GetOption.DEFAULT),
                Op.get(keys.fenceKey(), GetOption.DEFAULT)).commit());
        long revision = r.getHeader().getRevision();
        KeyValue d = first(r.getGetResponses().get(0));
        KeyValue m = first(r.getGetResponses().get(1));
        KeyValue f = first(r.getGetResponses().get(2));
        return new Read(observation(revision, d, m, true), fenceOf(f));
    }

    record Read(Observation observation, FenceToken fence) {
    }

    /**
     * An observation of data and metadata read at {@code revision} ({@code withValue}: data has
     * its value). Unreadable metadata counts as none, but keeps its mod_revision so that the next
     * stamp replaces it.
     */
    Observation observation(long revision, KeyValue data, KeyValue meta, boolean withValue) {
        MetaRecord record = decodeMeta(meta);
        return Observation.read(revision, data != null, data == null || !withValue ? null : data.getValue().getBytes(),
                data == null ? 0 : data.getModRevision(), record, meta == null ? 0 : meta.getModRevision());
    }

    MetaRecord decodeMeta(KeyValue meta) {
        if (meta == null) {
            return null;
        }
        try {
            return MetaRecord.decode(meta.getValue().getBytes());
        } catch (IllegalArgumentException e) {
            LOG.warn("[{} {}] ignoring unreadable fedsync metadata: {}", name, keys.dataKeyOf(meta.getKey()),
                    e.getMessage());
            return null;
        }
    }

    /** Deletes a tombstone's metadata if it is still as read, under the fence. */
    CompletableFuture<TxnResponse> deleteMeta(Key key, long metaModRev, FenceToken token) {
        ByteSequence metaKey = keys.metaKey(key);
        return client.getKVClient().txn()
                .If(new Cmp(metaKey, Cmp.Op.EQUAL, CmpTarget.modRevision(metaModRev)),
                        new Cmp(key.sequence(), Cmp.Op.EQUAL, CmpTarget.createRevision(0)),
                        new Cmp(keys.fenceKey(), Cmp.Op.EQUAL, CmpTarget.value(token.encode())))
                .Then(Op.delete(metaKey, DeleteOption.DEFAULT))
                .commit().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static KeyValue first(GetResponse g) {
        return g.getKvs().isEmpty() ? null : g.getKvs().get(0);
    }

    /**
     * Watches a prefix from a revision. {@code requireLeader}: an etcd member cut off from its
     * quorum ends the watch with an error instead of going silent.
     */
    Watch.Watcher watch(int prefix, long fromRevision, Watch.Listener listener) {
        WatchOption option = WatchOption.builder().withRange(KeySpace.rangeEnd(keys.prefix(prefix)))
                .withRevision(fromRevision).withProgressNotify(true).withRequireLeader(true).build();
        return client.getWatchClient().watch(keys.prefix(prefix), option, listener);
    }

    <T> T await(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw e;
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new TimeoutException("etcd of " + name + " did not answer within " + timeout.toMillis() + " ms");
        }
    }

    @Override
    public void close() {
        pipeline.close();
        client.close();
    }
}
