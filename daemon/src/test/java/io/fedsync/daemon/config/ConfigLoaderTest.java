package io.fedsync.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.conflict.ObjectNormaliser;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.mirror.ClusterEndpoint;
import io.fedsync.mirror.MirrorSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private Path ca;
    private Path cert;
    private Path key;

    /** kubeadm's layout; the key is PKCS#1 (BEGIN RSA PRIVATE KEY), as kubeadm writes it. */
    @BeforeEach
    void tlsFiles() throws IOException {
        ca = copy("ca.crt", "ca.crt");
        cert = copy("client-rsa.crt", "apiserver-etcd-client.crt");
        key = copy("client-rsa-pkcs1.key", "apiserver-etcd-client.key");
    }

    /** A test PKI file (made by mirror/src/test/pki/make-test-pki.sh) copied into the temp dir. */
    private Path copy(String resource, String as) throws IOException {
        try (InputStream in = ConfigLoaderTest.class.getResourceAsStream("/tls/" + resource)) {
            assertThat(in).as(resource).isNotNull();
            Path target = dir.resolve(as);
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        }
    }

    /** The YAML of cluster {@code host} with these TLS files. */
    private String withTls(Path caFile, Path certFile, Path keyFile) {
        StringBuilder etcd = new StringBuilder("      endpoints: [https://127.0.0.1:2379]\n      caFile: " + caFile);
        if (certFile != null) {
            etcd.append("\n      certFile: ").append(certFile);
        }
        if (keyFile != null) {
            etcd.append("\n      keyFile: ").append(keyFile);
        }
        return minimal().replace("      endpoints: [http://127.0.0.1:2379]", etcd.toString());
    }

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("fedsync.yaml"), yaml);
    }

    private String minimal() {
        return """
                node:
                  id: a
                  dataDir: %s
                clusters:
                  - name: host
                    etcd:
                      endpoints: [http://127.0.0.1:2379]
                  - name: host2
                    etcd:
                      endpoints: [http://127.0.0.1:22379]
                """.formatted(dir.resolve("data"));
    }

    private String withMirror(String mirrorYaml) {
        return minimal() + "mirror:\n" + mirrorYaml.indent(2);
    }

    private String problem(String yaml) throws IOException {
        Path file = write(yaml);
        try {
            ConfigLoader.load(file);
        } catch (ConfigException e) {
            assertThat(e.getMessage()).contains(file.toString());
            return e.getMessage();
        }
        throw new AssertionError("expected a ConfigException for:\n" + yaml);
    }

    @Test
    void fullConfigBecomesMirrorSettingsAndListenAddress() throws IOException {
        Path file = write("""
                node:
                  id: node-1
                  dataDir: %s
                http:
                  listen: 0.0.0.0:9090
                clusters:
                  - name: host
                    etcd:
                      endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379]
                      caFile: %s
                      certFile: %s
                      keyFile: %s
                  - name: host2
                    etcd:
                      endpoints: [http://127.0.0.1:22379]
                  - name: host3
                    etcd:
                      endpoints: [http://127.0.0.1:32379]
                mirror:
                  prefixes: [/registry/iam.kubesphere.io/, /registry/tenant.kubesphere.io/workspaces/]
                  conflictPolicy: priority
                  priority: [host2, host]
                  ignoredFields: [/metadata/uid]
                  maxValueBytes: 1000000
                """.formatted(dir.resolve("data"), ca, cert, key));

        DaemonConfig config = ConfigLoader.load(file);

        assertThat(config.nodeId()).isEqualTo("node-1");
        assertThat(config.dataDir()).isEqualTo(dir.resolve("data"));
        assertThat(config.listen()).isEqualTo(new ListenAddress("0.0.0.0", 9090));
        MirrorSettings m = config.mirror();
        assertThat(m.clusters()).containsExactly(
                new ClusterEndpoint("host", List.of("https://10.0.0.1:2379", "https://10.0.0.2:2379"), ca, cert, key),
                ClusterEndpoint.plain("host2", "http://127.0.0.1:22379"),
                ClusterEndpoint.plain("host3", "http://127.0.0.1:32379"));
        assertThat(m.prefixes()).containsExactly("/registry/iam.kubesphere.io/",
                "/registry/tenant.kubesphere.io/workspaces/");
        assertThat(m.policy()).isEqualTo(new ResolutionPolicy.Priority(List.of("host2", "host")));
        assertThat(m.ignoredFields()).containsExactly("/metadata/uid");
        assertThat(m.maxValueBytes()).isEqualTo(1_000_000);
        assertThat(m.metaPrefix()).isEqualTo(MirrorSettings.DEFAULT_META_PREFIX);
        assertThat(config.force()).isFalse();
    }

    @Test
    void defaultsFillEverythingOptional() throws IOException {
        DaemonConfig config = ConfigLoader.load(write(minimal()));

        assertThat(config.listen()).isEqualTo(new ListenAddress("127.0.0.1", 8080));
        assertThat(config.mirror().prefixes())
                .containsExactly("/registry/iam.kubesphere.io/", "/registry/tenant.kubesphere.io/");
        assertThat(config.mirror().policy()).isEqualTo(new ResolutionPolicy.Hold());
        assertThat(config.mirror().ignoredFields()).isEqualTo(ObjectNormaliser.DEFAULT_IGNORED_FIELDS);
        assertThat(config.mirror().maxValueBytes()).isEqualTo(MirrorSettings.DEFAULT_MAX_VALUE_BYTES);
    }

    @Test
    void relativePathsAreResolvedAgainstTheConfigFilesDirectory() throws IOException {
        Path file = write(minimal().replace(dir.resolve("data").toString(), "state/a")
                .replace("      endpoints: [http://127.0.0.1:2379]",
                        "      endpoints: [https://127.0.0.1:2379]\n      caFile: ca.crt"));

        DaemonConfig config = ConfigLoader.load(file);

        assertThat(config.dataDir()).isEqualTo(dir.resolve("state/a"));
        assertThat(config.mirror().clusters().get(0).caFile()).isEqualTo(ca);
        assertThat(Files.exists(dir.resolve("state"))).as("validation creates nothing").isFalse();
    }

    @Test
    void effectiveConfigNamesKeyFilesButNeverTheirContent() throws IOException {
        Path file = write(minimal().replace("      endpoints: [http://127.0.0.1:2379]",
                "      endpoints: [https://127.0.0.1:2379]\n      caFile: %s\n      certFile: %s\n      keyFile: %s"
                        .formatted(ca, cert, key)));

        String described = String.join("\n", ConfigLoader.load(file).describe());

        assertThat(described).contains(key.toString(), cert.toString(), ca.toString(), "http.listen=127.0.0.1:8080")
                .doesNotContain("BEGIN");
        for (String line : Files.readAllLines(key)) {
            assertThat(described).doesNotContain(line);
        }
    }

    private String withToken(Path tokenFile) {
        return minimal() + "http:\n  listen: 127.0.0.1:8080\n  tokenFile: " + tokenFile + "\n";
    }

    @Test
    void tokenFileIsReadButOnlyItsPathIsDescribed() throws IOException {
        String token = "s3cr3t-" + "f00d".repeat(8);
        Path tokenFile = Files.writeString(dir.resolve("api.token"), token + "\n");

        DaemonConfig config = ConfigLoader.load(write(withToken(tokenFile)));

        assertThat(config.apiToken()).isNotNull();
        assertThat(config.apiToken().matches(token)).isTrue();
        assertThat(config.apiToken().matches(token + "x")).isFalse();
        String described = String.join("\n", config.describe());
        assertThat(described).contains("http.tokenFile=" + tokenFile).doesNotContain(token);
        assertThat(config.toString()).doesNotContain(token);
    }

    @Test
    void emptyMissingOrManyLinedTokenFileIsNamedWithItsLine() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.token"), "\n  \n");
        assertThat(problem(withToken(empty))).startsWith("invalid 'http.tokenFile' in ").contains("(line 13)",
                "is empty");
        assertThat(problem(withToken(dir.resolve("absent.token")))).contains("'http.tokenFile'", "does not exist");
        Path two = Files.writeString(dir.resolve("two.token"), "first-secret\nsecond-secret\n");
        assertThat(problem(withToken(two))).contains("'http.tokenFile'", "holds 2 lines")
                .doesNotContain("first-secret", "second-secret");
        Path spaced = Files.writeString(dir.resolve("spaced.token"), "two words\n");
        assertThat(problem(withToken(spaced))).contains("'http.tokenFile'", "printable ASCII")
                .doesNotContain("two words");
    }

    @Test
    void unknownKeyUnderHttpIsRefused() throws IOException {
        assertThat(problem(minimal() + "http:\n  tokenfile: /x\n")).startsWith("unknown key 'http.tokenfile'");
    }

    @Test
    void unknownKeyIsNamedWithItsPathAndLine() throws IOException {
        String message = problem(withMirror("prefixs: [/registry/iam.kubesphere.io/]"));

        assertThat(message).startsWith("unknown key 'mirror.prefixs' in " + dir.resolve("fedsync.yaml") + " (line 12)")
                .contains("known keys here:", "prefixes");
    }

    @Test
    void unknownKeyInsideAListItemNamesTheItem() throws IOException {
        String message = problem(minimal().replace("      endpoints: [http://127.0.0.1:22379]",
                "      endpoints: [http://127.0.0.1:22379]\n      cafile: x"));

        assertThat(message).startsWith("unknown key 'clusters[1].etcd.cafile' in ").contains("(line 11)");
    }

    @Test
    void malformedYamlReportsTheLine() throws IOException {
        String message = problem("node:\n  id: a\n   dataDir: /x\n");

        assertThat(message).startsWith("malformed YAML in ").contains("(line 3)")
                .doesNotContain("\n");
    }

    @Test
    void duplicateKeyIsMalformed() throws IOException {
        String message = problem(minimal() + "node:\n  id: b\n");

        assertThat(message).startsWith("duplicate key 'node'");
    }

    @Test
    void emptyAndMissingFilesHaveTheirOwnMessages() throws IOException {
        assertThat(problem("")).contains("is empty");
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.yaml")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("config file " + dir.resolve("nope.yaml") + " does not exist");
    }

    @Test
    void wrongTypesNameTheKey() throws IOException {
        assertThat(problem(withMirror("force: maybe")))
                .contains("invalid value 'maybe' for 'mirror.force'", "expected true or false");
        assertThat(problem(withMirror("maxValueBytes: lots")))
                .contains("'mirror.maxValueBytes'", "expected a whole number");
        assertThat(problem(withMirror("prefixes: /registry/iam.kubesphere.io/")))
                .contains("invalid value for 'mirror.prefixes'", "expected a list");
        assertThat(problem("- a\n- b\n")).contains("invalid config", "expected a mapping");
    }

    @Test
    void missingRequiredKeysAreNamed() throws IOException {
        assertThat(problem("http:\n  listen: 127.0.0.1:1\n"))
                .contains("missing required key 'node'", "missing required key 'clusters'");
        assertThat(problem(minimal().replace("  id: a\n", "")))
                .isEqualTo("missing required key 'node.id' in " + dir.resolve("fedsync.yaml"));
        assertThat(problem(minimal().replace("  dataDir: " + dir.resolve("data") + "\n", "")))
                .contains("missing required key 'node.dataDir'");
        assertThat(problem(minimal().replace("    etcd:\n      endpoints: [http://127.0.0.1:22379]\n", "")))
                .contains("missing required key 'clusters[1].etcd'");
        assertThat(problem(minimal().replace("      endpoints: [http://127.0.0.1:22379]", "      caFile: " + ca)))
                .contains("missing required key 'clusters[1].etcd.endpoints'");
    }

    @Test
    void eachProblemIsOneLineNamingItsKey() throws IOException {
        Path file = write(withMirror("prefixes: [/registry/pods/, /fedsync/x/]\nconflictPolicy: fifo"));
        try {
            ConfigLoader.load(file);
            throw new AssertionError("expected problems");
        } catch (ConfigException e) {
            assertThat(e.problems()).hasSize(3).allSatisfy(p -> assertThat(p).doesNotContain("\n").startsWith("invalid '"));
        }
    }

    @Test
    void namesMustBeLowerCaseWordsAndUnique() throws IOException {
        assertThat(problem(minimal().replace("id: a", "id: Node_A")))
                .contains("invalid 'node.id'", "'Node_A' must consist of lower-case letters, digits and '-'");
        assertThat(problem(minimal().replace("name: host2", "name: host")))
                .contains("invalid 'clusters[1].name'", "'host' is used by another cluster");
    }

    private String withHttpTls(String tlsYaml) {
        return minimal() + "http:\n  listen: 127.0.0.1:8080\n  tls:\n" + tlsYaml.indent(4);
    }

    @Test
    void httpTlsIsReadAndCheckedAtLoad() throws IOException {
        Path apiCert = copy("api-server.crt", "api.crt");
        Path apiKey = copy("api-server-pkcs1.key", "api.key");
        DaemonConfig config = ConfigLoader.load(write(withHttpTls("certFile: " + apiCert + "\nkeyFile: " + apiKey)));
        assertThat(config.apiTls()).isEqualTo(new io.fedsync.daemon.http.ApiTls(apiCert, apiKey));
        assertThat(String.join("\n", config.describe())).contains("http.tls.certFile=" + apiCert,
                "http.tls.keyFile=" + apiKey).doesNotContain("BEGIN");
        assertThat(ConfigLoader.load(write(minimal())).apiTls()).as("none: plain HTTP").isNull();

        assertThat(problem(withHttpTls("certFile: " + apiCert))).contains("'http.tls.keyFile'", "is missing",
                "certFile and keyFile");
        assertThat(problem(withHttpTls("keyFile: " + apiKey))).contains("'http.tls.certFile'", "is missing");
        assertThat(problem(withHttpTls("certFile: " + apiCert + "\nkeyFile: " + dir.resolve("absent.key"))))
                .contains("'http.tls.keyFile'", "does not exist");
        Path other = copy("other-rsa-pkcs1.key", "other.key");
        assertThat(problem(withHttpTls("certFile: " + apiCert + "\nkeyFile: " + other)))
                .contains("'http.tls.keyFile'", "is not the key of certFile " + apiCert).doesNotContain("BEGIN");
        Path encrypted = copy("encrypted-pkcs8.key", "encrypted.key");
        assertThat(problem(withHttpTls("certFile: " + apiCert + "\nkeyFile: " + encrypted)))
                .contains("'http.tls.keyFile'", "encrypted");
        assertThat(problem(withHttpTls("certFile: " + apiKey + "\nkeyFile: " + apiKey)))
                .contains("'http.tls.certFile'");
        // caFile: what a follower trusts when it forwards a call to the replica that mirrors over HTTPS.
        Path apiCa = copy("api-ca.crt", "api-ca.crt");
        DaemonConfig withCa = ConfigLoader.load(write(withHttpTls("certFile: " + apiCert + "\nkeyFile: " + apiKey
                + "\ncaFile: " + apiCa)));
        assertThat(withCa.apiTls().caFile()).isEqualTo(apiCa);
        assertThat(withCa.apiTls().replicaCas()).hasSize(1);
        assertThat(String.join("\n", withCa.describe())).contains("http.tls.caFile=" + apiCa);
        assertThat(problem(withHttpTls("certFile: " + apiCert + "\nkeyFile: " + apiKey + "\ncaFile: " + apiKey)))
                .contains("'http.tls.caFile'", "no readable PEM certificate").doesNotContain("BEGIN");
        assertThat(problem(withHttpTls("certFile: " + apiCert + "\nkeyFile: " + apiKey + "\ncaFile: "
                + dir.resolve("absent.crt")))).contains("'http.tls.caFile'", "does not exist");
        assertThat(problem(withHttpTls("certFile: " + apiCert + "\nkeyFile: " + apiKey + "\ncaFiles: " + apiCa)))
                .contains("caFiles");
    }

    private String withPeers(String peersYaml) {
        return minimal() + "peers:\n" + peersYaml.indent(2);
    }

    @Test
    void theExampleConfigOfThePackageIsValid() throws IOException {
        // deploy/fedsync.yaml as shipped, with its TLS files and data dir pointed at what exists here.
        String example = Files.readString(Path.of("..", "deploy", "fedsync.yaml"))
                .replace("/var/lib/fedsync", dir.resolve("data").toString())
                .replace("/etc/kubernetes/pki/etcd/ca.crt", ca.toString())
                .replace("/etc/kubernetes/pki/apiserver-etcd-client.crt", cert.toString())
                .replace("/etc/kubernetes/pki/apiserver-etcd-client.key", key.toString())
                .replace("/etc/fedsync/host2/ca.crt", ca.toString())
                .replace("/etc/fedsync/host2/apiserver-etcd-client.crt", cert.toString())
                .replace("/etc/fedsync/host2/apiserver-etcd-client.key", key.toString());
        DaemonConfig c = ConfigLoader.load(write(example));
        assertThat(c.mirror().clusterNames()).containsExactly("host", "host2");
        assertThat(c.mirror().verifyInterval()).hasMinutes(10);
        // Its commented-out peers are valid too.
        String withPeers = example.replace("# peers:", "peers:").replace("#   - {id:", "  - {id:");
        assertThat(ConfigLoader.load(write(withPeers)).peers()).hasSize(3);
        // And its commented-out kubeconfig and federation section.
        Path kube = kubeconfig("host.kubeconfig");
        String federated = example.replace("    # kubeconfig: /etc/fedsync/host.kubeconfig", "    kubeconfig: " + kube)
                .replace("    # context: host-admin", "    context: host-admin")
                .replace("# federation:", "federation:").replace("#   profile:", "  profile:")
                .replace("#   driftPolicy:", "  driftPolicy:").replace("#   resync:", "  resync:")
                .replace("#   workers:", "  workers:");
        assertThat(federated).isNotEqualTo(example);
        DaemonConfig f = ConfigLoader.load(write(federated));
        assertThat(f.federation()).isEqualTo(new FederationConfig(io.fedsync.federation.Profile.KUBESPHERE_V3,
                io.fedsync.federation.DriftPolicy.OVERWRITE, java.time.Duration.ofSeconds(30), 64,
                java.util.Map.of("host", new FederationConfig.HostKube("host", kube, "host-admin"))));
    }

    @Test
    void noPeersIsAGroupOfOne() throws IOException {
        DaemonConfig c = ConfigLoader.load(write(minimal()));
        assertThat(c.replicated()).isFalse();
        assertThat(c.peers()).isEmpty();
    }

    @Test
    void peersMakeAReplicaOfAGroup() throws IOException {
        DaemonConfig c = ConfigLoader.load(write(minimal().replace("  dataDir:", "  raft: 127.0.0.1:7101\n  dataDir:")
                + "peers:\n  - {id: a, address: 127.0.0.1:7101}\n  - {id: b, address: 127.0.0.1:7102}\n"
                + "  - {id: c, address: 'node-c.example:7103'}\n"));
        assertThat(c.replicated()).isTrue();
        assertThat(c.peers()).extracting(DaemonConfig.RaftPeer::id).containsExactly("a", "b", "c");
        assertThat(c.peers().get(2).address()).isEqualTo(new ListenAddress("node-c.example", 7103));
        assertThat(c.describe()).anySatisfy(l -> assertThat(l).startsWith("raft: peers [a=127.0.0.1:7101"));
    }

    @Test
    void peersMustNameThisNodeUniqueIdsAndAddresses() throws IOException {
        assertThat(problem(withPeers("- {id: b, address: 127.0.0.1:7102}\n- {id: c, address: 127.0.0.1:7103}")))
                .contains("invalid 'peers'", "does not list this node (node.id a)");
        assertThat(problem(withPeers("- {id: a, address: 127.0.0.1:7101}\n- {id: a, address: 127.0.0.1:7102}")))
                .contains("invalid 'peers[1].id'", "'a' is listed twice");
        assertThat(problem(withPeers("- {id: a, address: 127.0.0.1:7101}\n- {id: b, address: 127.0.0.1:7101}")))
                .contains("invalid 'peers[1].address'", "is used by another peer");
        assertThat(problem(withPeers("- {id: a, address: 127.0.0.1}\n- {id: b, address: 127.0.0.1:7102}")))
                .contains("invalid 'peers[0].address'", "must be host:port");
        assertThat(problem(withPeers("- {id: a}"))).contains("missing required key 'peers[0].address'");
        assertThat(problem(withPeers("- {id: a, address: 127.0.0.1:0}"))).contains("needs a port other than 0");
        assertThat(problem(withPeers("- {id: a, address: 127.0.0.1:7101, http: x}"))).contains("unknown key");
    }

    @Test
    void nodeRaftMustMatchThisNodesPeerAddressAndNeedsPeers() throws IOException {
        assertThat(problem(minimal().replace("  dataDir:", "  raft: 127.0.0.1:7101\n  dataDir:")))
                .contains("invalid 'node.raft'", "there are no peers");
        assertThat(problem(minimal().replace("  dataDir:", "  raft: 127.0.0.1:7109\n  dataDir:")
                + "peers:\n  - {id: a, address: 127.0.0.1:7101}\n"))
                .contains("invalid 'node.raft'", "differs from this node's address in peers (127.0.0.1:7101)");
    }

    @Test
    void snapshotEveryNeedsPeersAndARange() throws IOException {
        String peers = "peers:\n  - {id: a, address: 127.0.0.1:7101}\n";
        DaemonConfig c = ConfigLoader.load(write(minimal().replace("  dataDir:", "  snapshotEvery: 50\n  dataDir:")
                + peers));
        assertThat(c.snapshotEvery()).isEqualTo(50);
        assertThat(ConfigLoader.load(write(minimal() + peers)).snapshotEvery()).as("default").isZero();
        assertThat(problem(minimal().replace("  dataDir:", "  snapshotEvery: 50\n  dataDir:")))
                .contains("invalid 'node.snapshotEvery'", "there are no peers");
        assertThat(problem(minimal().replace("  dataDir:", "  snapshotEvery: 1\n  dataDir:") + peers))
                .contains("invalid 'node.snapshotEvery'", "2..10000000");
    }

    @Test
    void flipFlopLimitHasDefaultsARangeAndCanBeTurnedOff() throws IOException {
        assertThat(ConfigLoader.load(write(minimal())).mirror().flipFlop())
                .isEqualTo(MirrorSettings.FlipFlopLimit.DEFAULT);
        assertThat(ConfigLoader.load(write(minimal() + "mirror:\n  flipFlop:\n    returns: 5\n    window: 2m\n"))
                .mirror().flipFlop()).isEqualTo(new MirrorSettings.FlipFlopLimit(5, java.time.Duration.ofMinutes(2)));
        assertThat(ConfigLoader.load(write(minimal() + "mirror:\n  flipFlop:\n    returns: 0\n")).mirror().flipFlop()
                .returns()).isZero();
        assertThat(problem(minimal() + "mirror:\n  flipFlop:\n    returns: -1\n"))
                .contains("invalid 'mirror.flipFlop.returns'", "0..1000");
        assertThat(problem(minimal() + "mirror:\n  flipFlop:\n    window: 0\n"))
                .contains("invalid 'mirror.flipFlop.window'", "1s..24h");
        assertThat(problem(minimal() + "mirror:\n  flipFlop:\n    window: soon\n"))
                .contains("invalid 'mirror.flipFlop.window'", "is not a duration");
        assertThat(problem(minimal() + "mirror:\n  flipFlop:\n    limit: 3\n")).contains("limit");
    }

    @Test
    void electionTimeoutNeedsPeersAUnitAndARange() throws IOException {
        String peers = "peers:\n  - {id: a, address: 127.0.0.1:7101}\n  - {id: b, address: 127.0.0.1:7102}\n";
        DaemonConfig c = ConfigLoader.load(write(minimal().replace("  dataDir:", "  electionTimeout: 400ms\n  dataDir:")
                + peers));
        assertThat(c.electionTimeout()).isEqualTo(java.time.Duration.ofMillis(400));
        assertThat(ConfigLoader.load(write(minimal().replace("  dataDir:", "  electionTimeout: 2s\n  dataDir:")
                + peers)).electionTimeout()).isEqualTo(java.time.Duration.ofSeconds(2));
        assertThat(ConfigLoader.load(write(minimal() + peers)).electionTimeout()).as("default").isNull();
        assertThat(problem(minimal().replace("  dataDir:", "  electionTimeout: 400ms\n  dataDir:")))
                .contains("invalid 'node.electionTimeout'", "there are no peers");
        assertThat(problem(minimal().replace("  dataDir:", "  electionTimeout: 50ms\n  dataDir:") + peers))
                .contains("invalid 'node.electionTimeout'", "100ms..60s");
        assertThat(problem(minimal().replace("  dataDir:", "  electionTimeout: 400\n  dataDir:") + peers))
                .contains("invalid 'node.electionTimeout'", "needs a unit");
        assertThat(problem(minimal().replace("  dataDir:", "  electionTimeout: fast\n  dataDir:") + peers))
                .contains("invalid 'node.electionTimeout'", "is not a duration");
    }

    @Test
    void atLeastTwoClusters() throws IOException {
        String one = minimal().substring(0, minimal().indexOf("  - name: host2"));
        assertThat(problem(one)).contains("invalid 'clusters'", "needs at least 2");
    }

    @Test
    void endpointsMustBeHttpOrHttpsUrls() throws IOException {
        assertThat(problem(minimal().replace("http://127.0.0.1:22379", "127.0.0.1:22379")))
                .contains("invalid 'clusters[1].etcd.endpoints[0]'", "must start with http:// or https://");
        assertThat(problem(minimal().replace("[http://127.0.0.1:22379]", "[]")))
                .contains("invalid 'clusters[1].etcd.endpoints'", "is empty");
        assertThat(problem(minimal().replace("[http://127.0.0.1:22379]", "[http://a:1, https://b:2]")))
                .contains("mixes http:// and https://");
    }

    @Test
    void httpsNeedsCaFileAndTlsFilesMustExist() throws IOException {
        assertThat(problem(minimal().replace("http://127.0.0.1:22379", "https://127.0.0.1:22379")))
                .contains("invalid 'clusters[1].etcd.caFile'", "is required for https:// endpoints");
        Path missing = dir.resolve("missing-ca.crt");
        assertThat(problem(minimal().replace("      endpoints: [http://127.0.0.1:22379]",
                "      endpoints: [https://127.0.0.1:22379]\n      caFile: " + missing)))
                .contains("invalid 'clusters[1].etcd.caFile'", "file " + missing + " does not exist");
        assertThat(problem(minimal().replace("      endpoints: [http://127.0.0.1:22379]",
                "      endpoints: [https://127.0.0.1:22379]\n      caFile: " + ca + "\n      certFile: " + cert)))
                .contains("invalid 'clusters[1].etcd.keyFile'", "certFile and keyFile go together");
        assertThat(problem(minimal().replace("      endpoints: [http://127.0.0.1:22379]",
                "      endpoints: [https://127.0.0.1:22379]\n      caFile: " + dir)))
                .contains("is not a regular file");
    }

    @Test
    void prefixesMustBeSlashDelimitedDistinctAndDisjoint() throws IOException {
        assertThat(problem(withMirror("prefixes: [/registry/iam.kubesphere.io]")))
                .contains("invalid 'mirror.prefixes[0]'", "must start and end with '/'");
        assertThat(problem(withMirror("prefixes: [/registry/a.io/, /registry/a.io/]")))
                .contains("invalid 'mirror.prefixes[1]'", "is listed twice");
        assertThat(problem(withMirror("prefixes: [/registry/a.io/x/, /registry/a.io/]")))
                .contains("invalid 'mirror.prefixes[1]'", "overlaps mirror.prefixes[0] '/registry/a.io/x/'");
        assertThat(problem(withMirror("prefixes: []"))).contains("invalid 'mirror.prefixes'", "is empty");
    }

    @Test
    void prefixesMustStayOutOfFedsyncsOwnKeySpaceEvenWithForce() throws IOException {
        assertThat(problem(withMirror("prefixes: [/fedsync/v1/]\nforce: true")))
                .contains("invalid 'mirror.prefixes[0]'", "overlaps fedsync's own key space /fedsync/");
        assertThat(problem(withMirror("prefixes: [/]\nforce: true")))
                .contains("is the whole of etcd");
    }

    @Test
    void builtInKindsAreRefusedWithoutForceBecauseTheyAreProtobuf() throws IOException {
        assertThat(problem(withMirror("prefixes: [/registry/]")))
                .contains("invalid 'mirror.prefixes[0]'", "protobuf", "mirror.force: true");
        assertThat(problem(withMirror("prefixes: [/registry/secrets/]")))
                .contains("'/registry/secrets/' holds the built-in kind 'secrets'", "protobuf");
        assertThat(problem(withMirror("prefixes: [/registry/apiregistration.k8s.io/]")))
                .contains("Kubernetes group 'apiregistration.k8s.io'", "protobuf");
    }

    @Test
    void forceAllowsRiskyPrefixes() throws IOException {
        DaemonConfig config = ConfigLoader.load(write(withMirror("prefixes: [/registry/secrets/, /other/]\nforce: true")));

        assertThat(config.mirror().prefixes()).containsExactly("/registry/secrets/", "/other/");
        assertThat(config.force()).isTrue();
    }

    @Test
    void policyAndPriority() throws IOException {
        assertThat(problem(withMirror("conflictPolicy: newest")))
                .contains("invalid 'mirror.conflictPolicy'", "must be one of hold, priority, lww");
        assertThat(problem(withMirror("conflictPolicy: priority")))
                .contains("invalid 'mirror.priority'", "is required for conflictPolicy: priority");
        assertThat(problem(withMirror("conflictPolicy: priority\npriority: [host, hots]")))
                .contains("invalid 'mirror.priority[1]'", "'hots' is not a configured cluster");
        assertThat(ConfigLoader.load(write(withMirror("conflictPolicy: lww"))).mirror().policy())
                .isEqualTo(new ResolutionPolicy.LastWriterWins());
    }

    @Test
    void ignoredFields() throws IOException {
        assertThat(problem(withMirror("ignoredFields: [metadata.uid]")))
                .contains("invalid 'mirror.ignoredFields[0]'", "must be a JSON pointer");
    }

    @Test
    void maxValueBytesMustFitInOneEtcdRequestWithTheMetadata() throws IOException {
        String range = ": %s is outside the allowed range 1..1400000: a value is written in one etcd Txn together "
                + "with its key and fedsync's metadata, and etcd refuses requests over 1572864 bytes (1.5 MiB, its "
                + "default --max-request-bytes)";
        // Line 12: the minimal config has 10 lines, then "mirror:".
        for (String value : List.of("2147483647", "99999999999", "0", "-5", "1400001",
                "123456789012345678901234567890")) {
            assertThat(problem(withMirror("maxValueBytes: " + value))).as(value).isEqualTo("invalid "
                    + "'mirror.maxValueBytes' in " + dir.resolve("fedsync.yaml") + " (line 12)" + range.formatted(value));
        }
        assertThat(ConfigLoader.load(write(withMirror("maxValueBytes: 1400000"))).mirror().maxValueBytes())
                .isEqualTo(1_400_000);
        assertThat(ConfigLoader.load(write(withMirror("maxValueBytes: 1"))).mirror().maxValueBytes()).isEqualTo(1);
    }

    @Test
    void kubeadmTlsFilesLoadInEveryKeyForm() throws IOException {
        DaemonConfig rsa = ConfigLoader.load(write(withTls(ca, cert, key)));
        assertThat(Files.readAllLines(key).get(0)).isEqualTo("-----BEGIN RSA PRIVATE KEY-----");
        assertThat(rsa.mirror().clusters().get(0).keyFile()).isEqualTo(key);

        Path ecCert = copy("client-ec.crt", "ec.crt");
        Path ecKey = copy("client-ec-sec1.key", "ec.key");
        assertThat(Files.readAllLines(ecKey).get(0)).isEqualTo("-----BEGIN EC PRIVATE KEY-----");
        assertThat(ConfigLoader.load(write(withTls(ca, ecCert, ecKey))).mirror().clusters().get(0).certFile())
                .isEqualTo(ecCert);
        assertThat(ConfigLoader.load(write(withTls(ca, null, null))).mirror().clusters().get(0).tls()).isTrue();
    }

    @Test
    void unusableTlsFilesAreRefusedUnderTheirKeyWithTheLine() throws IOException {
        Path encrypted = copy("encrypted-pkcs8.key", "encrypted.key");
        assertThat(problem(withTls(ca, cert, encrypted))).isEqualTo("invalid 'clusters[0].etcd.keyFile' in "
                + dir.resolve("fedsync.yaml") + " (line 10): " + encrypted + " is encrypted (BEGIN ENCRYPTED PRIVATE "
                + "KEY); fedsync cannot use encrypted keys, it has no way to ask for the passphrase: write it decrypted "
                + "(openssl pkey -in " + encrypted + " -out NEW_FILE) and protect that file with permissions 0600 "
                + "instead; accepted forms: PKCS#1 RSA (BEGIN RSA PRIVATE KEY, as kubeadm writes it), SEC1 EC (BEGIN "
                + "EC PRIVATE KEY) and PKCS#8 (BEGIN PRIVATE KEY), unencrypted");

        Path other = copy("other-rsa-pkcs1.key", "other.key");
        assertThat(problem(withTls(ca, cert, other))).isEqualTo("invalid 'clusters[0].etcd.keyFile' in "
                + dir.resolve("fedsync.yaml") + " (line 10): " + other + " is not the key of certFile " + cert
                + " ('CN=kube-apiserver-etcd-client,O=system:masters'): the key's public half differs from the "
                + "certificate's");

        Path notCa = Files.writeString(dir.resolve("not-a-ca.crt"), "hello\n");
        assertThat(problem(withTls(notCa, cert, key))).isEqualTo("invalid 'clusters[0].etcd.caFile' in "
                + dir.resolve("fedsync.yaml") + " (line 8): " + notCa + " holds no certificate (no '-----BEGIN "
                + "CERTIFICATE-----' block, and it is not a DER certificate either)");

        // Swapped: both are named, each under its own key.
        Path file = write(withTls(ca, key, cert));
        ConfigException swapped = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.load(file));
        assertThat(swapped.problems()).hasSize(2);
        assertThat(swapped.problems().get(0)).startsWith("invalid 'clusters[0].etcd.certFile' in " + file + " (line 9): ")
                .endsWith("(are certFile and keyFile swapped?)");
        assertThat(swapped.problems().get(1)).startsWith("invalid 'clusters[0].etcd.keyFile' in " + file + " (line 10): ")
                .contains("(are certFile and keyFile swapped?)");
        for (String line : Files.readAllLines(key)) {
            if (!line.startsWith("-----")) {
                assertThat(swapped.getMessage()).doesNotContain(line);
            }
        }
    }

    @Test
    void endpointsNeedAValidHostAndPortTheEtcdClientTakes() throws IOException {
        String at = "invalid 'clusters[1].etcd.endpoints[0]' in " + dir.resolve("fedsync.yaml") + " (line 10): ";
        assertThat(problem(minimal().replace("http://127.0.0.1:22379", "http://127.0.0.1:99999")))
                .isEqualTo(at + "'http://127.0.0.1:99999': port 99999 is outside 1..65535");
        assertThat(problem(minimal().replace("http://127.0.0.1:22379", "http://127.0.0.1:0")))
                .isEqualTo(at + "'http://127.0.0.1:0': port 0 is outside 1..65535");
        assertThat(problem(minimal().replace("http://127.0.0.1:22379", "http://127.0.0.1")))
                .isEqualTo(at + "'http://127.0.0.1' has no port; etcd serves clients on 2379 unless told otherwise, "
                        + "e.g. http://127.0.0.1:2379");
        assertThat(problem(minimal().replace("[http://127.0.0.1:22379]", "['http://[::1]:2379']")))
                .isEqualTo(at + "'http://[::1]:2379': IPv6 addresses are not supported by the etcd client; use a host "
                        + "name that resolves to it");
        assertThat(problem(minimal().replace("http://127.0.0.1:22379", "http://127.1:2379")))
                .isEqualTo(at + "'http://127.1:2379' has no valid host: 127.1 is not an IPv4 address (write all four "
                        + "parts, e.g. 127.0.0.1)");
        assertThat(problem(minimal().replace("http://127.0.0.1:22379", "http://etcd_1:2379")))
                .isEqualTo(at + "'http://etcd_1:2379' has no valid host: 'etcd_1' is not a valid host name");
        assertThat(problem(minimal().replace("http://127.0.0.1:22379", "http://300.0.0.1:2379")))
                .isEqualTo(at + "'http://300.0.0.1:2379' has no valid host: 300.0.0.1 is not an IPv4 address");
        assertThat(problem(minimal().replace("http://127.0.0.1:22379", "http://root@127.0.0.1:2379")))
                .contains("must be scheme://host:port without a user, path, query or fragment");
        assertThat(ConfigLoader.load(write(minimal().replace("http://127.0.0.1:22379", "http://etcd-2.example.com:2379")))
                .mirror().clusters().get(1).endpoints()).containsExactly("http://etcd-2.example.com:2379");
    }

    @Test
    void dataDirMustBeAWritableDirectoryAndTheMessageSaysWhyNot() throws IOException {
        String at = "invalid 'node.dataDir' in " + dir.resolve("fedsync.yaml") + " (line 3): ";
        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        assertThat(problem(minimal().replace(dir.resolve("data").toString(), file.toString())))
                .isEqualTo(at + file + " exists and is not a directory");
        assertThat(problem(minimal().replace(dir.resolve("data").toString(), file.resolve("sub").toString())))
                .isEqualTo(at + file.resolve("sub") + " cannot be created: " + file + " is a file, not a directory");
        assertThat(problem(minimal().replace(dir.resolve("data").toString(), "/proc/fedsync")))
                .isEqualTo(at + "/proc/fedsync cannot be created: /proc is on the kernel's proc file system, which "
                        + "cannot hold fedsync's files; use a directory on a disk, e.g. /var/lib/fedsync");
        assertThat(dir.resolve("data")).as("--check creates nothing").doesNotExist();
    }

    @Test
    void listenAddressMustBeOneOfThisHost() throws IOException {
        // 203.0.113.0/24 is TEST-NET-3: never an address of this host.
        assertThat(problem(minimal() + "http:\n  listen: 203.0.113.7:8080\n"))
                .startsWith("invalid 'http.listen' in " + dir.resolve("fedsync.yaml") + " (line 12): 203.0.113.7 is "
                        + "not an address of this host; use one of its addresses [")
                .contains("127.0.0.1").endsWith("], or 0.0.0.0 for all of them");
        assertThat(problem(minimal() + "http:\n  listen: no-such-host.invalid:8080\n"))
                .contains("invalid 'http.listen'", "the host 'no-such-host.invalid' cannot be resolved");
        assertThat(ConfigLoader.load(write(minimal() + "http:\n  listen: 0.0.0.0:8080\n")).listen().host())
                .isEqualTo("0.0.0.0");
        assertThat(ConfigLoader.load(write(minimal() + "http:\n  listen: localhost:8080\n")).listen().host())
                .isEqualTo("localhost");
    }

    @Test
    void listenAddress() throws IOException {
        assertThat(problem(minimal() + "http:\n  listen: localhost\n"))
                .contains("invalid 'http.listen'", "must be host:port");
        assertThat(problem(minimal() + "http:\n  listen: 127.0.0.1:99999\n"))
                .contains("invalid 'http.listen'", "outside 0..65535");
        assertThat(ListenAddress.parse("[::1]:8080")).isEqualTo(new ListenAddress("::1", 8080));
        assertThat(ListenAddress.parse("[::1]:8080").toString()).isEqualTo("[::1]:8080");
    }

    /** minimal() with these lines added to cluster {@code host} (after its name) and {@code tail} appended. */
    private String withHostKeys(String hostLines, String tail) {
        return minimal().replace("  - name: host\n", "  - name: host\n" + hostLines.indent(4)) + tail;
    }

    private Path kubeconfig(String name) throws IOException {
        return Files.writeString(dir.resolve(name), """
                apiVersion: v1
                kind: Config
                users:
                  - name: admin
                    user: {token: kube-t0ken-never-shown}
                """);
    }

    @Test
    void federationSectionWithKubeconfigsBecomesFederationConfig() throws IOException {
        Path hostKube = kubeconfig("host.kubeconfig");
        Path host2Kube = kubeconfig("host2.kubeconfig");
        String yaml = withHostKeys("kubeconfig: " + hostKube + "\ncontext: host-admin", """
                federation:
                  profile: kubesphere-v4
                  driftPolicy: report
                  resync: 2m
                  workers: 8
                """).replace("  - name: host2\n", "  - name: host2\n    kubeconfig: " + host2Kube + "\n");

        DaemonConfig config = ConfigLoader.load(write(yaml));

        FederationConfig f = config.federation();
        assertThat(f).isNotNull();
        assertThat(config.federated()).isTrue();
        assertThat(f.profile()).isEqualTo(io.fedsync.federation.Profile.KUBESPHERE_V4);
        assertThat(f.driftPolicy()).isEqualTo(io.fedsync.federation.DriftPolicy.REPORT);
        assertThat(f.resync()).isEqualTo(java.time.Duration.ofMinutes(2));
        assertThat(f.workers()).isEqualTo(8);
        assertThat(f.hosts()).containsExactly(
                java.util.Map.entry("host", new FederationConfig.HostKube("host", hostKube, "host-admin")),
                java.util.Map.entry("host2", new FederationConfig.HostKube("host2", host2Kube, null)));
        assertThat(config.kubeconfigs()).isEqualTo(f.hosts());
        List<String> described = config.describe();
        assertThat(described).anySatisfy(l -> assertThat(l).startsWith("cluster host: ")
                .endsWith(" kubeconfig=" + hostKube + " context=host-admin"));
        assertThat(described).anySatisfy(l -> assertThat(l).startsWith("cluster host2: ")
                .endsWith(" kubeconfig=" + host2Kube));
        assertThat(described).contains("federation: profile=kubesphere-v4 driftPolicy=report resync=2m workers=8");
        assertThat(String.join("\n", described) + config).doesNotContain("kube-t0ken-never-shown");
    }

    @Test
    void federationDefaultsAndAbsentIsOff() throws IOException {
        Path kube = kubeconfig("host.kubeconfig");
        for (String section : List.of("federation: {}\n", "federation:\n", "federation:\n  # profile: kubesphere-v3\n")) {
            FederationConfig f = ConfigLoader.load(write(withHostKeys("kubeconfig: " + kube, section))).federation();
            assertThat(f).as(section).isEqualTo(new FederationConfig(io.fedsync.federation.Profile.KUBESPHERE_V3,
                    io.fedsync.federation.DriftPolicy.OVERWRITE, java.time.Duration.ofSeconds(30), 64,
                    java.util.Map.of("host", new FederationConfig.HostKube("host", kube, null))));
        }
        DaemonConfig off = ConfigLoader.load(write(minimal()));
        assertThat(off.federation()).isNull();
        assertThat(off.federated()).isFalse();
        assertThat(off.kubeconfigs()).isEmpty();
        assertThat(off.describe()).contains("federation: off");
    }

    @Test
    void aKubeconfigWithoutFederationIsAcceptedAndDescribedAsUnused() throws IOException {
        Path kube = kubeconfig("host.kubeconfig");
        DaemonConfig config = ConfigLoader.load(write(withHostKeys("kubeconfig: " + kube, "")));

        assertThat(config.federation()).isNull();
        assertThat(config.kubeconfigs()).containsOnlyKeys("host");
        assertThat(config.describe()).anySatisfy(l -> assertThat(l).startsWith("cluster host: ")
                .endsWith(" kubeconfig=" + kube + " (unused: there is no federation section)"));
        assertThat(config.describe()).contains("federation: off");
    }

    @Test
    void relativeKubeconfigIsResolvedAgainstTheConfigFilesDirectory() throws IOException {
        Files.createDirectories(dir.resolve("kube"));
        Path kube = kubeconfig("kube/host.kubeconfig");
        DaemonConfig config = ConfigLoader.load(write(withHostKeys("kubeconfig: kube/host.kubeconfig",
                "federation: {}\n")));

        assertThat(config.federation().hosts().get("host").kubeconfig()).isEqualTo(kube).isAbsolute();
    }

    @Test
    void badFederationValuesNameTheKeyTheLineAndWhatIsAllowed() throws IOException {
        Path kube = kubeconfig("host.kubeconfig");
        String at = "invalid 'federation.%s' in " + dir.resolve("fedsync.yaml") + " (line 13): ";
        java.util.function.Function<String, String> with = keys -> withHostKeys("kubeconfig: " + kube,
                "federation:\n" + keys.indent(2));
        assertThat(problem(with.apply("profile: kubesphere-v5"))).isEqualTo(at.formatted("profile")
                + "unknown federation profile 'kubesphere-v5' (known: kubesphere-v3, kubesphere-v4)");
        assertThat(problem(with.apply("driftPolicy: ignore"))).isEqualTo(at.formatted("driftPolicy")
                + "unknown federation.driftPolicy 'ignore' (expected overwrite or report)");
        assertThat(problem(with.apply("resync: 500ms"))).isEqualTo(at.formatted("resync")
                + "'500ms' is below the minimum 1s (how often every member is compared with the hosts, e.g. 30s)");
        assertThat(problem(with.apply("resync: 0"))).contains("'federation.resync'", "below the minimum 1s");
        assertThat(problem(with.apply("resync: soon"))).isEqualTo(at.formatted("resync")
                + "'soon' is not a duration: write a number with ms, s, m or h, e.g. 10m (0 turns it off)");
        assertThat(problem(with.apply("workers: 0"))).isEqualTo(at.formatted("workers")
                + "0 is outside the allowed range 1..256 (members written to in parallel)");
        assertThat(problem(with.apply("workers: 257"))).contains("'federation.workers'", "257 is outside the allowed"
                + " range 1..256");
        assertThat(problem(with.apply("workers: many"))).contains("'federation.workers'", "expected a whole number");
        assertThat(ConfigLoader.load(write(with.apply("profile: KubeSphere-V4\nworkers: 64\nresync: 1s")))
                .federation()).satisfies(f -> {
                    assertThat(f.profile()).isEqualTo(io.fedsync.federation.Profile.KUBESPHERE_V4);
                    assertThat(f.workers()).isEqualTo(64);
                    assertThat(f.resync()).hasSeconds(1);
                });
    }

    @Test
    void unknownKeyUnderFederationIsRefused() throws IOException {
        Path kube = kubeconfig("host.kubeconfig");
        assertThat(problem(withHostKeys("kubeconfig: " + kube, "federation:\n  conflictPolicy: hold\n")))
                .startsWith("unknown key 'federation.conflictPolicy' in " + dir.resolve("fedsync.yaml") + " (line 13)")
                .contains("known keys here: driftPolicy, profile, resync, workers");
        assertThat(problem(withHostKeys("kubeConfig: " + kube, "")))
                .startsWith("unknown key 'clusters[0].kubeConfig'");
    }

    @Test
    void contextNeedsAKubeconfig() throws IOException {
        assertThat(problem(withHostKeys("context: host-admin", "")))
                .isEqualTo("invalid 'clusters[0].context' in " + dir.resolve("fedsync.yaml") + " (line 6): is set"
                        + " without clusters[0].kubeconfig: a context names one of the kubeconfig's contexts; add"
                        + " kubeconfig or remove context");
        Path kube = kubeconfig("host.kubeconfig");
        assertThat(problem(withHostKeys("kubeconfig: " + kube + "\ncontext: ''", "")))
                .contains("'clusters[0].context'", "is empty");
    }

    @Test
    void federationNeedsAKubeconfigOnAHostCluster() throws IOException {
        assertThat(problem(minimal() + "federation:\n  profile: kubesphere-v3\n"))
                .isEqualTo("invalid 'federation' in " + dir.resolve("fedsync.yaml") + " (line 11): federation needs a"
                        + " kubeconfig on at least one host cluster: add clusters[i].kubeconfig (the path of a"
                        + " kubeconfig for that host's Kubernetes API)");
    }

    @Test
    void kubeconfigMustBeAReadableFileAndOnlyItsPathIsChecked() throws IOException {
        String at = "invalid 'clusters[0].kubeconfig' in " + dir.resolve("fedsync.yaml") + " (line 6): ";
        assertThat(problem(withHostKeys("kubeconfig: absent.kubeconfig", "federation: {}\n")))
                .as("one problem: the missing file, not also 'needs a kubeconfig'")
                .isEqualTo(at + "file " + dir.resolve("absent.kubeconfig") + " does not exist");
        Files.createDirectories(dir.resolve("kubedir"));
        assertThat(problem(withHostKeys("kubeconfig: kubedir", "")))
                .isEqualTo(at + dir.resolve("kubedir") + " is not a regular file");
        // Not YAML at all: config never parses it (federation reads it, at start).
        Path notYaml = Files.writeString(dir.resolve("garbage.kubeconfig"), "{{{ not: [yaml");
        assertThat(ConfigLoader.load(write(withHostKeys("kubeconfig: " + notYaml, "federation: {}\n")))
                .federation().hosts().get("host").kubeconfig()).isEqualTo(notYaml);
    }
}
