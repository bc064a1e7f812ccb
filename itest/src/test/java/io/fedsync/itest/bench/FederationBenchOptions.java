package io.fedsync.itest.bench;

import java.util.ArrayList;
import java.util.List;

/** Command-line options of {@link FederationBenchmark}; {@code --name value} or {@code --name=value}. */
record FederationBenchOptions(int users, int members, int repeat, int clients, int rate, String resync,
                              int workers, int settleSeconds, int timeoutSeconds, boolean profile,
                              String fedsyncdJavaOpts, boolean keep) {

    static final String USAGE = String.join("\n",
            "usage: fedsync-federation-bench [--users U] [--members N] [--repeat R] [--clients C] [--rate R]",
            "                                [--resync D] [--workers W] [--settle-seconds S] [--timeout-seconds T]",
            "                                [--profile] [--fedsyncd-java-opts OPTS] [--keep]",
            "",
            "Measures fedsyncd's federation from the outside (issue 14, item 8): fresh etcds for host, host2 and N",
            "members, a Kubernetes API stand-in (test fixture) over each, bin/fedsyncd (a cold JVM) mirroring",
            "host<->host2 and federating, the members joined with bin/fedsyncctl join; then U users created on",
            "host through its API, and etcd watches on every member record when each arrives.",
            "",
            "  --users U           users created on host (1000)",
            "  --members N         member clusters joined (5)",
            "  --repeat R          R runs, each on fresh etcds and a fresh fedsyncd; report each and the medians (1)",
            "  --clients C         client threads creating the users through host's API, each create waiting for",
            "                      the previous one of its thread (8)",
            "  --rate R            creates per second over all clients (default 0: as fast as the API answers)",
            "  --resync D          federation.resync of fedsyncd's config (30s, the default of fedsyncd)",
            "  --workers W         federation.workers of fedsyncd's config (default: not set, fedsyncd's default 64)",
            "  --settle-seconds S  after the last arrival, keep counting member writes this long: writes beyond one",
            "                      per user and member are duplicates (5)",
            "  --timeout-seconds T give up waiting for the users on the members after T s (300)",
            "  --profile           run fedsyncd under Java Flight Recorder (settings=profile), keep the .jfr files",
            "                      and print the hottest methods from the first create to the last arrival",
            "  --fedsyncd-java-opts OPTS  FEDSYNC_JAVA_OPTS for bin/fedsyncd (default: none, as a user starts it)",
            "  --keep              keep the work dir (logs, configs, kubeconfigs) also when every run passed");

    static FederationBenchOptions parse(String[] args) {
        int users = 1000;
        int members = 5;
        int repeat = 1;
        int clients = 8;
        int rate = 0;
        String resync = "30s";
        int workers = 0;
        int settle = 5;
        int timeout = 300;
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
                case "-h", "--help" -> throw new BenchOptions.UsageException(null);
                case "--profile" -> profile = true;
                case "--keep" -> keep = true;
                case "--users" -> users = BenchOptions.positive(name, value(list, ++i, name));
                case "--members" -> members = BenchOptions.positive(name, value(list, ++i, name));
                case "--repeat" -> repeat = BenchOptions.positive(name, value(list, ++i, name));
                case "--clients" -> clients = BenchOptions.positive(name, value(list, ++i, name));
                case "--rate" -> {
                    String v = value(list, ++i, name);
                    rate = v.equals("0") ? 0 : BenchOptions.positive(name, v);
                }
                case "--resync" -> resync = value(list, ++i, name);
                case "--workers" -> workers = BenchOptions.positive(name, value(list, ++i, name));
                case "--settle-seconds" -> settle = BenchOptions.positive(name, value(list, ++i, name));
                case "--timeout-seconds" -> timeout = BenchOptions.positive(name, value(list, ++i, name));
                case "--fedsyncd-java-opts" -> javaOpts = value(list, ++i, name);
                default -> throw new BenchOptions.UsageException("unknown option '" + name + "'");
            }
        }
        if (!resync.matches("\\d+(ms|s|m|h)")) {
            throw new BenchOptions.UsageException("--resync takes a duration such as 30s or 2m, not '" + resync + "'");
        }
        if (members > 50) {
            throw new BenchOptions.UsageException("--members is at most 50 (each is an etcd process and an API)");
        }
        return new FederationBenchOptions(users, members, repeat, clients, rate, resync, workers, settle, timeout,
                profile, javaOpts, keep);
    }

    private static String value(List<String> list, int i, String name) {
        if (i >= list.size()) {
            throw new BenchOptions.UsageException(name + " needs a value");
        }
        return list.get(i);
    }
}
