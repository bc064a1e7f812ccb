package io.fedsync.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.conflict.VersionVector;
import io.fedsync.conflict.WriteTime;
import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.mirror.KeyExplanation;
import io.fedsync.mirror.MetaRecord;
import io.fedsync.raft.api.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GET /api/v1/keys/{key}: what every cluster holds for one key. */
class ExplainRouteTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String KEY = "/registry/iam.kubesphere.io/users/xxp";

    private final FakeMirrorService mirror = new FakeMirrorService();
    private ApiServer server;

    @BeforeEach
    void start() {
        server = ApiServer.start(mirror, new ListenAddress("127.0.0.1", 0));
        MetaRecord meta = new MetaRecord(VersionVector.of(Map.of("host", 2L, "host2", 1L)), "host",
                new WriteTime(1_700_000_000_000L, WriteTime.Source.MANAGED_FIELDS), "00aa11bb22cc33dd", false, 0);
        mirror.explanations.put(KEY, new KeyExplanation(KEY, "/registry/iam.kubesphere.io/", List.of(
                new KeyExplanation.ClusterView("host", "live", null, 40, true, 38, "00aa11bb22cc33dd", meta, 38, true),
                new KeyExplanation.ClusterView("host2", "down", "not read: the cluster is not live", 0, false, 0, "",
                        null, 0, false)), List.of(ResolveRoutesTest.userConflict("c1", "a", "b"))));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eachClusterWithItsMetadataAndTheConflicts() throws Exception {
        for (String path : List.of("/api/v1/keys" + KEY, "/api/v1/keys/%2Fregistry%2Fiam.kubesphere.io%2Fusers%2Fxxp")) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
            JsonNode k = Json.MAPPER.readTree(r.body());
            assertThat(k.path("key").asText()).isEqualTo(KEY);
            JsonNode host = k.path("clusters").get(0);
            assertThat(host.path("modRevision").asLong()).isEqualTo(38);
            assertThat(host.path("valueHash").asText()).isEqualTo("00aa11bb22cc33dd");
            assertThat(host.path("described").asBoolean()).isTrue();
            assertThat(host.path("meta").path("vector").toString()).isEqualTo("{\"host\":2,\"host2\":1}");
            assertThat(host.path("meta").path("origin").asText()).isEqualTo("host");
            assertThat(host.path("meta").path("writeTime").asText()).isEqualTo("2023-11-14T22:13:20Z");
            assertThat(host.path("meta").path("tombstone").asBoolean()).isFalse();
            assertThat(k.path("clusters").get(1).path("error").asText()).contains("not live");
            assertThat(k.path("conflicts").get(0).path("id").asText()).isEqualTo("c1");
        }
    }

    @Test
    void aKeyOutsideThePrefixesIs404() throws Exception {
        HttpResponse<String> r = get("/api/v1/keys/registry/core/pods/x");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(Json.MAPPER.readTree(r.body()).path("error").asText()).contains("no mirrored prefix");
    }

    @Test
    void aReplicaThatDoesNotMirrorAndKnowsNoneSays503() throws Exception {
        mirror.notMirroring = "replica b does not lead";
        HttpResponse<String> r = get("/api/v1/keys" + KEY);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(Json.MAPPER.readTree(r.body()).path("error").asText()).contains("does not lead");
    }
}
