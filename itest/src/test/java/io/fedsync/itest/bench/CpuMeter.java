package io.fedsync.itest.bench;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * CPU time used between two samples, per process (etcds, make-mirror; from /proc) and, inside this
 * JVM, per group of threads (names with their numbers stripped: mirror-worker-N, txn-host2,
 * bench-writer-N, the gRPC/Vert.x event loops ...). On a 2-core machine this is where the
 * benchmark's time goes.
 */
final class CpuMeter {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1) / clockTicks();

    record Sample(long wallNanos, Map<String, Long> processes, long jvm, Map<Long, String> names,
                  Map<Long, Long> threads, long gcMillis, long jitMillis) {
    }

    private CpuMeter() {
    }

    static {
        if (THREADS.isThreadCpuTimeSupported() && !THREADS.isThreadCpuTimeEnabled()) {
            THREADS.setThreadCpuTimeEnabled(true);
        }
    }

    /** {@code pids}: label → pid of the processes to account (missing or gone ones count 0). */
    static Sample sample(Map<String, Long> pids) {
        Map<String, Long> procs = new LinkedHashMap<>();
        pids.forEach((label, pid) -> procs.put(label, processCpu(pid)));
        Map<Long, String> names = new HashMap<>();
        Map<Long, Long> cpu = new HashMap<>();
        for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (t == null) {
                continue;
            }
            long c = THREADS.getThreadCpuTime(t.getThreadId());
            if (c >= 0) {
                names.put(t.getThreadId(), t.getThreadName());
                cpu.put(t.getThreadId(), c);
            }
        }
        long gc = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            gc += Math.max(0, b.getCollectionTime());
        }
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long jitMillis = jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
        return new Sample(System.nanoTime(), procs, jvmCpu(), names, cpu, gc, jitMillis);
    }

    /** e.g. {@code src-etcd 5.1 s (51%), ...; jvm 8.0 s (80%): mirror-worker-N 3.2, ...}. */
    static String describe(Sample a, Sample b) {
        double wall = (b.wallNanos - a.wallNanos) / 1e9;
        StringBuilder out = new StringBuilder(String.format("over %.1f s wall (%d cores = %.0f cpu-s): ", wall,
                Runtime.getRuntime().availableProcessors(), wall * Runtime.getRuntime().availableProcessors()));
        for (Map.Entry<String, Long> e : b.processes.entrySet()) {
            long before = a.processes.getOrDefault(e.getKey(), 0L);
            out.append(e.getKey()).append(' ').append(seconds(e.getValue() - before, wall)).append(", ");
        }
        long jvm = b.jvm - a.jvm;
        out.append("benchmark JVM ").append(seconds(jvm, wall));
        Map<String, Long> groups = new HashMap<>();
        long attributed = 0;
        for (Map.Entry<Long, Long> e : b.threads.entrySet()) {
            long d = e.getValue() - a.threads.getOrDefault(e.getKey(), 0L);
            if (d <= 0) {
                continue;
            }
            groups.merge(group(b.names.get(e.getKey())), d, Long::sum);
            attributed += d;
        }
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(groups.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        out.append(" = ");
        int shown = 0;
        long rest = 0;
        for (Map.Entry<String, Long> e : sorted) {
            if (shown < 7 && e.getValue() >= 50_000_000L) {
                out.append(e.getKey()).append(String.format(" %.1f", e.getValue() / 1e9)).append(", ");
                shown++;
            } else {
                rest += e.getValue();
            }
        }
        out.append(String.format("other threads %.1f, GC/JIT/exited threads %.1f (GC time %.1f s, JIT time %.1f s)",
                rest / 1e9, Math.max(0, jvm - attributed) / 1e9, (b.gcMillis - a.gcMillis) / 1e3,
                (b.jitMillis - a.jitMillis) / 1e3));
        return out.toString();
    }

    private static String seconds(long nanos, double wall) {
        return String.format("%.1f s (%.0f%%)", nanos / 1e9, wall <= 0 ? 0 : 100 * nanos / 1e9 / wall);
    }

    static String group(String threadName) {
        return threadName == null ? "?" : threadName.replaceAll("\\d+", "N");
    }

    private static long jvmCpu() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return processCpu(ProcessHandle.current().pid());
    }

    /** utime + stime of a process from /proc/PID/stat; 0 when it is gone. */
    static long processCpu(long pid) {
        try {
            String stat = Files.readString(Paths.get("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            // Fields after the command name (which may hold spaces) start after the last ')'.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // f[0] is field 3 (state): utime is field 14, stime field 15.
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NANOS;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            p.waitFor(5, TimeUnit.SECONDS);
            return Long.parseLong(out);
        } catch (IOException | InterruptedException | NumberFormatException e) {
            return 100;
        }
    }
}
