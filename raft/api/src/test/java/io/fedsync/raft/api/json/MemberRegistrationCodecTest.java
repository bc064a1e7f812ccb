package io.fedsync.raft.api.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.raft.api.MemberRegistration;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MemberRegistrationCodecTest {

    private static MemberRegistration member() {
        return new MemberRegistration("member-1", "/etc/fedsync/member-1.kubeconfig", "admin@member-1",
                "0b6c7a4e-1111-4c1e-9d3a-5e0f00000001", new TreeMap<>(Map.of("region", "eu", "tier", "prod")),
                1_764_403_200_123L);
    }

    private static JsonNode parse(String json) throws Exception {
        return Json.MAPPER.readTree(json.getBytes(StandardCharsets.UTF_8));
    }

    private static MemberRegistration roundTrip(MemberRegistration m) throws Exception {
        return MemberRegistrationCodec.fromJson(Json.MAPPER.readTree(Json.bytes(MemberRegistrationCodec.toJson(m))));
    }

    @Test
    void aRegistrationRoundTripsAndIsWrittenInAFixedShape() throws Exception {
        MemberRegistration m = member();

        assertThat(roundTrip(m)).isEqualTo(m);
        assertThat(new String(Json.bytes(MemberRegistrationCodec.toJson(m)), StandardCharsets.UTF_8)).isEqualTo(
                "{\"name\":\"member-1\",\"kubeconfig\":\"/etc/fedsync/member-1.kubeconfig\",\"context\":\"admin@member-1\","
                        + "\"kubeSystemUid\":\"0b6c7a4e-1111-4c1e-9d3a-5e0f00000001\","
                        + "\"labels\":{\"region\":\"eu\",\"tier\":\"prod\"},\"joinedAt\":1764403200123}");
    }

    @Test
    void aNullContextIsOmittedAndReadBackAsNullAsIsAnExplicitNull() throws Exception {
        MemberRegistration m = new MemberRegistration("m2", "/k/m2", null, "uid-2", null, 0);

        ObjectNode json = MemberRegistrationCodec.toJson(m);

        assertThat(json.has("context")).isFalse();
        assertThat(json.get("labels").isObject()).isTrue();
        assertThat(roundTrip(m)).isEqualTo(m);
        json.putNull("context");
        assertThat(MemberRegistrationCodec.fromJson(json)).isEqualTo(m);
    }

    @Test
    void labelsAreWrittenInKeyOrderWhateverOrderTheyCameIn() throws Exception {
        JsonNode shuffled = parse("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\","
                + "\"labels\":{\"z\":\"1\",\"a\":\"2\"},\"joinedAt\":5}");

        MemberRegistration m = MemberRegistrationCodec.fromJson(shuffled);

        assertThat(new String(Json.bytes(MemberRegistrationCodec.toJson(m)), StandardCharsets.UTF_8))
                .contains("\"labels\":{\"a\":\"2\",\"z\":\"1\"}");
    }

    @Test
    void everyMalformedFieldIsNamed() throws Exception {
        String ok = "\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":{},\"joinedAt\":5";
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("[]", "must be a JSON object");
        bad.put("{\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":{},\"joinedAt\":5}", "missing field 'name'");
        bad.put("{\"name\":7,\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":{},\"joinedAt\":5}",
                "field 'name' must be a string");
        bad.put("{\"name\":\"m\",\"kubeSystemUid\":\"u\",\"labels\":{},\"joinedAt\":5}", "missing field 'kubeconfig'");
        bad.put("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"labels\":{},\"joinedAt\":5}", "missing field 'kubeSystemUid'");
        bad.put("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"joinedAt\":5}", "missing field 'labels'");
        bad.put("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":{}}", "missing field 'joinedAt'");
        bad.put("{" + ok + ",\"context\":3}", "field 'context' must be a string");
        bad.put("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":[],\"joinedAt\":5}",
                "field 'labels' must be an object");
        bad.put("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":{\"a\":1},\"joinedAt\":5}",
                "label 'a' must be a string");
        bad.put("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":{},\"joinedAt\":\"5\"}",
                "field 'joinedAt' must be a whole number");
        bad.put("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":{},\"joinedAt\":1.5}",
                "field 'joinedAt' must be a whole number");
        bad.put("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":{},\"joinedAt\":-1}",
                "joinedAt must be >= 0");
        bad.put("{\"name\":\"M_1\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":{},\"joinedAt\":5}",
                "member name 'M_1' must be");
        bad.put("{\"name\":\"m\",\"kubeconfig\":\"k\",\"kubeSystemUid\":\"u\",\"labels\":{},\"joinedAt\":5}",
                "kubeconfig must be an absolute path, not 'k'");
        bad.put("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\" \",\"labels\":{},\"joinedAt\":5}",
                "kubeSystemUid must not be blank");
        bad.put("{" + ok + ",\"context\":\"\"}", "context must not be blank");

        for (Map.Entry<String, String> e : bad.entrySet()) {
            JsonNode node = parse(e.getKey());
            assertThatThrownBy(() -> MemberRegistrationCodec.fromJson(node)).as(e.getKey())
                    .isInstanceOf(JsonFormatException.class).hasMessageContaining(e.getValue());
        }
        assertThatThrownBy(() -> MemberRegistrationCodec.fromJson(null)).isInstanceOf(JsonFormatException.class);
    }

    @Test
    void aListRoundTripsAndABadEntryIsNamedByItsPlace() throws Exception {
        MemberRegistration other = new MemberRegistration("m2", "/k/m2", null, "uid-2", null, 9);
        List<MemberRegistration> list = List.of(member(), other);

        JsonNode json = Json.MAPPER.readTree(Json.bytes(MemberRegistrationCodec.toJson(list)));

        assertThat(MemberRegistrationCodec.fromJsonArray(json, "members")).isEqualTo(list);
        ((ObjectNode) json.get(1)).remove("kubeSystemUid");
        assertThatThrownBy(() -> MemberRegistrationCodec.fromJsonArray(json, "members"))
                .isInstanceOf(JsonFormatException.class).hasMessage("members[1]: missing field 'kubeSystemUid'");
        assertThatThrownBy(() -> MemberRegistrationCodec.fromJsonArray(parse("{}"), "members"))
                .isInstanceOf(JsonFormatException.class).hasMessage("field 'members' must be a list");
    }

    @Test
    void aFieldItDoesNotKnowIsNeitherKeptNorWritten() throws Exception {
        JsonNode withToken = parse("{\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":{},"
                + "\"joinedAt\":5,\"token\":\"s3cr3t\"}");

        MemberRegistration m = MemberRegistrationCodec.fromJson(withToken);

        assertThat(new String(Json.bytes(MemberRegistrationCodec.toJson(m)), StandardCharsets.UTF_8))
                .doesNotContain("s3cr3t").doesNotContain("token");
    }
}
