package io.fedsync.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.conflict.ObjectNormaliser;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.mirror.ClusterEndpoint;
import io.fedsync.mirror.MirrorSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @BeforeEach
    void tlsFiles() throws IOException {
        ca = Files.writeString(dir.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\nCA\n");
        cert = Files.writeString(dir.resolve("client.crt"), "-----BEGIN CERTIFICATE-----\nCLIENT\n");
        key = Files.writeString(dir.resolve("client.key"), "-----BEGIN PRIVATE KEY-----\nSECRET-KEY-MATERIAL\n");
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
                .doesNotContain("SECRET-KEY-MATERIAL", "BEGIN");
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
    void ignoredFieldsAndMaxValueBytes() throws IOException {
        assertThat(problem(withMirror("ignoredFields: [metadata.uid]")))
                .contains("invalid 'mirror.ignoredFields[0]'", "must be a JSON pointer");
        assertThat(problem(withMirror("maxValueBytes: 0")))
                .contains("invalid 'mirror.maxValueBytes'", "must be a positive number");
    }

    @Test
    void dataDirMustBeAWritableDirectory() throws IOException {
        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        assertThat(problem(minimal().replace(dir.resolve("data").toString(), file.toString())))
                .contains("invalid 'node.dataDir'", "exists and is not a directory");
        assertThat(problem(minimal().replace(dir.resolve("data").toString(), file.resolve("sub").toString())))
                .contains("invalid 'node.dataDir'", "cannot be created");
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
}
