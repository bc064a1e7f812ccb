package io.fedsync.itest.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Command-line options of {@link MirrorBenchmark}; {@code --name value} or {@code --name=value}. */
record BenchOptions(int keys, int valueBytes, int writers, int seconds, boolean initial, boolean live,
                    boolean fedsync, boolean makeMirror, int timeoutSeconds, boolean profile, boolean warmup) {

    static final String USAGE = String.join("\n",
            "usage: fedsync-bench [--keys N] [--value-bytes B] [--writers W] [--seconds S]",
            "                     [--only initial|live] [--tool fedsync|make-mirror|both]",
            "                     [--timeout-seconds T] [--profile] [--warmup]",
            "  --keys N            keys preloaded for the initial sync, and the key pool of the live writers (20000)",
            "  --value-bytes B     size of every value, a KubeSphere User padded to B bytes (1024)",
            "  --writers W         concurrent writer threads in the live scenario (64)",
            "  --seconds S         how long the live writers write (20)",
            "  --only SCENARIO     run only 'initial' or only 'live' (both by default)",
            "  --tool TOOL         run only 'fedsync' or only 'make-mirror' ('both' by default)",
            "  --timeout-seconds T give up waiting for a tool to finish a sync or catch up after T s (300)",
            "  --profile           sample the mirror's thread stacks during fedsync runs and print where they wait",
            "                      (intrusive: a thread dump every 50 ms; not for the figures you publish)",
            "  --warmup            first run fedsync unmeasured on a throwaway etcd pair (5,000 keys, 5 s of writers),",
            "                      so the measured runs see a JIT-compiled engine, as a long-running fedsyncd is");

    static BenchOptions parse(String[] args) {
        int keys = 20_000;
        int valueBytes = 1024;
        int writers = 64;
        int seconds = 20;
        String only = null;
        String tool = "both";
        int timeout = 300;
        boolean profile = false;
        boolean warmup = false;
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
                case "--warmup" -> warmup = true;
                case "--keys" -> keys = positive(name, value(list, ++i, name));
                case "--value-bytes" -> valueBytes = positive(name, value(list, ++i, name));
                case "--writers" -> writers = positive(name, value(list, ++i, name));
                case "--seconds" -> seconds = positive(name, value(list, ++i, name));
                case "--timeout-seconds" -> timeout = positive(name, value(list, ++i, name));
                case "--only" -> {
                    only = value(list, ++i, name).toLowerCase(Locale.ROOT);
                    if (!only.equals("initial") && !only.equals("live")) {
                        throw new UsageException("--only takes 'initial' or 'live', not '" + only + "'");
                    }
                }
                case "--tool" -> {
                    tool = value(list, ++i, name).toLowerCase(Locale.ROOT);
                    if (!List.of("fedsync", "make-mirror", "both").contains(tool)) {
                        throw new UsageException("--tool takes 'fedsync', 'make-mirror' or 'both', not '" + tool + "'");
                    }
                }
                default -> throw new UsageException("unknown option '" + name + "'");
            }
        }
        if (valueBytes < 600) {
            throw new UsageException("--value-bytes must be at least 600 (a User object alone is about that big)");
        }
        return new BenchOptions(keys, valueBytes, writers, seconds,
                only == null || only.equals("initial"), only == null || only.equals("live"),
                !tool.equals("make-mirror"), !tool.equals("fedsync"), timeout, profile, warmup);
    }

    private static String value(List<String> list, int i, String name) {
        if (i >= list.size()) {
            throw new UsageException(name + " needs a value");
        }
        return list.get(i);
    }

    private static int positive(String name, String text) {
        try {
            int v = Integer.parseInt(text.replace("_", ""));
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
