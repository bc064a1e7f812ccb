package io.fedsync.itest.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A poor man's profiler for {@code --profile}: every 50 ms, the state and top frames of every
 * thread of the mirror (and the etcd client's threads), tallied. Shows whether the mirror's
 * workers wait on etcd, on each other, or compute.
 */
final class StackSampler implements AutoCloseable {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** The mirror's own threads and the etcd client's (jetcd, gRPC, Netty, Vert.x). */
    private static final java.util.regex.Pattern INTERESTING =
            java.util.regex.Pattern.compile("mirror-|txn-|cluster-|jetcd|grpc-|vert\\.x|etcd");
    private final Map<String, Integer> tally = new HashMap<>();
    private final Map<String, Integer> perGroup = new HashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private int rounds;

    StackSampler() {
        thread = new Thread(this::run, "bench-stack-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            ThreadInfo[] infos = THREADS.dumpAllThreads(false, false, 12);
            synchronized (this) {
                rounds++;
                for (ThreadInfo t : infos) {
                    String group = CpuMeter.group(t.getThreadName());
                    if (!INTERESTING.matcher(group).lookingAt()) {
                        continue;
                    }
                    StackTraceElement[] st = t.getStackTrace();
                    String where = describe(st);
                    tally.merge(group + "|" + t.getThreadState() + "|" + where, 1, Integer::sum);
                    perGroup.merge(group, 1, Integer::sum);
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static String describe(StackTraceElement[] st) {
        if (st.length == 0) {
            return "(no Java frames)";
        }
        String top = frame(st[0]);
        for (StackTraceElement e : st) {
            if (e.getClassName().startsWith("io.fedsync.")) {
                String own = frame(e) + ":" + e.getLineNumber();
                return e == st[0] ? own : top + " <- " + own;
            }
        }
        return st.length > 1 ? top + " <- " + frame(st[1]) : top;
    }

    private static String frame(StackTraceElement e) {
        String c = e.getClassName();
        return c.substring(c.lastIndexOf('.') + 1) + "." + e.getMethodName();
    }

    /** The busiest lines: group, share of that group's samples, state, where. */
    synchronized List<String> report(int lines) {
        List<Map.Entry<String, Integer>> sorted = new ArrayList<>(tally.entrySet());
        sorted.sort(Map.Entry.<String, Integer>comparingByValue().reversed());
        List<String> out = new ArrayList<>();
        out.add(String.format("%d samples, 50 ms apart; per thread group: share of its samples, state, top frame <- fedsync frame",
                rounds));
        for (Map.Entry<String, Integer> e : sorted.subList(0, Math.min(lines, sorted.size()))) {
            String[] p = e.getKey().split("\\|", 3);
            int total = perGroup.get(p[0]);
            out.add(String.format("  %-26s %5.1f%% (%2.0f threads avg)  %-13s %s", p[0], 100.0 * e.getValue() / total,
                    (double) e.getValue() / Math.max(1, rounds), p[1], p[2]));
        }
        return out;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
