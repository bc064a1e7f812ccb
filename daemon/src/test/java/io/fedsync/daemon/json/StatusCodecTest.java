package io.fedsync.daemon.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.raft.api.json.Json;
import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.mirror.MirrorStatus;
import org.junit.jupiter.api.Test;

class StatusCodecTest {

    @Test
    void roundTrips() throws Exception {
        MirrorStatus status = FakeMirrorService.status("live", "down");

        JsonNode json = Json.MAPPER.readTree(Json.bytes(StatusCodec.toJson(status)));

        assertThat(StatusCodec.fromJson(json)).isEqualTo(status);
    }

    @Test
    void shape() {
        JsonNode json = StatusCodec.toJson(FakeMirrorService.status("live", "down"));

        assertThat(json.get("term").asLong()).isEqualTo(7);
        assertThat(json.get("startedAt").asText()).isEqualTo("2025-01-02T03:04:05Z");
        assertThat(json.get("policy").asText()).isEqualTo("hold");
        assertThat(json.get("clusters").get(1).toString()).isEqualTo(
                "{\"name\":\"host2\",\"state\":\"down\",\"revision\":95,"
                        + "\"endpoints\":[\"http://127.0.0.1:22379\"],\"error\":\"connection refused\","
                        + "\"owedKeys\":3,\"downSince\":\"2025-01-02T03:04:05Z\"}");
        assertThat(json.get("writer").asText()).isEqualTo("a-1f2e3d4c");
        assertThat(json.get("unhealthy").isNull()).isTrue();
        assertThat(json.get("verify").toString()).isEqualTo("{\"lastRun\":\"2025-01-02T03:04:05Z\","
                + "\"clusters\":[\"host\",\"host2\"],\"keysChecked\":40,\"divergent\":1,\"repaired\":1,"
                + "\"conflicts\":0,\"explained\":0,\"tombstonesCollected\":0,\"tookMillis\":12,\"error\":null}");
        assertThat(json.get("notices").get(0).get("message").asText()).isEqualTo("cursor 99 was ahead of etcd");
        assertThat(json.get("pairs").get(0).toString()).isEqualTo(
                "{\"from\":\"host\",\"to\":\"host2\",\"cursorRevision\":118,\"lagRevisions\":2,\"lagMillis\":40}");
        assertThat(json.get("problems").get(0).get("reason").asText()).isEqualTo("value too large");
        assertThat(json.get("counters").toString()).isEqualTo("{\"echoesDropped\":3,\"writes\":12}");
    }
}
