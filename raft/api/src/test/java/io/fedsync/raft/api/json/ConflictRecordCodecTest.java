package io.fedsync.raft.api.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictSide;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.Resolution;
import io.fedsync.conflict.VersionVector;
import io.fedsync.conflict.WriteTime;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConflictRecordCodecTest {

    private static final Instant DETECTED = Instant.parse("2025-03-04T05:06:07.123456789Z");

    private static final byte[] JSON_VALUE =
            "{\"kind\":\"User\",\"metadata\":{\"name\":\"zoë\"}}".getBytes(StandardCharsets.UTF_8);
    /** Kubernetes' protobuf envelope: not UTF-8. */
    private static final byte[] PROTOBUF_VALUE = {'k', '8', 's', 0, (byte) 0x0a, (byte) 0xff, (byte) 0xfe, (byte) 0x80};

    private static ConflictRecord record() {
        return new ConflictRecord("3f2a9c", "/registry/iam.kubesphere.io/users/alice", ConflictType.UPDATE_VS_DELETE,
                ConflictState.OPEN, List.of("host", "host2"),
                List.of(new ConflictSide("host", JSON_VALUE, false, VersionVector.of(Map.of("host", 3L, "host2", 1L)),
                                41, WriteTime.managedFields(1_700_000_000_000L)),
                        new ConflictSide("host2", null, true, VersionVector.of(Map.of("host2", 2L)), 17,
                                WriteTime.received(1_700_000_000_500L))),
                List.of("/metadata/labels"), DETECTED, DETECTED.plusSeconds(1), null);
    }

    private static ConflictRecord roundTrip(ConflictRecord r) throws Exception {
        byte[] bytes = Json.bytes(ConflictRecordCodec.toJson(r));
        return ConflictRecordCodec.fromJson(Json.MAPPER.readTree(bytes));
    }

    @Test
    void openRecordRoundTrips() throws Exception {
        ConflictRecord r = record();

        assertThat(roundTrip(r)).isEqualTo(r);
    }

    @Test
    void aSideHoldingAnotherClustersChangeKeepsItsOriginAndOlderRecordsReadAsTheirOwn() throws Exception {
        ConflictRecord r = new ConflictRecord("id3", "/registry/x.io/b", ConflictType.CONCURRENT_UPDATE,
                ConflictState.OPEN, List.of("host", "host2"),
                List.of(new ConflictSide("host", JSON_VALUE, false, VersionVector.of(Map.of("host3", 1L)), 5,
                                WriteTime.received(9), "host3"),
                        new ConflictSide("host2", JSON_VALUE, false, VersionVector.of(Map.of("host2", 1L)), 6,
                                WriteTime.received(9))),
                List.of(), DETECTED, DETECTED, null);
        ObjectNode json = ConflictRecordCodec.toJson(r);
        assertThat(json.path("sides").path(0).path("origin").asText()).isEqualTo("host3");
        assertThat(json.path("sides").path(1).path("origin").asText()).isEqualTo("host2");
        assertThat(roundTrip(r)).isEqualTo(r);
        // A record written before sides had an origin.
        ((ObjectNode) json.path("sides").path(0)).remove("origin");
        assertThat(ConflictRecordCodec.fromJson(json).sides().get(0).origin()).isEqualTo("host");
    }

    @Test
    void resolvedRecordWithBinaryValueRoundTrips() throws Exception {
        ConflictRecord r = new ConflictRecord("id2", "/registry/x.io/a", ConflictType.CONCURRENT_UPDATE,
                ConflictState.OPEN, List.of("host", "host2"),
                List.of(new ConflictSide("host", PROTOBUF_VALUE, false, VersionVector.of(Map.of("host", 1L)), 5, WriteTime.received(9)),
                        new ConflictSide("host2", new byte[0], false, VersionVector.EMPTY, 6, WriteTime.UNKNOWN)),
                List.of(), DETECTED, DETECTED, null)
                .resolved(ConflictState.RESOLVED, new Resolution("host", "operator", DETECTED.plusSeconds(60), "operator: picked host"));

        ConflictRecord back = roundTrip(r);

        assertThat(back).isEqualTo(r);
        assertThat(back.sides().get(0).value()).containsExactly(PROTOBUF_VALUE);
    }

    @Test
    void convergedResolutionHasNoWinner() throws Exception {
        ConflictRecord r = record().resolved(ConflictState.CONVERGED, new Resolution(null, "converged", DETECTED));

        assertThat(roundTrip(r)).isEqualTo(r);
    }

    @Test
    void wireFormatIsReadable() {
        ConflictRecord r = record().resolved(ConflictState.RESOLVED, new Resolution("host", "priority", DETECTED));

        JsonNode json = ConflictRecordCodec.toJson(r);

        assertThat(json.get("type").asText()).isEqualTo("update-vs-delete");
        assertThat(json.get("state").asText()).isEqualTo("resolved");
        assertThat(json.get("clusters").toString()).isEqualTo("[\"host\",\"host2\"]");
        assertThat(json.get("detectedAt").asText()).isEqualTo("2025-03-04T05:06:07.123456789Z");
        JsonNode live = json.get("sides").get(0);
        assertThat(live.get("value").asText()).isEqualTo(new String(JSON_VALUE, StandardCharsets.UTF_8));
        assertThat(live.get("valueEncoding").asText()).isEqualTo("utf8");
        assertThat(live.get("vector").toString()).isEqualTo("{\"host\":3,\"host2\":1}");
        assertThat(live.get("revision").asLong()).isEqualTo(41);
        assertThat(live.get("writeTime").asText()).isEqualTo("2023-11-14T22:13:20Z");
        assertThat(live.get("writeTimeSource").asText()).isEqualTo("managedFields");
        JsonNode tombstone = json.get("sides").get(1);
        assertThat(tombstone.get("tombstone").asBoolean()).isTrue();
        assertThat(tombstone.get("value").isNull()).isTrue();
        assertThat(json.get("differingPaths").get(0).asText()).isEqualTo("/metadata/labels");
        assertThat(json.get("resolution").toString())
                .isEqualTo("{\"winner\":\"host\",\"by\":\"priority\",\"at\":\"2025-03-04T05:06:07.123456789Z\","
                        + "\"reason\":\"\"}");
    }

    @Test
    void nonUtf8ValuesAreBase64() {
        ConflictRecord r = new ConflictRecord("id", "/k/", ConflictType.FLIP_FLOP, ConflictState.OPEN, List.of("a"),
                List.of(new ConflictSide("a", PROTOBUF_VALUE, false, VersionVector.EMPTY, 1, WriteTime.UNKNOWN)), List.of(),
                DETECTED, DETECTED, null);

        JsonNode side = ConflictRecordCodec.toJson(r).get("sides").get(0);

        assertThat(side.get("valueEncoding").asText()).isEqualTo("base64");
        assertThat(Base64.getDecoder().decode(side.get("value").asText())).containsExactly(PROTOBUF_VALUE);
    }

    @Test
    void malformedDocumentsNameTheField() {
        ObjectNode json = ConflictRecordCodec.toJson(record());
        json.remove("key");
        assertThatThrownBy(() -> ConflictRecordCodec.fromJson(json)).isInstanceOf(JsonFormatException.class)
                .hasMessage("missing field 'key'");

        ObjectNode badType = ConflictRecordCodec.toJson(record());
        badType.put("type", "sideways");
        assertThatThrownBy(() -> ConflictRecordCodec.fromJson(badType)).hasMessage("unknown type 'sideways'");

        ObjectNode badTime = ConflictRecordCodec.toJson(record());
        badTime.put("detectedAt", "yesterday");
        assertThatThrownBy(() -> ConflictRecordCodec.fromJson(badTime)).hasMessageContaining("'detectedAt'");

        ObjectNode noResolution = ConflictRecordCodec.toJson(record());
        noResolution.put("state", "resolved");
        assertThatThrownBy(() -> ConflictRecordCodec.fromJson(noResolution))
                .isInstanceOf(JsonFormatException.class).hasMessageContaining("needs its resolution");
    }
}
