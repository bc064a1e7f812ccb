package io.fedsync.itest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.itest.fixture.EtcdProcess;
import io.fedsync.itest.fixture.FedsyncdLauncher;
import io.fedsync.itest.fixture.FedsyncdProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One of the two mirrors under test, each a process of its own launched as a user launches it:
 * {@code etcdctl make-mirror} (one way, source → destination) or {@code bin/fedsyncd --config}
 * (bidirectional between the two).
 */
interface MirrorTool extends AutoCloseable {

    String FEDSYNC = "fedsync";
    String MAKE_MIRROR = "make-mirror";

    String name();

    /** Launches the process; returns as soon as it is launched (the sync clock starts here). */
    void launch(EtcdProcess source, EtcdProcess destination, Path dir) throws IOException;

    /** The process (fedsyncd's JVM: bin/fedsyncd execs java). */
    long pid();

    /** label → pid of every process of the tool (one, or one per replica), for {@link CpuMeter}. */
    default Map<String, Long> pids() {
        return Map.of(name(), pid());
    }

    /** What runs, as a command line. */
    String describe();

    /** Why the process stopped, or null while it runs. */
    String failure();

    /** True once it says it is up (fedsync: every cluster {@code live} in /api/v1/status; make-mirror: always). */
    boolean saysReady();

    /** fedsync's /api/v1/status counters (read while it runs), or an empty map. */
    Map<String, Long> counters();

    /** The last lines of its output. */
    String logTail(int lines);

    /** Stops it (SIGTERM, then SIGKILL); a JFR recording is written on the way out. */
    @Override
    void close();

    /** {@code fedsync}, {@code make-mirror}, or {@code fedsync-N}: a Raft group of N fedsyncd replicas. */
    static MirrorTool create(String name, String prefix, String fedsyncdJavaOpts) {
        if (name.equals(FEDSYNC)) {
            return new Fedsyncd(prefix, fedsyncdJavaOpts);
        }
        if (name.equals(MAKE_MIRROR)) {
            return new MakeMirror(prefix);
        }
        return new FedsyncGroup(replicasOf(name), prefix, fedsyncdJavaOpts);
    }

    /** N of a tool named {@code fedsync-N} (N >= 2), else 0. */
    static int replicasOf(String name) {
        if (name.matches("fedsync-[0-9]{1,2}")) {
            int n = Integer.parseInt(name.substring("fedsync-".length()));
            return n >= 2 ? n : 0;
        }
        return 0;
    }

    /**
     * A Raft group of N {@code bin/fedsyncd} replicas (node.raft and peers in each config) over the
     * two etcds; only the leader mirrors. Its CPU is every replica's.
     */
    final class FedsyncGroup implements MirrorTool {
        private static final Logger LOG = LoggerFactory.getLogger(FedsyncGroup.class);
        private final int size;
        private final String prefix;
        private final String javaOpts;
        private ReplicaGroup group;

        FedsyncGroup(int size, String prefix, String javaOpts) {
            this.size = size;
            this.prefix = prefix;
            this.javaOpts = javaOpts;
        }

        @Override
        public String name() {
            return "fedsync-" + size;
        }

        @Override
        public void launch(EtcdProcess source, EtcdProcess destination, Path dir) {
            group = Cleanup.register("fedsyncd group", ReplicaGroup.launch(dir, size, source, destination, prefix,
                    javaOpts));
        }

        @Override
        public long pid() {
            return group == null ? -1 : group.mirroringLeader().map(id -> group.replica(id).pid()).orElse(-1L);
        }

        @Override
        public Map<String, Long> pids() {
            return group == null ? Map.of() : group.pids();
        }

        @Override
        public String describe() {
            return group == null ? "bin/fedsyncd x " + size + " (not launched)"
                    : size + " replicas, each bin/fedsyncd --config <its own> (" + group.describe() + ")";
        }

        @Override
        public String failure() {
            return group == null ? "not launched" : group.failure();
        }

        @Override
        public boolean saysReady() {
            return group != null && group.allReadyWithOneLeader() && group.mirroringLeader().isPresent();
        }

        @Override
        public Map<String, Long> counters() {
            Map<String, Long> out = new TreeMap<>();
            if (group != null) {
                group.mirroringLeader().flatMap(group::status).ifPresent(s -> s.path("counters").properties()
                        .forEach(e -> out.put(e.getKey(), e.getValue().asLong())));
            }
            return out;
        }

        @Override
        public String logTail(int lines) {
            return group == null ? "" : group.logTails(lines);
        }

        @Override
        public void close() {
            if (group != null) {
                group.close();
                Cleanup.forget(group);
                LOG.debug("fedsyncd group of {} stopped", size);
            }
        }
    }

    /** {@code bin/fedsyncd --config} with clusters host (source) and host2 (destination), policy hold. */
    final class Fedsyncd implements MirrorTool {
        private static final Logger LOG = LoggerFactory.getLogger(Fedsyncd.class);
        private final String prefix;
        private final String javaOpts;
        private FedsyncdLauncher daemon;

        Fedsyncd(String prefix, String javaOpts) {
            this.prefix = prefix;
            this.javaOpts = javaOpts;
        }

        @Override
        public String name() {
            return FEDSYNC;
        }

