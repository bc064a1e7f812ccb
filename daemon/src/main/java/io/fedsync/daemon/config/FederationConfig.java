package io.fedsync.daemon.config;

import io.fedsync.federation.DriftPolicy;
import io.fedsync.federation.Profile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The validated {@code federation:} section: what is copied to member clusters and how, and the
 * host clusters' kubeconfigs federation reads the hosts through. Present in {@link DaemonConfig}
 * only when the config file has a {@code federation:} section.
 *
 * @param profile     {@code federation.profile}: what the KubeSphere version federates
 * @param driftPolicy {@code federation.driftPolicy}: what to do with a member's edited copy
 * @param resync      {@code federation.resync}: how often every member is compared with the hosts
 * @param workers     {@code federation.workers}: members' writes in parallel
 * @param hosts       by cluster name, in config order: every host cluster that declares a kubeconfig
 *                    (at least one)
 */
public record FederationConfig(Profile profile, DriftPolicy driftPolicy, Duration resync, int workers,
                               Map<String, HostKube> hosts) {

    public static final Profile DEFAULT_PROFILE = Profile.KUBESPHERE_V3;
    public static final DriftPolicy DEFAULT_DRIFT_POLICY = DriftPolicy.OVERWRITE;
    public static final Duration DEFAULT_RESYNC = Duration.ofSeconds(30);
    public static final Duration MIN_RESYNC = Duration.ofSeconds(1);
    public static final int DEFAULT_WORKERS = 64;
    public static final int MAX_WORKERS = 256;

    /**
     * A host cluster's Kubernetes API access: a kubeconfig, referred to by path. Its content (it may
     * hold tokens or keys) is never read by the config code and never logged.
     *
     * @param cluster    the host cluster's name ({@code clusters[].name})
     * @param kubeconfig absolute path ({@code clusters[].kubeconfig}, resolved against the config file's dir)
     * @param context    {@code clusters[].context}, or null for the kubeconfig's current context
     */
    public record HostKube(String cluster, Path kubeconfig, String context) {
        public HostKube {
            Objects.requireNonNull(cluster, "cluster");
            Objects.requireNonNull(kubeconfig, "kubeconfig");
        }
    }

    public FederationConfig {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(driftPolicy, "driftPolicy");
        Objects.requireNonNull(resync, "resync");
        if (resync.compareTo(MIN_RESYNC) < 0) {
            throw new IllegalArgumentException("resync " + resync + " is below " + MIN_RESYNC);
        }
        if (workers < 1 || workers > MAX_WORKERS) {
            throw new IllegalArgumentException("workers " + workers + " is outside 1.." + MAX_WORKERS);
        }
        hosts = Collections.unmodifiableMap(new LinkedHashMap<>(hosts));
    }

    /** The effective settings as one log line: names and numbers only. */
    public String describe() {
        return "federation: profile=" + profile.configName() + " driftPolicy=" + driftPolicy.configName()
                + " resync=" + format(resync) + " workers=" + workers;
    }

    /** A duration as written in config: {@code 30s}, {@code 5m}, {@code 1h}, {@code 1500ms}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
