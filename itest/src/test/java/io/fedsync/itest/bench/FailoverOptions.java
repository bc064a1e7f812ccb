package io.fedsync.itest.bench;

import java.util.ArrayList;
import java.util.List;

/** Command-line options of {@link FailoverBenchmark}; {@code --name value} or {@code --name=value}. */
record FailoverOptions(int trials, int replicas, int probeMillis, boolean throughput, int writers, int seconds,
                       int keys, int repeat, String fedsyncdJavaOpts, boolean keep) {

    static final String USAGE = String.join("\n",
            "usage: fedsync-failover [--trials N] [--replicas R] [--probe-ms P] [--no-throughput]",
            "                        [--writers W] [--seconds S] [--keys K] [--repeat X]",
            "                        [--fedsyncd-java-opts OPTS] [--keep]",
            "",
            "Failover of a Raft group of bin/fedsyncd replicas (each a cold JVM of its own, Raft on loopback) over",
            "two fresh etcds, measured from the outside: a probe writer puts a new key into host every P ms; the",
            "leader is killed with -9; the failover time is from the kill until the first key written after the",
            "kill arrives on host2 (only a new leader can have mirrored it). The killed replica is launched again",
            "on its data dir before the next trial. Then the live throughput of one fedsyncd beside R replicas",
            "(bin/fedsync-bench --only live --tool fedsync,fedsync-R, interleaved).",
            "",
            "  --trials N          leader kills (10)",
            "  --replicas R        replicas in the group, 3 or 5 (3)",
            "  --probe-ms P        the probe writer puts one key every P ms (20)",
            "  --no-throughput     only the failover trials",
            "  --writers W         throughput: concurrent writers into host (64)",
            "  --seconds S         throughput: how long they write (20)",
            "  --keys K            throughput: the writers' key pool (20000)",
            "  --repeat X          throughput: runs per setup, interleaved (3)",
            "  --fedsyncd-java-opts OPTS  FEDSYNC_JAVA_OPTS for every bin/fedsyncd (default: none)",
            "  --keep              keep the work dir (logs, configs, data dirs) also when every trial passed");

    static FailoverOptions parse(String[] args) {
        int trials = 10;
        int replicas = 3;
        int probe = 20;
        boolean throughput = true;
        int writers = 64;
        int seconds = 20;
        int keys = 20_000;
        int repeat = 3;
        String javaOpts = "";
        boolean keep = false;
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
                case "-h", "--help" -> throw new BenchOptions.UsageException(null);
                case "--no-throughput" -> throughput = false;
                case "--keep" -> keep = true;
                case "--trials" -> trials = BenchOptions.positive(name, value(list, ++i, name));
                case "--replicas" -> replicas = BenchOptions.positive(name, value(list, ++i, name));
                case "--probe-ms" -> probe = BenchOptions.positive(name, value(list, ++i, name));
                case "--writers" -> writers = BenchOptions.positive(name, value(list, ++i, name));
                case "--seconds" -> seconds = BenchOptions.positive(name, value(list, ++i, name));
                case "--keys" -> keys = BenchOptions.positive(name, value(list, ++i, name));
                case "--repeat" -> repeat = BenchOptions.positive(name, value(list, ++i, name));
                case "--fedsyncd-java-opts" -> javaOpts = value(list, ++i, name);
                default -> throw new BenchOptions.UsageException("unknown option '" + name + "'");
            }
        }
        if (replicas != 3 && replicas != 5) {
            throw new BenchOptions.UsageException("--replicas takes 3 or 5 (a group that survives one or two"
                    + " losses), not " + replicas);
        }
        return new FailoverOptions(trials, replicas, probe, throughput, writers, seconds, keys, repeat, javaOpts,
                keep);
    }

    /** The options of the throughput part, for {@link MirrorBenchmark}. */
    BenchOptions throughputOptions() {
        return new BenchOptions(keys, 1024, writers, seconds, false, true,
                List.of(MirrorTool.FEDSYNC, "fedsync-" + replicas), repeat, 300, 25, false, fedsyncdJavaOpts, keep);
    }

    private static String value(List<String> list, int i, String name) {
        if (i >= list.size()) {
            throw new BenchOptions.UsageException(name + " needs a value");
        }
        return list.get(i);
    }
}
