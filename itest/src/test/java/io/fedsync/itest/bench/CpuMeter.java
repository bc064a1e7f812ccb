package io.fedsync.itest.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * CPU time (user + system) of processes, from {@code /proc/<pid>/stat} (clock ticks converted with
 * {@code getconf CLK_TCK}): the mirror process, the etcds, the writers' JVM and this JVM, each
 * measured from the outside the same way whatever it is.
 */
final class CpuMeter {

    static final long CLOCK_TICKS = clockTicks();
    private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1) / CLOCK_TICKS;

    /** CPU nanoseconds per label at one moment. */
    record Sample(long wallNanos, Map<String, Long> cpuNanos) {
        long get(String label) {
            return cpuNanos.getOrDefault(label, 0L);
        }
    }

    private CpuMeter() {
    }

    /** {@code pids}: label → pid (a gone process counts 0, so sample before it exits). */
    static Sample sample(Map<String, Long> pids) {
        Map<String, Long> cpu = new LinkedHashMap<>();
        pids.forEach((label, pid) -> cpu.put(label, processCpu(pid)));
        return new Sample(System.nanoTime(), cpu);
    }

    /** CPU seconds per label between two samples. */
    static Map<String, Double> seconds(Sample a, Sample b) {
        Map<String, Double> out = new LinkedHashMap<>();
        b.cpuNanos().forEach((label, v) -> out.put(label, Math.max(0, v - a.get(label)) / 1e9));
        return out;
    }

    /** e.g. {@code over 12.3 s wall: fedsyncd 7.1 s (58%), source etcd 3.0 s (24%), ...}. */
    static String describe(Sample a, Sample b) {
        double wall = (b.wallNanos() - a.wallNanos()) / 1e9;
        StringBuilder out = new StringBuilder(String.format("over %.1f s wall (%d cores): ", wall,
                Runtime.getRuntime().availableProcessors()));
        String sep = "";
        for (Map.Entry<String, Double> e : seconds(a, b).entrySet()) {
            out.append(sep).append(String.format("%s %.2f s (%.0f%%)", e.getKey(), e.getValue(),
                    wall <= 0 ? 0 : 100 * e.getValue() / wall));
            sep = ", ";
        }
        return out.toString();
    }

    /** utime + stime of a process from /proc/PID/stat, in nanoseconds; 0 when it is gone. */
    static long processCpu(long pid) {
        if (pid <= 0) {
            return 0;
        }
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

    /** VmRSS of a process in bytes from /proc/PID/status; -1 when it is gone. */
    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "status"),
                    StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
            return -1;
        } catch (IOException | RuntimeException e) {
            return -1;
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
