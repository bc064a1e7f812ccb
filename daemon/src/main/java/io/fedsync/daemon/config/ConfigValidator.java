package io.fedsync.daemon.config;

import com.fasterxml.jackson.core.JsonPointer;
import io.fedsync.conflict.ObjectNormaliser;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.daemon.state.DataDirs;
import io.fedsync.federation.DriftPolicy;
import io.fedsync.federation.Profile;
import io.fedsync.mirror.ClusterEndpoint;
import io.fedsync.mirror.EtcdTls;
import io.fedsync.mirror.EtcdTlsException;
import io.fedsync.mirror.MirrorSettings;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns a bound {@link ConfigFile} into a {@link DaemonConfig}, collecting every problem rather
 * than stopping at the first, so one run of {@code fedsyncd --check} lists all of them.
 *
 * <p>Relative paths are resolved against the config file's directory, not the working
 * directory, so a config means the same thing however the daemon is started (systemd, a shell).
 */
final class ConfigValidator {

    static final List<String> DEFAULT_PREFIXES =
            List.of("/registry/iam.kubesphere.io/", "/registry/tenant.kubesphere.io/");

    /** etcd's default {@code --max-request-bytes}: 1.5 MiB. */
    static final int ETCD_REQUEST_LIMIT_BYTES = 1_572_864;
    /** The largest {@code mirror.maxValueBytes}: the default, leaving room in the Txn for the rest. */
    static final int MAX_VALUE_BYTES = MirrorSettings.DEFAULT_MAX_VALUE_BYTES;

