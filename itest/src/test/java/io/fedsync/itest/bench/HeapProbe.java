package io.fedsync.itest.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The heap a JVM really needs: {@code jcmd PID GC.run} (a full collection) then
 * {@code jcmd PID GC.heap_info}, whose heap lines are summed (G1's one "garbage-first heap" line,
 * Serial's and Parallel's young and old generations, ZGC's "ZHeap"). The JDK's own jcmd, so it
 * attaches to any JVM of this user.
 */
final class HeapProbe {

    /** Bytes used and committed; {@code text} is jcmd's answer when it could not be read. */
    record Heap(long usedBytes, long committedBytes, String text) {
        boolean ok() {
            return usedBytes >= 0;
        }
    }

    private static final Pattern GENERATION = Pattern.compile("total (\\d+)([KMG]), used (\\d+)([KMG])");
    private static final Pattern ZHEAP = Pattern.compile("ZHeap\\s+used (\\d+)([KMG]), capacity (\\d+)([KMG])");
    private static final Pattern SHENANDOAH = Pattern.compile("(\\d+)([KMG]) committed, (\\d+)([KMG]) used");

    private HeapProbe() {
    }

    static Path jcmd() {
        return Paths.get(System.getProperty("java.home"), "bin", "jcmd");
    }

    /** A full GC, then the heap in use after it. */
    static Heap afterFullGc(long pid) {
        String gc = run(pid, "GC.run");
        if (gc == null) {
            return new Heap(-1, -1, "jcmd GC.run failed");
        }
        String info = run(pid, "GC.heap_info");
        return info == null ? new Heap(-1, -1, "jcmd GC.heap_info failed") : parse(info);
    }

    static Heap parse(String info) {
        long used = 0;
        long committed = 0;
        boolean found = false;
        for (String line : info.lines().toList()) {
            String t = line.trim();
            if (t.startsWith("Metaspace") || t.startsWith("class space")) {
                break;
            }
            Matcher g = GENERATION.matcher(t);
            if (g.find() && !t.startsWith("region size")) {
                committed += bytes(g.group(1), g.group(2));
                used += bytes(g.group(3), g.group(4));
                found = true;
                continue;
            }
            Matcher z = ZHEAP.matcher(t);
            if (z.find()) {
                used += bytes(z.group(1), z.group(2));
                committed += bytes(z.group(3), z.group(4));
                found = true;
                continue;
            }
            Matcher s = SHENANDOAH.matcher(t);
            if (s.find()) {
                committed += bytes(s.group(1), s.group(2));
                used += bytes(s.group(3), s.group(4));
                found = true;
            }
        }
        return found ? new Heap(used, committed, info) : new Heap(-1, -1, info);
    }

    private static long bytes(String n, String unit) {
        long v = Long.parseLong(n);
        return switch (unit) {
            case "K" -> v << 10;
            case "M" -> v << 20;
            default -> v << 30;
        };
    }

    /** jcmd's output, or null when it failed (the JVM is gone or does not answer in 60 s). */
    private static String run(long pid, String command) {
        Path out = null;
        try {
            out = Files.createTempFile("fedsync-jcmd-", ".out");
            Process p = new ProcessBuilder(List.of(jcmd().toString(), Long.toString(pid), command))
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? Files.readString(out, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException e) {
                    // a temp file left behind
                }
            }
        }
    }
}
