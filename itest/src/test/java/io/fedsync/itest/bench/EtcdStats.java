package io.fedsync.itest.bench;

import io.fedsync.itest.fixture.EtcdProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one etcd did between two scrapes of its {@code /metrics}: RPCs by method, key puts,
 * Raft proposals, WAL fsyncs and backend commits with their mean duration. Tells how well a
 * mirror batches (key puts per Txn) and whether etcd's disk is the limit.
 */
final class EtcdStats {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern METHOD = Pattern.compile("grpc_method=\"([A-Za-z]+)\"");

    private EtcdStats() {
    }

    /** The counters this class reports; empty if etcd does not answer. */
    static Map<String, Double> scrape(EtcdProcess etcd) {
        Map<String, Double> m = new HashMap<>();
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(etcd.endpoint() + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build();
            String body = HTTP.send(req, HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                int sp = line.lastIndexOf(' ');
                String name = line.substring(0, sp);
                double v;
                try {
                    v = Double.parseDouble(line.substring(sp + 1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (name.startsWith("grpc_server_handled_total{")) {
                    Matcher mm = METHOD.matcher(name);
                    if (mm.find()) {
                        m.merge("rpc." + mm.group(1), v, Double::sum);
                    }
                } else if (name.equals("etcd_mvcc_put_total") || name.equals("etcd_server_proposals_committed_total")
                        || name.startsWith("etcd_disk_wal_fsync_duration_seconds_")
                        || name.startsWith("etcd_disk_backend_commit_duration_seconds_")
                        || name.equals("etcd_debugging_mvcc_watcher_total")) {
                    m.put(name, v);
                }
            }
        } catch (IOException | RuntimeException e) {
            return m;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return m;
    }

    /**
     * Unary RPCs handled between two scrapes, by method (Range, Txn, Put, DeleteRange, ...),
     * minus {@code own} (the benchmark's own calls by method). Streams (Watch, LeaseKeepAlive)
     * are left out: etcd counts them only when they end.
     */
    static Map<String, Long> rpcs(Map<String, Double> a, Map<String, Double> b, Map<String, Long> own) {
        Map<String, Long> out = new TreeMap<>();
        for (Map.Entry<String, Double> e : b.entrySet()) {
            if (!e.getKey().startsWith("rpc.")) {
                continue;
            }
            String method = e.getKey().substring(4);
            if (method.equals("Watch") || method.equals("LeaseKeepAlive")) {
                continue;
            }
            long d = Math.round(e.getValue() - a.getOrDefault(e.getKey(), 0.0)) - own.getOrDefault(method, 0L);
            if (d > 0) {
                out.put(method, d);
            }
        }
        return out;
    }

    static long total(Map<String, Long> rpcs) {
        return rpcs.values().stream().mapToLong(Long::longValue).sum();
    }

    /** {@code Range 3, Txn 200} or {@code none}. */
    static String describeRpcs(Map<String, Long> rpcs) {
        if (rpcs.isEmpty()) {
            return "none";
        }
        StringBuilder s = new StringBuilder();
        rpcs.forEach((m, n) -> s.append(s.length() == 0 ? "" : ", ").append(m).append(' ').append(n));
        return s.toString();
    }

    /** e.g. {@code Txn 812, Range 45, Put 0 RPCs; 4000 key puts (4.9 per Txn); 820 proposals; ...}. */
    static String describe(Map<String, Double> a, Map<String, Double> b, double seconds) {
        long txn = delta(a, b, "rpc.Txn");
        long put = delta(a, b, "rpc.Put");
        long range = delta(a, b, "rpc.Range");
        long keyPuts = delta(a, b, "etcd_mvcc_put_total");
        long proposals = delta(a, b, "etcd_server_proposals_committed_total");
        long fsyncs = delta(a, b, "etcd_disk_wal_fsync_duration_seconds_count");
        double fsyncSum = deltaD(a, b, "etcd_disk_wal_fsync_duration_seconds_sum");
        long commits = delta(a, b, "etcd_disk_backend_commit_duration_seconds_count");
        double commitSum = deltaD(a, b, "etcd_disk_backend_commit_duration_seconds_sum");
        return String.format("all RPCs Txn %d, Put %d, Range %d; %d key puts (%.1f per write RPC, %.0f/s); %d proposals"
                        + " (%.0f/s); WAL fsyncs %d, mean %.2f ms; backend commits %d, mean %.2f ms",
                txn, put, range, keyPuts, (txn + put) == 0 ? 0.0 : keyPuts / (double) (txn + put),
                keyPuts / seconds, proposals, proposals / seconds, fsyncs,
                fsyncs == 0 ? 0.0 : 1000 * fsyncSum / fsyncs, commits, commits == 0 ? 0.0 : 1000 * commitSum / commits);
    }

    private static long delta(Map<String, Double> a, Map<String, Double> b, String k) {
        return Math.round(deltaD(a, b, k));
    }

    private static double deltaD(Map<String, Double> a, Map<String, Double> b, String k) {
        return b.getOrDefault(k, 0.0) - a.getOrDefault(k, 0.0);
    }
}
