package io.fedsync.daemon;

import io.fedsync.daemon.config.ConfigLoader;
import io.fedsync.daemon.config.DaemonConfig;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fedsyncd --config FILE [--check]}: validates the config, or runs the mirror and the
 * HTTP API until SIGTERM/SIGINT.
 *
 * <p>Exit codes: 0 ok, 2 bad usage, bad config or failed start (one line on stderr, the stack
 * trace only at debug level: operators fix configs, they should not have to read traces).
 */
@Command(name = "fedsyncd", mixinStandardHelpOptions = true, versionProvider = FedsyncdMain.Version.class,
        description = "Mirrors etcd key prefixes between clusters in every direction and serves its HTTP API.")
public final class FedsyncdMain implements Callable<Integer> {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 2;

    private static final Logger LOG = LoggerFactory.getLogger(FedsyncdMain.class);

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
            description = "The config file, e.g. /etc/fedsync/fedsync.yaml.")
    private Path config;

    @Option(names = "--check", description = "Validate the config file, print \"config OK\" and exit.")
    private boolean check;

    private final MirrorFactory factory;
    private final PrintWriter out;
    private final PrintWriter err;
    private boolean ranUntilStopped;

    private FedsyncdMain(MirrorFactory factory, PrintWriter out, PrintWriter err) {
        this.factory = factory;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        // gRPC (inside jetcd) logs through java.util.logging: route it to SLF4J like everything else.
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        launch(args, Exit.system(), MirrorFactory.engine(),
                new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8));
    }

    /**
     * Runs the command and ends through {@code exit}, except after a normal run: that ends with a
     * signal, and the JVM is already shutting down when the daemon has stopped.
     */
    public static void launch(String[] args, Exit exit, MirrorFactory factory, PrintWriter out, PrintWriter err) {
        FedsyncdMain command = new FedsyncdMain(factory, out, err);
        int code = execute(command, args);
        out.flush();
        err.flush();
        if (!command.ranUntilStopped) {
            exit.exit(code);
        }
    }

    /** Runs the command and returns its exit code, without exiting: for tests. */
    public static int execute(String[] args, MirrorFactory factory, PrintWriter out, PrintWriter err) {
        return execute(new FedsyncdMain(factory, out, err), args);
    }

    private static int execute(FedsyncdMain command, String[] args) {
        return new CommandLine(command)
                .setOut(command.out)
                .setErr(command.err)
                .setExecutionExceptionHandler((e, cmd, parsed) -> command.failed(e))
                .execute(args);
    }

    @Override
    public Integer call() throws InterruptedException {
        DaemonConfig cfg = ConfigLoader.load(config);
        if (check) {
            if (cfg.federation() != null) {
                // The hosts' kubeconfigs as fedsyncd would read them at start (nothing is sent).
                for (io.fedsync.daemon.config.FederationConfig.HostKube h : cfg.federation().hosts().values()) {
                    try {
                        io.fedsync.federation.KubeCluster.connect(h.cluster(), h.kubeconfig(), h.context())
                                .warnings().forEach(w -> out.println("warning: " + w));
                    } catch (IllegalArgumentException e) {
                        throw new io.fedsync.daemon.config.ConfigException("invalid config " + config
                                + ": clusters[].kubeconfig: " + e.getMessage(), e);
                    }
                }
            }
            out.println("config OK");
            return EXIT_OK;
        }
        Daemon daemon = Daemon.start(cfg, factory);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopOnSignal(daemon), "fedsyncd-shutdown"));
        daemon.awaitStop();
        ranUntilStopped = true;
        return EXIT_OK;
    }

    /**
     * SIGTERM/SIGINT: stop everything in order, then end with exit code 0, as systemd expects of a
     * clean stop (the JVM would otherwise report 143, "killed by SIGTERM", after a clean stop too).
     */
    private static void stopOnSignal(Daemon daemon) {
        daemon.close();
        if (Boolean.parseBoolean(System.getProperty("fedsyncd.exitZeroOnSignal", "true"))) {
            System.out.flush();
            System.err.flush();
            if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext lc) {
                lc.stop();
            }
            Runtime.getRuntime().halt(EXIT_OK);
        }
    }

    private int failed(Exception e) {
        if (e instanceof DaemonException) {
            err.println(e.getMessage());
            LOG.debug("fedsyncd stopped", e);
        } else {
            err.println("fedsyncd failed to start: " + e + " (set FEDSYNC_LOG_LEVEL=DEBUG for the stack trace)");
            LOG.debug("fedsyncd failed to start", e);
        }
        return EXIT_FAILED;
    }

    /** The version from the jar manifest (Maven writes Implementation-Version). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = FedsyncdMain.class.getPackage().getImplementationVersion();
            return new String[] {"fedsyncd " + (v == null ? "(development build)" : v)};
        }
    }
}