    private static final Pattern NAME = Pattern.compile("[a-z0-9-]+");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)?");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern DNS_NAME =
            Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");

    private final Path source;
    private final YamlLines lines;
    private final Path baseDir;
    private final List<String> problems = new ArrayList<>();
    /** {@code clusters[].kubeconfig} by cluster name, in config order (paths only). */
    private final Map<String, FederationConfig.HostKube> kubeconfigs = new LinkedHashMap<>();
    /** How many clusters declare a kubeconfig, usable or not. */
    private int kubeconfigsDeclared;

    private ConfigValidator(Path source, YamlLines lines) {
        this.source = source;
        this.lines = lines;
        Path parent = source.toAbsolutePath().getParent();
        this.baseDir = parent == null ? Path.of("").toAbsolutePath() : parent;
    }

    static DaemonConfig validate(ConfigFile file, Path source, YamlLines lines) {
        return new ConfigValidator(source, lines).run(file);
    }

    private DaemonConfig run(ConfigFile file) {
        ConfigFile.Node node = file.node();
        String nodeId = null;
        Path dataDir = null;
        long snapshotEvery = 0;
        Duration electionTimeout = null;
        if (node == null) {
            missing("node");
        } else {
            nodeId = name(node.id(), "node.id");
            dataDir = dataDir(node.dataDir());
            snapshotEvery = snapshotEvery(node.snapshotEvery(), file.peers() != null && !file.peers().isEmpty());
            electionTimeout = electionTimeout(node.electionTimeout(), file.peers() != null && !file.peers().isEmpty());
        }
        ListenAddress listen = listen(file.http());
        io.fedsync.daemon.http.ApiToken apiToken = tokenFile(file.http());
        io.fedsync.daemon.http.ApiTls apiTls = httpTls(file.http());
        List<DaemonConfig.RaftPeer> peers = peers(file.peers(), nodeId, node == null ? null : node.raft());
        List<ClusterEndpoint> clusters = clusters(file.clusters());
        ConfigFile.Mirror m = file.mirror() != null ? file.mirror()
                : new ConfigFile.Mirror(null, null, null, null, null, null, null, null, null);
        boolean force = Boolean.TRUE.equals(m.force());
        List<String> prefixes = m.prefixes() != null ? m.prefixes() : DEFAULT_PREFIXES;
        if (prefixes.isEmpty()) {
            invalid("mirror.prefixes", "is empty: list at least one prefix, or leave it out for the defaults "
                    + DEFAULT_PREFIXES);
        }
        PrefixRules.check(prefixes, force, "mirror.prefixes").forEach(p -> problems.add(sentence(p)));
        ResolutionPolicy policy = policy(m, clusters);
        List<String> ignored = ignoredFields(m.ignoredFields());
        int maxValueBytes = maxValueBytes(m.maxValueBytes());
        Duration verifyInterval = duration(m.verifyInterval(), "mirror.verifyInterval",
                MirrorSettings.DEFAULT_VERIFY_INTERVAL);
        Duration tombstoneRetention = duration(m.tombstoneRetention(), "mirror.tombstoneRetention",
                MirrorSettings.DEFAULT_TOMBSTONE_RETENTION);
        MirrorSettings.FlipFlopLimit flipFlop = flipFlop(m.flipFlop());
        FederationConfig federation = federation(file.federation());
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        MirrorSettings settings;
        try {
            settings = MirrorSettings.of(clusters, prefixes, policy).withNodeId(nodeId).withIgnoredFields(ignored)
                    .withMaxValueBytes(maxValueBytes).withVerify(verifyInterval, tombstoneRetention)
                    .withFlipFlop(flipFlop);
        } catch (IllegalArgumentException e) {
            // The checks above should have caught it; still, report it as config, not as a crash.
            throw new ConfigException("invalid mirror settings in " + source + ": " + e.getMessage(), e);
        }
        return new DaemonConfig(source.toAbsolutePath(), nodeId, dataDir, listen, peers, settings, force,
                snapshotEvery, electionTimeout, apiToken, apiTls, kubeconfigs, federation);
    }

    /**
     * {@code federation}: off when the section is absent; {@code federation:} written with no keys
     * is on with every default. Needs a kubeconfig on at least one host cluster.
     */
    private FederationConfig federation(ConfigFile.Federation f) {
        if (f == null) {
            if (!lines.present("federation")) {
                return null;
            }
            f = new ConfigFile.Federation(null, null, null, null);
        }
        Profile profile = FederationConfig.DEFAULT_PROFILE;
        if (f.profile() != null) {
            try {
                profile = Profile.parse(f.profile());
            } catch (IllegalArgumentException e) {
                invalid("federation.profile", e.getMessage());
            }
        }
        DriftPolicy drift = FederationConfig.DEFAULT_DRIFT_POLICY;
        if (f.driftPolicy() != null) {
            try {
                drift = DriftPolicy.parse(f.driftPolicy());
            } catch (IllegalArgumentException e) {
                invalid("federation.driftPolicy", e.getMessage());
            }
        }
        Duration resync = duration(f.resync(), "federation.resync", FederationConfig.DEFAULT_RESYNC);
        if (resync.compareTo(FederationConfig.MIN_RESYNC) < 0) {
            invalid("federation.resync", "'" + f.resync() + "' is below the minimum 1s (how often every member is"
                    + " compared with the hosts, e.g. 30s)");
            resync = FederationConfig.DEFAULT_RESYNC;
        }
        int workers = FederationConfig.DEFAULT_WORKERS;
        if (f.workers() != null) {
            if (f.workers().signum() <= 0 || f.workers().compareTo(BigInteger.valueOf(FederationConfig.MAX_WORKERS)) > 0) {
                invalid("federation.workers", f.workers() + " is outside the allowed range 1.."
                        + FederationConfig.MAX_WORKERS + " (members written to in parallel)");
            } else {
                workers = f.workers().intValueExact();
            }
        }
        if (kubeconfigsDeclared == 0) {
            invalid("federation", "federation needs a kubeconfig on at least one host cluster: add"
                    + " clusters[i].kubeconfig (the path of a kubeconfig for that host's Kubernetes API)");
            return null;
        }
        return new FederationConfig(profile, drift, resync, workers, kubeconfigs);
    }

    /**
     * {@code clusters[i].kubeconfig} and {@code context}: the path must name a readable regular
     * file; its content (it may hold tokens) is not read here, by anything in config.
     */
    private void kubeconfig(ConfigFile.Cluster c, String at, String name) {
        if (c.kubeconfig() == null) {
            if (c.context() != null) {
                invalid(at + ".context", "is set without " + at + ".kubeconfig: a context names one of the"
                        + " kubeconfig's contexts; add kubeconfig or remove context");
            }
            return;
        }
        kubeconfigsDeclared++;
        int before = problems.size();
        Path file = readableFile(c.kubeconfig(), at + ".kubeconfig");
        if (c.context() != null && c.context().isBlank()) {
            invalid(at + ".context", "is empty: name one of the kubeconfig's contexts, or leave it out for its"
                    + " current context");
        }
        if (file != null && problems.size() == before && name != null) {
            kubeconfigs.put(name, new FederationConfig.HostKube(name, file, c.context()));
        }
    }

    /**
     * A value travels in one etcd Txn together with its key (compared and put), fedsync's
     * metadata key and record, the fence compare and protobuf framing, and etcd refuses requests
     * over {@code --max-request-bytes} (1.5 MiB by default). The default, 1,400,000 bytes, leaves
     * 172,864 bytes for the rest, so it is also the ceiling.
     */
    /** Raft log entries between snapshots (the log is then kept back to the last snapshot only). */
    private long snapshotEvery(BigInteger value, boolean replicated) {
        if (value == null) {
            return 0;
        }
        if (!replicated) {
            invalid("node.snapshotEvery", "is set but there are no peers: a single fedsyncd keeps no Raft log");
            return 0;
        }
        if (value.compareTo(BigInteger.TWO) < 0 || value.compareTo(BigInteger.valueOf(10_000_000)) > 0) {
            invalid("node.snapshotEvery", value + " is outside the allowed range 2..10000000 (log entries between"
                    + " snapshots)");
            return 0;
        }
        return value.longValueExact();
    }

    /**
     * The shortest Raft election timeout ({@code 400ms}, {@code 2s}); the longest is twice that. A
     * failover takes about this plus a few hundred milliseconds; replicas far apart (another region)
     * need it well above their round trip and GC pauses.
     */
    private Duration electionTimeout(String value, boolean replicated) {
        if (value == null) {
            return null;
        }
        if (!replicated) {
            invalid("node.electionTimeout", "is set but there are no peers: a single fedsyncd holds no elections");
            return null;
        }
        Duration d = duration(value, "node.electionTimeout", null);
        if (d == null) {
            return null;
        }
        if (d.compareTo(MIN_ELECTION_TIMEOUT) < 0 || d.compareTo(MAX_ELECTION_TIMEOUT) > 0) {
            invalid("node.electionTimeout", "'" + value + "' is outside the allowed range 100ms..60s (the shortest"
                    + " election timeout; the longest is twice that)");
            return null;
        }
        return d;
    }

    /**
     * {@code mirror.flipFlop}: a key is frozen once its content comes back to an earlier one more
     * than {@code returns} times (0: never) within {@code window}.
     */
    private MirrorSettings.FlipFlopLimit flipFlop(ConfigFile.FlipFlop f) {
        MirrorSettings.FlipFlopLimit d = MirrorSettings.FlipFlopLimit.DEFAULT;
        if (f == null) {
            return d;
        }
        int returns = d.returns();
        if (f.returns() != null) {
            if (f.returns().signum() < 0 || f.returns().compareTo(BigInteger.valueOf(1000)) > 0) {
                invalid("mirror.flipFlop.returns", f.returns() + " is outside the allowed range 0..1000 (0 turns the"
                        + " flip-flop guard off)");
            } else {
                returns = f.returns().intValueExact();
            }
        }
        Duration window = duration(f.window(), "mirror.flipFlop.window", d.window());
        if (window.isZero() || window.compareTo(Duration.ofDays(1)) > 0) {
            invalid("mirror.flipFlop.window", "'" + f.window() + "' is outside the allowed range 1s..24h");
            window = d.window();
        }
        return new MirrorSettings.FlipFlopLimit(returns, window);
    }

    private static final Duration MIN_ELECTION_TIMEOUT = Duration.ofMillis(100);
    private static final Duration MAX_ELECTION_TIMEOUT = Duration.ofSeconds(60);

    private int maxValueBytes(BigInteger value) {
        if (value == null) {
            return MirrorSettings.DEFAULT_MAX_VALUE_BYTES;
        }
        if (value.signum() <= 0 || value.compareTo(BigInteger.valueOf(MAX_VALUE_BYTES)) > 0) {
            invalid("mirror.maxValueBytes", value + " is outside the allowed range 1.." + MAX_VALUE_BYTES
                    + ": a value is written in one etcd Txn together with its key and fedsync's metadata, and etcd "
                    + "refuses requests over " + ETCD_REQUEST_LIMIT_BYTES + " bytes (1.5 MiB, its default "
                    + "--max-request-bytes)");
            return MirrorSettings.DEFAULT_MAX_VALUE_BYTES;
        }
        return value.intValueExact();
    }

    private String name(String value, String key) {
        if (value == null) {
            missing(key);
            return null;
        }
        if (!NAME.matcher(value).matches()) {
            invalid(key, "'" + value + "' must consist of lower-case letters, digits and '-'");
        }
        return value;
    }

    private Path dataDir(String value) {
        Path dir = path(value, "node.dataDir", true);
        if (dir == null) {
            return null;
        }
        // --check must not create it: DataDirs predicts what creating it at start would meet.
        DataDirs.problem(dir).ifPresent(why -> invalid("node.dataDir", why));
        return dir;
    }

    private ListenAddress listen(ConfigFile.Http http) {
        if (http == null || http.listen() == null) {
            return ListenAddress.DEFAULT;
        }
        ListenAddress listen;
        try {
            listen = ListenAddress.parse(http.listen());
        } catch (IllegalArgumentException e) {
            invalid("http.listen", e.getMessage());
            return ListenAddress.DEFAULT;
        }
        LocalAddresses.problem(listen.host()).ifPresent(why -> invalid("http.listen", why));
        return listen;
    }

    /**
     * {@code http.tokenFile}: one line holding the token mutating API calls must carry. Read here,
     * so that {@code --check} fails as start would; what it holds is never part of a message.
     */
    private io.fedsync.daemon.http.ApiToken tokenFile(ConfigFile.Http http) {
        if (http == null || http.tokenFile() == null) {
            return null;
        }
        int before = problems.size();
        Path file = readableFile(http.tokenFile(), "http.tokenFile");
        if (file == null || problems.size() > before) {
            return null;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8).stream()
                    .map(String::strip).filter(l -> !l.isEmpty()).toList();
        } catch (java.nio.charset.CharacterCodingException e) {
            invalid("http.tokenFile", "file " + file + " is not UTF-8 text: write the token on one line");
            return null;
        } catch (java.io.IOException e) {
            invalid("http.tokenFile", "cannot read file " + file + " (" + e.getClass().getSimpleName() + ")");
            return null;
        }
        if (lines.isEmpty()) {
            invalid("http.tokenFile", "file " + file + " is empty: write the token on one line (e.g. the output of"
                    + " 'openssl rand -hex 32')");
            return null;
        }
        if (lines.size() > 1) {
            invalid("http.tokenFile", "file " + file + " holds " + lines.size() + " lines: it must hold the token on"
                    + " one line");
            return null;
        }
        String token = lines.get(0);
        if (!token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            invalid("http.tokenFile", "the token in file " + file + " has spaces or characters other than printable"
                    + " ASCII; an HTTP header cannot carry it");
            return null;
        }
        return io.fedsync.daemon.http.ApiToken.of(file, token);
    }

    /**
     * The Raft group: every replica with a unique id and a host:port, this node among them. Without
     * {@code peers} fedsyncd is a group of one; {@code node.raft}, when given, must then name this
     * node's own entry of {@code peers}.
     */
    private List<DaemonConfig.RaftPeer> peers(List<ConfigFile.Peer> list, String nodeId, String nodeRaft) {
        if (list == null || list.isEmpty()) {
            if (list != null) {
                invalid("peers", "is empty: list every replica of the group ({id, address}), or leave it out for a"
                        + " single fedsyncd");
            } else if (nodeRaft != null) {
                invalid("node.raft", "is set but there are no peers: list the group's replicas under peers");
            }
            return List.of();
        }
        List<DaemonConfig.RaftPeer> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String at = "peers[" + i + "]";
            ConfigFile.Peer p = list.get(i);
            if (p == null) {
                invalid(at, "is empty: write {id: a, address: 10.0.0.11:7101}");
                continue;
            }
            String id = name(p.id(), at + ".id");
            if (id != null && !ids.add(id)) {
                invalid(at + ".id", "'" + id + "' is listed twice");
            }
            ListenAddress address = null;
            if (p.address() == null) {
                missing(at + ".address");
            } else {
                try {
                    address = ListenAddress.parse(p.address());
                    if (address.port() == 0) {
                        invalid(at + ".address", "'" + p.address() + "' needs a port other than 0");
                        address = null;
                    } else if (!addresses.add(address.toString())) {
                        invalid(at + ".address", "'" + p.address() + "' is used by another peer");
                    }
                } catch (IllegalArgumentException e) {
                    invalid(at + ".address", e.getMessage());
                }
            }
            if (id != null && address != null) {
                out.add(new DaemonConfig.RaftPeer(id, address));
            }
        }
        if (nodeId != null && list.stream().noneMatch(p -> p != null && nodeId.equals(p.id()))) {
            invalid("peers", "does not list this node (node.id " + nodeId + "): every replica lists the whole group,"
                    + " itself included");
        }
        if (nodeRaft != null && nodeId != null) {
            out.stream().filter(p -> p.id().equals(nodeId)).findFirst().ifPresent(self -> {
                try {
                    ListenAddress mine = ListenAddress.parse(nodeRaft);
                    if (!mine.equals(self.address())) {
                        invalid("node.raft", "'" + nodeRaft + "' differs from this node's address in peers ("
                                + self.address() + ")");
                    }
                } catch (IllegalArgumentException e) {
                    invalid("node.raft", e.getMessage());
                }
            });
        }
        return out;
    }

    private List<ClusterEndpoint> clusters(List<ConfigFile.Cluster> list) {
        List<ClusterEndpoint> result = new ArrayList<>();
        if (list == null) {
            missing("clusters");
            return result;
        }
        if (list.size() < 2) {
            invalid("clusters", "lists " + list.size() + " cluster(s); the mirror needs at least 2");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String at = "clusters[" + i + "]";
            ConfigFile.Cluster c = list.get(i);
            if (c == null) {
                invalid(at, "is empty");
                continue;
            }
            String name = name(c.name(), at + ".name");
            if (name != null && !names.add(name)) {
                invalid(at + ".name", "'" + name + "' is used by another cluster; names must be unique");
            }
            kubeconfig(c, at, name);
            ClusterEndpoint endpoint = etcd(c.etcd(), at + ".etcd", name);
            if (endpoint != null) {
                result.add(endpoint);
            }
        }
        return result;
    }

    private ClusterEndpoint etcd(ConfigFile.Etcd etcd, String at, String name) {
        if (etcd == null) {
            missing(at);
            return null;
        }
        List<String> endpoints = etcd.endpoints();
        int before = problems.size();
        if (endpoints == null || endpoints.isEmpty()) {
            if (endpoints == null) {
                missing(at + ".endpoints");
            } else {
                invalid(at + ".endpoints", "is empty: list at least one http:// or https:// URL");
            }
            endpoints = List.of();
        }
        Set<String> schemes = new HashSet<>();
        for (int i = 0; i < endpoints.size(); i++) {
            endpoint(endpoints.get(i), at + ".endpoints[" + i + "]").ifPresent(schemes::add);
        }
        Path ca = readableFile(etcd.caFile(), at + ".caFile");
        Path cert = readableFile(etcd.certFile(), at + ".certFile");
        Path key = readableFile(etcd.keyFile(), at + ".keyFile");
        if (schemes.size() > 1) {
            invalid(at + ".endpoints", "mixes http:// and https://; use one scheme per cluster");
        } else if (schemes.contains("https") && etcd.caFile() == null) {
            invalid(at + ".caFile", "is required for https:// endpoints (the CA that signed etcd's server certificate)");
        } else if (schemes.contains("http") && etcd.caFile() != null) {
            invalid(at + ".endpoints", "use http:// while caFile is set; TLS endpoints are https://");
        }
        if ((etcd.certFile() == null) != (etcd.keyFile() == null)) {
            invalid(at + (etcd.certFile() == null ? ".certFile" : ".keyFile"),
                    "is missing: certFile and keyFile go together");
        } else if (etcd.certFile() != null && etcd.caFile() == null) {
            invalid(at + ".caFile", "is required with certFile/keyFile (client certificates need TLS)");
        }
        if (problems.size() > before) {
            return null;
        }
        ClusterEndpoint endpoint = new ClusterEndpoint(name == null ? "?" : name, endpoints, ca, cert, key);
        if (endpoint.tls()) {
            // Read them now, as the mirror will at start: a key in a form it cannot read, or one
            // that is not the certificate's, fails here, under the key that names the file.
            try {
                EtcdTls.check(endpoint);
            } catch (EtcdTlsException e) {
                for (EtcdTlsException.Problem p : e.problems()) {
                    invalid(at + "." + p.file().key(), p.message());
                }
                return null;
            }
        }
        return name == null ? null : endpoint;
    }

    private Optional<String> endpoint(String url, String key) {
        if (url == null || url.isBlank()) {
            invalid(key, "is empty");
            return Optional.empty();
        }
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
            invalid(key, "'" + url + "' must start with http:// or https://");
            return Optional.empty();
        }
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme();
            if (uri.getHost() == null) {
                // java.net.URI gives no host for names it cannot parse (127.1, etcd_1): say which.
                String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
                String hostPart = authority.substring(authority.indexOf('@') + 1).replaceFirst(":[0-9]*$", "");
                invalid(key, "'" + url + "' " + (hostPart.isEmpty() ? "has no host"
                        : "has no valid host: " + host(hostPart).orElse("'" + hostPart + "' is not a valid host name")));
                return Optional.empty();
            }
            if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")
                    || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                invalid(key, "'" + url + "' must be scheme://host:port without a user, path, query or fragment");
                return Optional.empty();
            }
            Optional<String> badHost = host(uri.getHost());
            if (badHost.isPresent()) {
                invalid(key, "'" + url + "': " + badHost.get());
                return Optional.empty();
            }
            int port = uri.getPort();
            if (port == -1) {
                invalid(key, "'" + url + "' has no port; etcd serves clients on 2379 unless told otherwise, e.g. "
                        + scheme + "://" + uri.getHost() + ":2379");
                return Optional.empty();
            }
            if (port < 1 || port > 65535) {
                invalid(key, "'" + url + "': port " + port + " is outside 1..65535");
                return Optional.empty();
            }
            return Optional.of(scheme);
        } catch (URISyntaxException e) {
            invalid(key, "'" + url + "' is not a URL: " + e.getReason());
            return Optional.empty();
        }
    }

    /** Existence and permission; the content is read by {@link EtcdTls#check}, and never printed. */
    /**
     * {@code http.tls}: both files or neither, read now as start will (the certificate, the key
     * in any form the etcd TLS takes, and that they belong together); problems under the key
     * that names the file, never with the file's content.
     */
    private io.fedsync.daemon.http.ApiTls httpTls(ConfigFile.Http http) {
        if (http == null || http.tls() == null) {
            return null;
        }
        ConfigFile.Tls tls = http.tls();
        if (tls.certFile() == null || tls.keyFile() == null) {
            invalid(tls.certFile() == null ? "http.tls.certFile" : "http.tls.keyFile",
                    "is missing: http.tls needs certFile and keyFile (PEM), or leave http.tls out for plain HTTP");
            return null;
        }
        int before = problems.size();
        Path cert = readableFile(tls.certFile(), "http.tls.certFile");
        Path key = readableFile(tls.keyFile(), "http.tls.keyFile");
        Path ca = tls.caFile() == null ? null : readableFile(tls.caFile(), "http.tls.caFile");
        if (problems.size() > before) {
            return null;
        }
        io.fedsync.daemon.http.ApiTls apiTls = new io.fedsync.daemon.http.ApiTls(cert, key, ca);
        try {
            apiTls.replicaCas();
        } catch (IllegalArgumentException e) {
            invalid("http.tls.caFile", e.getMessage());
            return null;
        }
        try {
            apiTls.load();
        } catch (EtcdTlsException e) {
            for (EtcdTlsException.Problem p : e.problems()) {
                invalid("http.tls." + p.file().key(), p.message());
            }
            return null;
        }
        return apiTls;
    }

    private Path readableFile(String value, String key) {
        Path file = path(value, key, false);
        if (file == null) {
            return null;
        }
        if (!Files.exists(file)) {
            invalid(key, "file " + file + " does not exist");
        } else if (!Files.isRegularFile(file)) {
            invalid(key, file + " is not a regular file");
        } else if (!Files.isReadable(file)) {
            invalid(key, "file " + file + " is not readable by this user");
        }
        return file;
    }

    /** The forms of host the etcd client (jetcd 0.8) takes: an IPv4 address or a DNS name. */
    private static Optional<String> host(String host) {
        if (host.startsWith("[")) {
            return Optional.of("IPv6 addresses are not supported by the etcd client; use a host name that resolves "
                    + "to it");
        }
        var ipv4 = IPV4.matcher(host);
        if (ipv4.matches()) {
            for (int i = 1; i <= 4; i++) {
                if (Integer.parseInt(ipv4.group(i)) > 255) {
                    return Optional.of(host + " is not an IPv4 address");
                }
            }
            return Optional.empty();
        }
        if (host.matches("[0-9.]+")) {
            return Optional.of(host + " is not an IPv4 address (write all four parts, e.g. 127.0.0.1)");
        }
        if (!DNS_NAME.matcher(host).matches()) {
            return Optional.of("'" + host + "' is not a valid host name");
        }
        return Optional.empty();
    }

    private Path path(String value, String key, boolean required) {
        if (value == null) {
            if (required) {
                missing(key);
            }
            return null;
        }
        if (value.isBlank()) {
            invalid(key, "is empty");
            return null;
        }
        try {
            return baseDir.resolve(value).normalize();
        } catch (InvalidPathException e) {
            invalid(key, "'" + value + "' is not a valid path: " + e.getReason());
            return null;
        }
    }

    private ResolutionPolicy policy(ConfigFile.Mirror m, List<ClusterEndpoint> clusters) {
        String name = m.conflictPolicy() == null ? "hold" : m.conflictPolicy();
        List<String> priority = m.priority() == null ? List.of() : m.priority();
        Set<String> known = new HashSet<>();
        clusters.forEach(c -> known.add(c.name()));
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < priority.size(); i++) {
            String p = priority.get(i);
            if (!seen.add(p)) {
                invalid("mirror.priority[" + i + "]", "'" + p + "' is listed twice");
            } else if (!known.contains(p)) {
                invalid("mirror.priority[" + i + "]", "'" + p + "' is not a configured cluster (clusters: "
                        + clusters.stream().map(ClusterEndpoint::name).toList() + ")");
            }
        }
        if ("priority".equals(name) && priority.isEmpty()) {
            invalid("mirror.priority", "is required for conflictPolicy: priority (cluster names, first wins)");
            return new ResolutionPolicy.Hold();
        }
        if (!List.of("hold", "priority", "lww").contains(name)) {
            invalid("mirror.conflictPolicy", "'" + name + "' must be one of hold, priority, lww");
            return new ResolutionPolicy.Hold();
        }
        return ResolutionPolicy.parse(name, priority);
    }

    private List<String> ignoredFields(List<String> fields) {
        if (fields == null) {
            return ObjectNormaliser.DEFAULT_IGNORED_FIELDS;
        }
        for (int i = 0; i < fields.size(); i++) {
            String f = fields.get(i);
            String key = "mirror.ignoredFields[" + i + "]";
            if (f == null || !f.startsWith("/") || f.length() < 2) {
                invalid(key, "'" + f + "' must be a JSON pointer such as /metadata/uid");
                continue;
            }
            try {
                JsonPointer.compile(f);
            } catch (IllegalArgumentException e) {
                invalid(key, "'" + f + "' is not a valid JSON pointer: " + e.getMessage());
            }
        }
        return fields;
    }

    /** A duration such as {@code 500ms}, {@code 90s}, {@code 10m}, {@code 1h} or {@code 0} (off). */
    private Duration duration(String value, String key, Duration fallback) {
        if (value == null) {
            return fallback;
        }
        java.util.regex.Matcher m = DURATION.matcher(value.strip());
        if (!m.matches()) {
            invalid(key, "'" + value + "' is not a duration: write a number with ms, s, m or h, e.g. 10m (0 turns it off)");
            return fallback;
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        if (n != 0 && unit.isEmpty()) {
            invalid(key, "'" + value + "' needs a unit: ms, s, m or h (e.g. " + value + "m)");
            return fallback;
        }
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ZERO;
        };
    }

    private void missing(String key) {
        problems.add("missing required key '" + key + "' in " + source);
    }

    private void invalid(String key, String why) {
        problems.add("invalid '" + key + "' in " + source + ConfigLoader.line(lines, key) + ": " + why);
    }

    /** PrefixRules words its findings as "key 'value' why"; make them read like the others. */
    private String sentence(String finding) {
        int space = finding.indexOf(' ');
        String key = finding.substring(0, space);
        return "invalid '" + key + "' in " + source + ConfigLoader.line(lines, key) + ":" + finding.substring(space);
    }
}