        @Override
        public void launch(EtcdProcess source, EtcdProcess destination, Path dir) {
            FedsyncdProcess.Builder config = FedsyncdProcess.builder(dir).cluster("host", source)
                    .cluster("host2", destination).prefixes(List.of(prefix)).policy("hold");
            daemon = Cleanup.register("fedsyncd", FedsyncdLauncher.launch(dir, config, javaOpts));
        }

        FedsyncdLauncher daemon() {
            return daemon;
        }

        @Override
        public long pid() {
            return daemon == null ? -1 : daemon.pid();
        }

        @Override
        public String describe() {
            return daemon == null ? "bin/fedsyncd (not launched)" : daemon.describe();
        }

        @Override
        public String failure() {
            if (daemon == null) {
                return "not launched";
            }
            return daemon.exitCode().map(c -> "fedsyncd exited with " + c + "; log " + daemon.logFile() + ":\n"
                    + daemon.logTail(20)).orElse(null);
        }

        @Override
        public boolean saysReady() {
            return daemon != null && daemon.allClustersLive();
        }

        @Override
        public Map<String, Long> counters() {
            Map<String, Long> out = new TreeMap<>();
            Optional<JsonNode> status = daemon == null ? Optional.empty() : daemon.status();
            status.ifPresent(s -> s.path("counters").properties().forEach(e -> out.put(e.getKey(),
                    e.getValue().asLong())));
            return out;
        }

        @Override
        public String logTail(int lines) {
            return daemon == null ? "" : daemon.logTail(lines);
        }

        @Override
        public void close() {
            if (daemon != null) {
                int code = daemon.stop(Duration.ofSeconds(30));
                Cleanup.forget(daemon);
                LOG.debug("fedsyncd stopped with {}", code);
            }
        }
    }

    /** {@code etcdctl make-mirror --prefix=P DEST} against the source; it never exits by itself. */
    final class MakeMirror implements MirrorTool {
        private static final Logger LOG = LoggerFactory.getLogger(MakeMirror.class);
        private final String prefix;
        private List<String> command = List.of();
        private Path logFile;
        private Process process;

        MakeMirror(String prefix) {
            this.prefix = prefix;
        }

        static Path etcdctl() {
            String configured = System.getProperty("fedsync.etcdctl.binary");
            if (configured != null && !configured.isBlank()) {
                return Paths.get(configured);
            }
            Path debian = Paths.get("/usr/bin/etcdctl");
            if (Files.isExecutable(debian)) {
                return debian;
            }
            String path = System.getenv().getOrDefault("PATH", "");
            return Stream.of(path.split(java.io.File.pathSeparator)).map(d -> Paths.get(d, "etcdctl"))
                    .filter(Files::isExecutable).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no etcdctl: apt-get install -y etcd-client"));
        }

        static String version() {
            try {
                ProcessBuilder pb = new ProcessBuilder(etcdctl().toString(), "version");
                pb.environment().put("ETCDCTL_API", "3");
                pb.redirectErrorStream(true);
                Process p = pb.start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor(10, TimeUnit.SECONDS);
                return out.lines().filter(l -> l.startsWith("etcdctl version")).findFirst()
                        .map(l -> l.replace("etcdctl version:", "").trim()).orElse(out.trim());
            } catch (IOException | InterruptedException | RuntimeException e) {
                return "unknown (" + e + ")";
            }
        }

        @Override
        public String name() {
            return MAKE_MIRROR;
        }

        @Override
        public void launch(EtcdProcess source, EtcdProcess destination, Path dir) throws IOException {
            Files.createDirectories(dir);
            command = List.of(etcdctl().toString(), "--endpoints=" + source.endpoint(), "make-mirror",
                    "--prefix=" + prefix, destination.endpoint());
            logFile = dir.resolve("make-mirror.log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            pb.environment().keySet().removeIf(k -> k.startsWith("ETCDCTL"));
            pb.environment().put("ETCDCTL_API", "3");
            process = pb.start();
            Cleanup.register("make-mirror pid " + process.pid(), this);
            LOG.info("make-mirror launched: pid {}: {}", process.pid(), describe());
        }

        @Override
        public long pid() {
            return process == null ? -1 : process.pid();
        }

        @Override
        public String describe() {
            return "ETCDCTL_API=3 " + String.join(" ", command);
        }

        @Override
        public String failure() {
            if (process == null) {
                return "not launched";
            }
            if (process.isAlive()) {
                return null;
            }
            return "make-mirror exited with " + process.exitValue() + "; output: " + logTail(5);
        }

        @Override
        public boolean saysReady() {
            return true;
        }

        @Override
        public Map<String, Long> counters() {
            return Map.of();
        }

        @Override
        public String logTail(int lines) {
            try {
                List<String> all = logFile == null || !Files.exists(logFile) ? List.of() : Files.readAllLines(logFile);
                return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
            } catch (IOException e) {
                return "(no output: " + e + ")";
            }
        }

        @Override
        public void close() {
            Process p = process;
            if (p == null) {
                return;
            }
            if (p.isAlive()) {
                p.destroy();
                try {
                    if (!p.waitFor(5, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        p.waitFor(5, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
            Cleanup.forget(this);
        }
    }
}
