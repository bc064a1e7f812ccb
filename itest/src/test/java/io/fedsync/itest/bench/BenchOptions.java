package io.fedsync.itest.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Command-line options of {@link MirrorBenchmark}; {@code --name value} or {@code --name=value}. */
record BenchOptions(int keys, int valueBytes, int writers, int seconds, boolean sync, boolean live,
                    List<String> tools, int repeat, int timeoutSeconds, int pollMillis,
                    boolean profile, String fedsyncdJavaOpts, boolean keep) {

    /** True when one of the tools is fedsync (one fedsyncd or a group of replicas). */
    boolean fedsync() {
        return tools.stream().anyMatch(t -> t.startsWith(MirrorTool.FEDSYNC));
    }

    boolean makeMirror() {
        return tools.contains(MirrorTool.MAKE_MIRROR);
    }

    static final String USAGE = String.join("\n",
            "usage: fedsync-bench [--keys N] [--value-bytes B] [--writers W] [--seconds S] [--repeat R]",
            "                     [--only sync|live] [--tool TOOL[,TOOL...]] [--profile]",
            "                     [--fedsyncd-java-opts OPTS] [--timeout-seconds T] [--poll-ms P] [--keep]",
            "",
            "Measures fedsync as a user would: bin/fedsyncd (a cold JVM, bidirectional) and etcdctl make-mirror",
            "(one way) each run as their own process on a fresh pair of etcds; the writers run in a JVM of their own.",
            "",
            "  --keys N            sync: keys preloaded into the source; live: the writers' key pool (20000)",
            "  --value-bytes B     size of every value, a KubeSphere User padded to B bytes (1024)",
            "  --writers W         live: concurrent writers, each putting as fast as etcd answers (64)",
            "  --seconds S         live: how long the writers write (20)",
            "  --repeat R          run every scenario R times, the tools interleaved (make-mirror, fedsync, ...),",
            "                      and report each run and the medians (1)",
            "  --only SCENARIO     'sync' (initial sync, alias 'initial') or 'live' (both by default)",
            "  --tool TOOL         'fedsync', 'make-mirror', 'both' (default: make-mirror,fedsync), or 'fedsync-N':",
            "                      a Raft group of N fedsyncd replicas on loopback, only the leader mirroring (its",
            "                      CPU is all replicas'); several comma-separated, e.g. fedsync,fedsync-3. The first",
            "                      tool is the baseline of the ratio column",
            "  --profile           run fedsyncd under Java Flight Recorder (settings=profile), keep the .jfr files",
            "                      in the work dir and print the hottest methods of each fedsync run",
            "  --fedsyncd-java-opts OPTS  FEDSYNC_JAVA_OPTS for bin/fedsyncd (default: none, as a user starts it;",
            "                      the FEDSYNC_JAVA_OPTS of this command applies to the benchmark's own JVM)",
            "  --timeout-seconds T give up waiting for a sync or a catch-up after T s (300)",
            "  --poll-ms P         sync: how often the destination's key count is polled (25)",
            "  --keep              keep the work dir (logs, configs) also when every run passed");

    static BenchOptions parse(String[] args) {
        int keys = 20_000;
        int valueBytes = 1024;
        int writers = 64;
        int seconds = 20;
        int repeat = 1;
        String only = null;
        String tool = "both";
        int timeout = 300;
        int poll = 25;
        boolean profile = false;
        boolean keep = false;
        String javaOpts = "";
        List<String> list = new ArrayList<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                list.add(a.substring(0, eq));
                list.add(a.substring(eq + 1));
            } else {
                list.add(a);
            }
        }
        for (int i = 0; i < list.size(); i++) {
            String name = list.get(i);
            switch (name) {
                case "-h", "--help" -> throw new UsageException(null);
                case "--profile" -> profile = true;
                case "--keep" -> keep = true;
                case "--warmup" -> throw new UsageException("--warmup is gone: fedsync now runs as a real, cold"
                        + " bin/fedsyncd process, as users run it");
                case "--keys" -> keys = positive(name, value(list, ++i, name));
                case "--value-bytes" -> valueBytes = positive(name, value(list, ++i, name));
                case "--writers" -> writers = positive(name, value(list, ++i, name));
                case "--seconds" -> seconds = positive(name, value(list, ++i, name));
                case "--repeat" -> repeat = positive(name, value(list, ++i, name));
                case "--timeout-seconds" -> timeout = positive(name, value(list, ++i, name));
                case "--poll-ms" -> poll = positive(name, value(list, ++i, name));
                case "--fedsyncd-java-opts" -> javaOpts = value(list, ++i, name);
                case "--only" -> {
                    only = value(list, ++i, name).toLowerCase(Locale.ROOT);
                    if (only.equals("initial")) {
                        only = "sync";
                    }
                    if (!only.equals("sync") && !only.equals("live")) {
                        throw new UsageException("--only takes 'sync' or 'live', not '" + only + "'");
                    }
                }
                case "--tool" -> tool = value(list, ++i, name).toLowerCase(Locale.ROOT);
                default -> throw new UsageException("unknown option '" + name + "'");
            }
        }
        if (valueBytes < 600) {
            throw new UsageException("--value-bytes must be at least 600 (a User object alone is about that big)");
        }
        return new BenchOptions(keys, valueBytes, writers, seconds,
                only == null || only.equals("sync"), only == null || only.equals("live"),
                tools(tool), repeat, timeout, poll, profile, javaOpts, keep);
    }

    /** The tools of a --tool value, in order, without repeats. */
    static List<String> tools(String value) {
        List<String> out = new ArrayList<>();
        for (String t : value.split(",")) {
            List<String> names = switch (t.trim()) {
                case "both" -> List.of(MirrorTool.MAKE_MIRROR, MirrorTool.FEDSYNC);
                case MirrorTool.FEDSYNC, MirrorTool.MAKE_MIRROR -> List.of(t.trim());
                default -> {
                    if (MirrorTool.replicasOf(t.trim()) == 0) {
                        throw new UsageException("--tool takes 'fedsync', 'make-mirror', 'both' or 'fedsync-N' (N >= 2"
                                + " replicas), comma-separated; not '" + t.trim() + "'");
                    }
                    yield List.of(t.trim());
                }
            };
            names.stream().filter(n -> !out.contains(n)).forEach(out::add);
        }
        return List.copyOf(out);
    }

    private static String value(List<String> list, int i, String name) {
        if (i >= list.size()) {
            throw new UsageException(name + " needs a value");
        }
        return list.get(i);
    }

    static int positive(String name, String text) {
        try {
            int v = Integer.parseInt(text.replace("_", "").replace(",", ""));
            if (v <= 0) {
                throw new UsageException(name + " must be positive, got " + text);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException(name + " takes a number, got '" + text + "'");
        }
    }

    /** A bad command line; a null message asks for the usage text only. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
