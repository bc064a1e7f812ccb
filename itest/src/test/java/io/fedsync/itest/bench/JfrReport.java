package io.fedsync.itest.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * The hot methods of a fedsyncd run recorded with Java Flight Recorder ({@code --profile}): CPU
 * samples ({@code jdk.ExecutionSample}) counted by the method on top of the stack (self time) and
 * by every method on the stack (inclusive time), and by thread. Read with the JDK's
 * {@code jdk.jfr.consumer} API; {@code jfr print --events jdk.ExecutionSample FILE} shows the same
 * samples. Only the samples of the measured window count (a live run's start-up is left out).
 */
final class JfrReport {

    private JfrReport() {
    }

    /** Samples taken between {@code from} and {@code to} ({@link BenchClock} ns; 0 = open end). */
    static List<String> report(Path jfr, int top, long from, long to) {
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        Map<String, Integer> own = new HashMap<>();
        Map<String, Integer> threads = new HashMap<>();
        int samples = 0;
        int outside = 0;
        int truncated = 0;
        try (RecordingFile file = new RecordingFile(jfr)) {
            while (file.hasMoreEvents()) {
                RecordedEvent e = file.readEvent();
                if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
                    continue;
                }
                RecordedStackTrace st = e.getStackTrace();
                if (st == null || st.getFrames().isEmpty()) {
                    continue;
                }
                Instant at = e.getStartTime();
                long t = at.getEpochSecond() * 1_000_000_000L + at.getNano();
                if ((from > 0 && t < from) || (to > 0 && t > to)) {
                    outside++;
                    continue;
                }
                samples++;
                if (st.isTruncated()) {
                    truncated++;
                }
                List<RecordedFrame> frames = st.getFrames();
                self.merge(method(frames.get(0)), 1, Integer::sum);
                Set<String> seen = new HashSet<>();
                for (RecordedFrame f : frames) {
                    String m = method(f);
                    if (seen.add(m)) {
                        inclusive.merge(m, 1, Integer::sum);
                        if (m.startsWith("io.fedsync.")) {
                            own.merge(m, 1, Integer::sum);
                        }
                    }
                }
                RecordedThread thread = e.getThread("sampledThread");
                threads.merge(thread == null ? "?" : threadGroup(thread.getJavaName()), 1, Integer::sum);
            }
        } catch (IOException e) {
            return List.of("cannot read " + jfr + ": " + e);
        }
        List<String> out = new ArrayList<>();
        out.add(String.format("%d CPU samples (jdk.ExecutionSample) in the measured window (%d outside it left out)%s",
                samples, outside,
                truncated > 0 ? String.format("; %d stacks truncated at JFR's stack depth, so inclusive counts of outer"
                        + " frames are low", truncated) : ""));
        if (samples == 0) {
            return out;
        }
        final double total = samples;
        out.add("by thread:     " + String.join(", ", sorted(threads, 8).stream()
                .map(e -> String.format("%s %.0f%%", e.getKey(), 100.0 * e.getValue() / total)).toList()));
        table(out, "top of stack (self), by method:", self, top, total);
        table(out, "on the stack (inclusive), by method:", inclusive, top, total);
        table(out, "on the stack (inclusive), fedsync's own methods:", own, top, total);
        return out;
    }

    private static void table(List<String> out, String title, Map<String, Integer> counts, int top, double total) {
        out.add(title);
        for (Map.Entry<String, Integer> e : sorted(counts, top)) {
            out.add(String.format("  %5.1f%%  %6d  %s", 100.0 * e.getValue() / total, e.getValue(), e.getKey()));
        }
    }

    private static List<Map.Entry<String, Integer>> sorted(Map<String, Integer> m, int n) {
        List<Map.Entry<String, Integer>> l = new ArrayList<>(m.entrySet());
        l.sort(Map.Entry.<String, Integer>comparingByValue().reversed());
        return l.subList(0, Math.min(n, l.size()));
    }

    private static String method(RecordedFrame f) {
        RecordedMethod m = f.getMethod();
        if (m == null) {
            return "?";
        }
        String type = m.getType() == null ? "?" : m.getType().getName();
        // Hidden classes (lambdas, method handles) carry an address and a hash: one name for all.
        return (type + "." + m.getName()).replaceAll("\\+0x[0-9a-f]+(\\.\\d+)?", "")
                .replaceAll("\\$\\$Lambda\\$\\d+", "\\$\\$Lambda");
    }

    /** Thread names with their numbers replaced by N (mirror-worker-N, grpc-default-executor-N). */
    private static String threadGroup(String threadName) {
        return threadName == null ? "?" : threadName.replaceAll("\\d+", "N");
    }
}
