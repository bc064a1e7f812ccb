package io.fedsync.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.PutResponse;
import io.fedsync.itest.fixture.EtcdBinary;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.EtcdPki;
import io.fedsync.itest.fixture.EtcdProcess;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.WatchRecorder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Proves the etcd fixture against real etcd processes. */
class EtcdFixtureIT {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdFixtureIT.class);
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2").withTls(false).build();

    @RegisterExtension
    static final EtcdClusters TLS = EtcdClusters.builder().withClusters("secure").withTls(true).build();

    @BeforeAll
    static void describe() {
        LOG.info("running against {}: {} and TLS {}", EtcdBinary.describe(),
                ETCD.processes(), TLS.processes());
        assertThat(EtcdBinary.version()).startsWith("3.4.");
    }

    @Test
    void clustersAreIndependent() {
        String key = "/fixture/independent/" + Names.randomSuffix();
        Kv.put(ETCD.client("host"), key, "on-host");
        Kv.put(ETCD.client("host2"), key, "on-host2");

        assertThat(Kv.get(ETCD.client("host"), key)).contains("on-host");
        assertThat(Kv.get(ETCD.client("host2"), key)).contains("on-host2");
        assertThat(ETCD.get("host").endpoint()).isNotEqualTo(ETCD.get("host2").endpoint());
        assertThat(ETCD.get("host").dataDir()).isNotEqualTo(ETCD.get("host2").dataDir());
        assertThat(ETCD.names()).containsExactly("host", "host2");
    }

    @Test
    void killAndRestartKeepDataAndEndpoint() {
        EtcdProcess etcd = ETCD.get("host2");
        Client client = ETCD.client("host2");
        String key = "/fixture/restart/" + Names.randomSuffix();
        Kv.put(client, key, "survives");
        String endpoint = etcd.endpoint();
        long pid = etcd.pid();

        etcd.kill();
        assertThat(etcd.isRunning()).isFalse();
        etcd.restart();

        assertThat(etcd.endpoint()).isEqualTo(endpoint);
        assertThat(etcd.pid()).isNotEqualTo(pid);
        // The cached client was made before the kill: it must reconnect by itself.
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> assertThat(Kv.get(client, key)).contains("survives"));

        etcd.stop();
        etcd.start();
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> assertThat(Kv.get(client, key)).contains("survives"));
    }

    @Test
    void pauseBlocksWritesUntilResume() throws Exception {
        EtcdProcess etcd = ETCD.get("host");
        Client client = ETCD.client("host");
        String key = "/fixture/pause/" + Names.randomSuffix();
        Kv.put(client, key, "before");

        etcd.pause();
        CompletableFuture<PutResponse> pending;
        try {
            assertThat(etcd.isPaused()).isTrue();
            assertThatThrownBy(() -> Kv.put(client, key + "-timeout", "x", Duration.ofSeconds(2)))
                    .isInstanceOf(Kv.KvException.class)
                    .hasCauseInstanceOf(TimeoutException.class);
            pending = client.getKVClient().put(Kv.bytes(key), Kv.bytes("during-pause"));
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> !pending.isDone());
        } finally {
            etcd.resume();
        }

        assertThat(etcd.isPaused()).isFalse();
        await().atMost(WAIT).until(pending::isDone);
        assertThat(pending.get().getHeader().getRevision()).isPositive();
        assertThat(Kv.get(client, key)).contains("during-pause");
    }

    @Test
    void compactionMakesAnOldWatchFail() {
        EtcdProcess etcd = ETCD.get("host");
        Client client = ETCD.client("host");
        String prefix = "/fixture/compact/" + Names.randomSuffix() + "/";
        long old = Kv.put(client, prefix + "a", "1");
        Kv.put(client, prefix + "a", "2");
        Kv.put(client, prefix + "b", "3");

        long compactedTo = etcd.compactToCurrent();
        assertThat(compactedTo).isGreaterThan(old);
        assertThat(etcd.currentRevision()).isEqualTo(compactedTo);

        try (WatchRecorder watch = WatchRecorder.open(client, prefix, old)) {
            await().atMost(WAIT).until(() -> !watch.errors().isEmpty());
            assertThat(watch.errors().get(0)).isInstanceOf(CompactedException.class);
            assertThat(((CompactedException) watch.errors().get(0)).getCompactedRevision()).isEqualTo(compactedTo);
            assertThat(watch.events()).isEmpty();
        }
        // Data survives compaction; only history is gone.
        assertThat(Kv.keys(client, prefix)).containsExactly(Map.entry(prefix + "a", "2"), Map.entry(prefix + "b", "3"));
    }

    @Test
    void tlsWorksWithClientCertAndRefusesClientsWithout() throws Exception {
        EtcdProcess etcd = TLS.get("secure");
        assertThat(etcd.endpoint()).startsWith("https://127.0.0.1:");
        assertThat(etcd.caFile()).isRegularFile().hasFileName("ca.crt");
        assertThat(etcd.clientCertFile()).isRegularFile().hasFileName("apiserver-etcd-client.crt");
        assertThat(etcd.clientKeyFile()).isRegularFile().hasFileName("apiserver-etcd-client.key");
        // As kubeadm writes them: RSA keys in PKCS#1.
        assertThat(Files.readString(etcd.clientKeyFile())).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        assertThat(Files.readString(etcd.clientKeyFile(EtcdPki.KeyForm.SEC1_EC))).startsWith("-----BEGIN EC PRIVATE KEY-----");
        assertThat(Files.readString(etcd.clientKeyFile(EtcdPki.KeyForm.PKCS8_RSA))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(etcd.pkiDir().resolve("server.crt")).isRegularFile();
        assertThat(etcd.pkiDir().resolve("server.key")).isRegularFile();

        String key = "/fixture/tls/" + Names.randomSuffix();
        Client withCert = TLS.client("secure");
        Kv.put(withCert, key, "secret");
        assertThat(Kv.get(withCert, key)).contains("secret");

        // waitForReady(false): fail on the refused handshake instead of waiting for a channel
        // that can never become ready.
        try (Client withoutCert = Client.builder().endpoints(etcd.endpoint()).waitForReady(false)
                .sslContext(ssl -> ssl.trustManager(etcd.caFile().toFile())).build()) {
            Throwable refused = refusal(withoutCert, key);
            LOG.info("client without certificate refused: {}", refused.toString());
            assertThat(refused).isInstanceOf(StatusRuntimeException.class);
            assertThat(((StatusRuntimeException) refused).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        }
        try (Client plain = Client.builder().endpoints("http://127.0.0.1:" + etcd.clientPort()).waitForReady(false)
                .build()) {
            Throwable refused = refusal(plain, key);
            LOG.info("plain-text client refused: {}", refused.toString());
            assertThat(refused).isInstanceOf(StatusRuntimeException.class);
        }
        // The refusals did not disturb the server.
        assertThat(Kv.get(withCert, key)).contains("secret");
    }

    @Test
    void watchRecorderSeesEveryEvent() {
        Client client = ETCD.client("host2");
        String prefix = "/fixture/watch/" + Names.randomSuffix() + "/";
        try (WatchRecorder watch = WatchRecorder.open(client, prefix)) {
            long first = Kv.put(client, prefix + "x", "1");
            Instant between = Instant.now();
            Kv.put(client, prefix + "x", "2");
            Kv.delete(client, prefix + "x");
            Kv.put(client, "/fixture/elsewhere/" + Names.randomSuffix(), "not watched");

            await().atMost(WAIT).until(() -> watch.count() == 3);
            assertThat(watch.events()).extracting(WatchRecorder.Event::value).containsExactly("1", "2", null);
            assertThat(watch.events().get(2).isDelete()).isTrue();
            assertThat(watch.eventsSince(first)).hasSize(2);
            assertThat(watch.eventsFor(prefix + "x")).hasSize(3);
            assertThat(watch.eventsAfter(between)).hasSizeBetween(2, 3);
            assertThat(watch.errors()).isEmpty();
        }
    }

    @Test
    void keysPagesThroughMoreThanTenThousandKeys() {
        Client client = ETCD.client("host2");
        String prefix = "/fixture/many/" + Names.randomSuffix() + "/";
        Map<String, String> entries = new LinkedHashMap<>();
        for (int i = 0; i < 10_500; i++) {
            entries.put(String.format("%s%05d", prefix, i), "v" + i);
        }
        Kv.putAll(client, entries);

        Map<String, String> read = Kv.keys(client, prefix);
        assertThat(read).hasSize(10_500).containsAllEntriesOf(entries);
        assertThat(Kv.count(client, prefix)).isEqualTo(10_500);
        assertThat(Kv.deletePrefix(client, prefix)).isEqualTo(10_500);
    }

    @Test
    void kubeObjectsMatchTheSamples() throws Exception {
        String sample = KubeObjects.sample("user-xxp-created-on-host.json");
        String built = KubeObjects.user("xxp", "xxp@163.com", "a0d54d3f-9f99-4b34-a263-b70e78cd889c",
                Instant.parse("2026-11-23T17:19:47Z"));
        assertThat(built).isEqualTo(sample);

        ObjectMapper json = new ObjectMapper();
        String fresh = KubeObjects.user("alice", "alice@example.com");
        assertThat(fresh).endsWith("}\n").doesNotContain("resourceVersion");
        JsonNode tree = json.readTree(fresh);
        assertThat(tree.at("/metadata/uid").asText()).hasSize(36);
        assertThat(tree.at("/metadata/managedFields/0/time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");

        String padded = KubeObjects.userPadded("bob", "bob@example.com", 1024);
        assertThat(padded.getBytes(StandardCharsets.UTF_8)).hasSize(1024);
        assertThat(json.readTree(padded).at("/spec/email").asText()).isEqualTo("bob@example.com");

        JsonNode binding = json.readTree(KubeObjects.globalRoleBinding("bob-platform-regular", "bob", "platform-regular"));
        assertThat(binding.at("/roleRef/name").asText()).isEqualTo("platform-regular");
        assertThat(binding.at("/subjects/0/name").asText()).isEqualTo("bob");
        JsonNode workspace = json.readTree(KubeObjects.workspaceTemplate("ws1", "member"));
        assertThat(workspace.at("/spec/placement/clusters/0/name").asText()).isEqualTo("member");

        assertThat(KubeObjects.userKey("xxp")).isEqualTo("/registry/iam.kubesphere.io/users/xxp");
        assertThat(KubeObjects.globalRoleBindingKey("b")).isEqualTo("/registry/iam.kubesphere.io/globalrolebindings/b");
        assertThat(KubeObjects.workspaceTemplateKey("w")).isEqualTo("/registry/tenant.kubesphere.io/workspacetemplates/w");

        // Stored and read back byte for byte.
        Kv.put(ETCD.client("host"), KubeObjects.userKey("xxp-" + Names.randomSuffix()), sample);
    }

    /** An instance field gives every test its own etcd, torn down after the test. */
    @Nested
    class PerTest {

        @RegisterExtension
        final EtcdClusters perTest = EtcdClusters.builder().withClusters("solo").build();

        @Test
        void startsAFreshEtcdForTheTest() {
            EtcdProcess solo = perTest.get("solo");
            assertThat(solo.isRunning()).isTrue();
            assertThat(Kv.count(perTest.client("solo"), "/")).isZero();
            assertThat(ETCD.get("host").isRunning()).isTrue();
        }
    }

    /** The error etcd's refusal surfaces as, unwrapped from the future. */
    private static Throwable refusal(Client client, String key) throws InterruptedException, TimeoutException {
        try {
            client.getKVClient().get(Kv.bytes(key)).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            return cause;
        }
        throw new AssertionError("etcd served " + key + " to a client that should have been refused");
    }
}
