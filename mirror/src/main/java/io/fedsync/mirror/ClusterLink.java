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
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One cluster's etcd, as the mirror uses it: reads, the fence, watches and the write pipeline. */
final class ClusterLink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterLink.class);
    private static final int PAGE = 1000;

    final String name;
    final int index;
    final ClusterEndpoint endpoint;
    private final Client client;
    private final KeySpace keys;
    private final Duration timeout;
    final TxnPipeline pipeline;

    ClusterLink(int index, ClusterEndpoint endpoint, KeySpace keys, MirrorSettings settings, long term) {
        this.name = endpoint.name();
        this.index = index;
        this.endpoint = endpoint;
        this.keys = keys;
        this.timeout = settings.requestTimeout();
        this.client = connect(endpoint);
        this.pipeline = new TxnPipeline(name, client.getKVClient(), KeySpace.bytes(keys.fenceKey()), () -> term,
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

    /** The current revision and fence value, or an exception if the cluster does not answer. */
    Probe probe() throws Exception {
        GetResponse r = await(client.getKVClient().get(KeySpace.bytes(keys.fenceKey())));
        long fence = r.getKvs().isEmpty() ? 0 : Fence.decode(r.getKvs().get(0).getValue());
        return new Probe(r.getHeader().getRevision(), fence);
    }

    record Probe(long revision, long fence) {
    }

    /**
     * Raises the fence to {@code term} unless it is already higher. Returns the fence value now
     * stored: if it is not {@code term}, a newer writer owns this cluster.
     */
    long raiseFence(long term) throws Exception {
        ByteSequence key = KeySpace.bytes(keys.fenceKey());
        ByteSequence mine = Fence.encode(term);
        // etcd compares have no OR: "absent" and "lower" are two conditional puts.
        TxnResponse created = await(client.getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(key, mine, PutOption.DEFAULT))
                .commit());
        if (created.isSucceeded()) {
            return term;
        }
        TxnResponse r = await(client.getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.LESS, CmpTarget.value(mine)))
                .Then(Op.put(key, mine, PutOption.DEFAULT))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit());
        if (r.isSucceeded()) {
            return term;
        }
        GetResponse g = r.getGetResponses().get(0);
        return g.getKvs().isEmpty() ? 0 : Fence.decode(g.getKvs().get(0).getValue());
    }

    /**
     * What the mirror needs to know about one prefix, all read at one revision so that data and
     * metadata agree. With {@code changedAfter > 0} (a resume from that cursor) values are fetched
     * only for keys modified after it; the rest are listed by name only, which is enough to see a
     * deletion (metadata without data). A cursor ahead of etcd (restored from an older backup)
     * cannot be trusted, and neither revision 0: both read everything.
     */
    Snapshot load(String prefix, long changedAfter) throws Exception {
        long revision = probe().revision();
        boolean partial = changedAfter > 0 && changedAfter <= revision;
        Map<String, KeyValue> data = range(prefix, revision, partial ? changedAfter + 1 : 0, false);
        Set<String> present = partial ? range(prefix, revision, 0, true).keySet() : data.keySet();
        Map<String, KeyValue> metaKvs = range(keys.metaPrefix(prefix), revision, 0, false);
        Map<String, KeyValue> meta = new LinkedHashMap<>();
        metaKvs.forEach((k, v) -> meta.put(keys.dataKeyOf(k), v));
        return new Snapshot(revision, partial ? changedAfter : 0, data, present, meta);
    }

    /**
     * @param revision     the revision everything was read at (watch from the next one)
     * @param changedAfter 0 for a complete snapshot; else {@code data} holds only keys modified
     *                     after it and {@code present} names every key that exists
     */
    record Snapshot(long revision, long changedAfter, Map<String, KeyValue> data, Set<String> present,
                    Map<String, KeyValue> meta) {
        boolean complete() {
            return changedAfter == 0;
        }
    }

    /** Whether etcd has compacted away {@code revision} (a cursor is that old). */
    boolean compactedPast(String prefix, long revision) throws Exception {
        try {
            await(client.getKVClient().get(KeySpace.bytes(prefix), GetOption.builder()
                    .withRange(KeySpace.rangeEnd(prefix)).withRevision(revision).withCountOnly(true).build()));
            return false;
        } catch (Exception e) {
            if (MirrorEngine.isCompacted(e)) {
                return true;
            }
            throw e;
        }
    }

    private Map<String, KeyValue> range(String prefix, long revision, long minModRevision, boolean keysOnly)
            throws Exception {
        Map<String, KeyValue> out = new LinkedHashMap<>();
        ByteSequence end = KeySpace.rangeEnd(prefix);
        ByteSequence from = KeySpace.bytes(prefix);
        while (true) {
            GetOption.Builder option = GetOption.builder().withRange(end).withRevision(revision).withLimit(PAGE)
                    .withKeysOnly(keysOnly);
            if (minModRevision > 0) {
                option.withMinModRevision(minModRevision);
            }
            GetResponse r = await(client.getKVClient().get(from, option.build()));
            for (KeyValue kv : r.getKvs()) {
                out.put(kv.getKey().toString(StandardCharsets.UTF_8), kv);
            }
            if (!r.isMore() || r.getKvs().isEmpty()) {
                return out;
            }
            byte[] last = r.getKvs().get(r.getKvs().size() - 1).getKey().getBytes();
            byte[] next = java.util.Arrays.copyOf(last, last.length + 1);
            from = ByteSequence.from(next);
        }
    }

    /** The data and metadata of one key, read atomically, plus the fence. */
    Read read(String key) throws Exception {
        ByteSequence data = KeySpace.bytes(key);
        ByteSequence meta = KeySpace.bytes(keys.metaKey(key));
        TxnResponse r = await(client.getKVClient().txn().Then(
                Op.get(data, GetOption.DEFAULT), Op.get(meta, GetOption.DEFAULT),
                Op.get(KeySpace.bytes(keys.fenceKey()), GetOption.DEFAULT)).commit());
        long revision = r.getHeader().getRevision();
        KeyValue d = first(r.getGetResponses().get(0));
        KeyValue m = first(r.getGetResponses().get(1));
        KeyValue f = first(r.getGetResponses().get(2));
        return new Read(observation(revision, d, m), f == null ? 0 : Fence.decode(f.getValue()));
    }

    record Read(Observation observation, long fence) {
    }

    Observation observation(long revision, KeyValue data, KeyValue meta) {
        MetaRecord record = null;
        if (meta != null) {
            try {
                record = MetaRecord.decode(meta.getValue().getBytes());
            } catch (IllegalArgumentException e) {
                LOG.warn("[{} {}] ignoring unreadable fedsync metadata: {}", name,
                        keys.dataKeyOf(meta.getKey().toString(StandardCharsets.UTF_8)), e.getMessage());
            }
        }
        return new Observation(revision, data != null, data == null ? null : data.getValue().getBytes(),
                data == null ? 0 : data.getModRevision(), true, record,
                meta == null || record == null ? 0 : meta.getModRevision(), revision);
    }

    private static KeyValue first(GetResponse g) {
        return g.getKvs().isEmpty() ? null : g.getKvs().get(0);
    }

    Watch.Watcher watch(String prefix, long fromRevision, Watch.Listener listener) {
        WatchOption option = WatchOption.builder().withRange(KeySpace.rangeEnd(prefix)).withRevision(fromRevision)
                .withProgressNotify(true).build();
        return client.getWatchClient().watch(KeySpace.bytes(prefix), option, listener);
    }

    private <T> T await(CompletableFuture<T> f) throws Exception {
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
