package io.fedsync.itest.bench;

import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.mirror.ClusterEndpoint;
import io.fedsync.mirror.MirrorEngine;
import io.fedsync.mirror.MirrorSettings;
import io.fedsync.mirror.MirrorStatus;
import io.fedsync.mirror.state.InMemoryStateStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One of the two mirrors under test, running from a pair's source to its destination. */
interface MirrorTool extends AutoCloseable {

    String FEDSYNC = "fedsync";
    String MAKE_MIRROR = "make-mirror";

    String name();

    /** Starts mirroring; returns once the tool runs (fedsync: loaded and watching). */
    void start(EtcdPair pair) throws IOException;

    /** What runs, for the report (a command line, or the engine's settings). */
    String describe();

    /** Why the tool stopped working, or null while it works. */
    String failure();

    /** The tool's own process, when it has one (for CPU accounting). */
    OptionalLong pid();

    /** The tool's counters (fedsync's MirrorStatus counters), or an empty map. */
    Map<String, Long> counters();

    @Override
    void close();

    static MirrorTool create(String name, String prefix, Path workDir) {
        return name.equals(FEDSYNC) ? new Fedsync(prefix) : new MakeMirror(prefix, workDir);
    }

    /** fedsync's engine in this JVM: both clusters, bidirectional, policy hold, in-memory state. */
    final class Fedsync implements MirrorTool {
        private static final Logger LOG = LoggerFactory.getLogger(Fedsync.class);
        private final String prefix;
        private MirrorSettings settings;
        private MirrorEngine engine;

        Fedsync(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public String name() {
            return FEDSYNC;
        }

        @Override
        public void start(EtcdPair pair) {
            settings = MirrorSettings.of(List.of(ClusterEndpoint.plain("host", pair.src.endpoint()),
                    ClusterEndpoint.plain("host2", pair.dst.endpoint())), List.of(prefix), new ResolutionPolicy.Hold());
            engine = new MirrorEngine(settings, new InMemoryStateStore());
            Cleanup.register("fedsync mirror engine", engine);
            engine.start();
            LOG.info("fedsync engine started: {}", describe());
        }

        @Override
        public String describe() {
            MirrorSettings s = settings;
            if (s == null) {
                return "MirrorEngine (not started)";
            }
            return "MirrorEngine in-process, clusters host=" + s.clusters().get(0).endpoints().get(0) + " (source) <-> host2="
                    + s.clusters().get(1).endpoints().get(0) + " (destination), prefix " + prefix + ", policy "
                    + s.policy().name() + ", batchKeys " + s.batchKeys() + ", maxInFlightTxns " + s.maxInFlightTxns()
                    + ", requestTimeout " + s.requestTimeout().toMillis() + " ms";
        }

        @Override
        public String failure() {
            if (engine == null) {
                return "not started";
            }
            return engine.healthy() ? null : engine.unhealthyReason();
        }

        @Override
        public OptionalLong pid() {
            return OptionalLong.empty();
        }

        @Override
        public Map<String, Long> counters() {
            return engine == null ? Map.of() : engine.status().counters();
        }

        MirrorStatus status() {
            return engine.status();
        }

        @Override
        public void close() {
            if (engine != null) {
                Cleanup.close(engine);
                engine = null;
            }
        }
    }

    /** {@code etcdctl make-mirror} as a child process; it never exits by itself. */
    final class MakeMirror implements MirrorTool {
        private static final Logger LOG = LoggerFactory.getLogger(MakeMirror.class);
        private final String prefix;
        private final Path workDir;
        private List<String> command = List.of();
        private Path logFile;
        private Process process;

        MakeMirror(String prefix, Path workDir) {
            this.prefix = prefix;
            this.workDir = workDir;
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
        public void start(EtcdPair pair) throws IOException {
            command = List.of(etcdctl().toString(), "--endpoints=" + pair.src.endpoint(), "make-mirror",
                    "--prefix=" + prefix, pair.dst.endpoint());
            logFile = workDir.resolve("make-mirror-" + pair.src.name() + ".log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            pb.environment().keySet().removeIf(k -> k.startsWith("ETCDCTL"));
            pb.environment().put("ETCDCTL_API", "3");
            process = pb.start();
            Cleanup.register("make-mirror pid " + process.pid(), this);
            LOG.info("make-mirror started: pid {}: {}", process.pid(), describe());
        }

        @Override
        public String describe() {
            return "ETCDCTL_API=3 " + String.join(" ", command);
        }

        @Override
        public String failure() {
            if (process == null) {
                return "not started";
            }
            if (process.isAlive()) {
                return null;
            }
            return "make-mirror exited with " + process.exitValue() + "; output: " + tail();
        }

        private String tail() {
            try {
                List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
                return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
            } catch (IOException e) {
                return "(no output: " + e + ")";
            }
        }

        /** What make-mirror printed (its running total every 30 s, errors). */
        List<String> output() {
            try {
                return logFile == null || !Files.exists(logFile) ? List.of() : Files.readAllLines(logFile);
            } catch (IOException e) {
                return new ArrayList<>();
            }
        }

        @Override
        public OptionalLong pid() {
            return process != null && process.isAlive() ? OptionalLong.of(process.pid()) : OptionalLong.empty();
        }

        @Override
        public Map<String, Long> counters() {
            return Map.of();
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
