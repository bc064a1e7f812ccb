package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonSyntaxTest {

    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The oracle: Jackson, strict, reading the whole value into a tree. */
    private static boolean jacksonSaysObject(byte[] value) {
        try {
            JsonNode n = STRICT.readTree(value);
            return n != null && n.isObject();
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void theRealStoredObjectsAreObjects() {
        assertThat(JsonSyntax.isObject(Fixtures.createdOnHost())).isTrue();
        assertThat(JsonSyntax.isObject(Fixtures.createdOnHost2())).isTrue();
        assertThat(JsonSyntax.isObject(Fixtures.editedOnHost())).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", " {} \n", "{\"a\":1}", "{\"a\":[1,2.5e-3,-0,true,false,null,\"x\\u00e9\\n\"]}",
            "{\"a\":{\"b\":{\"c\":[[],{}]}}}", "{\"\":\"\"}", "{\"a\" : [ 1 , 2 ] }"})
    void objects(String json) {
        assertThat(JsonSyntax.isObject(bytes(json))).as(json).isTrue();
        assertThat(jacksonSaysObject(bytes(json))).as(json).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "[]", "1", "\"s\"", "null", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
            "{,}", "{\"a\":1}{}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}", "{\"a\":1e}",
            "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12G4\"}", "{a:1}", "{'a':1}", "{\"a\":NaN}",
            "{\"a\":[1 2]}", "{\"a\":\"unterminated}", "k8s\u0000\n\u0003abc", "{\"a\":1}x"})
    void notObjects(String json) {
        assertThat(JsonSyntax.isObject(bytes(json))).as(json).isFalse();
        assertThat(jacksonSaysObject(bytes(json))).as(json).isFalse();
    }

    @Test
    void aRawControlCharacterInAStringIsRefused() {
        byte[] v = "{\"a\":\"x\u0001y\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(JsonSyntax.isObject(v)).isFalse();
        assertThat(jacksonSaysObject(v)).isFalse();
    }

    @Test
    void deepNestingIsCheckedWithoutRecursion() {
        String deep = "{\"a\":" + "[".repeat(900) + "]".repeat(900) + "}";
        assertThat(JsonSyntax.isObject(bytes(deep))).isTrue();
        String tooDeep = "{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
        assertThat(JsonSyntax.isObject(bytes(tooDeep))).isFalse();
    }

    @Test
    void agreesWithJacksonOnRandomMutationsOfRealObjects() {
        Random rnd = new Random(Fixtures.SEED);
        byte[][] seeds = {Fixtures.createdOnHost(), Fixtures.editedOnHost(),
                bytes("{\"a\":[1,-2.5E+3,true,null,{\"b\":\"c\\\\\\\"d\\u0041\"}],\"e\":{}}")};
        byte[] alphabet = bytes("{}[]:,\"\\ \n0123456789.eE+-truefalsn/abu");
        int agreed = 0;
        for (int n = 0; n < 20_000; n++) {
            byte[] v = seeds[rnd.nextInt(seeds.length)].clone();
            int edits = 1 + rnd.nextInt(3);
            for (int e = 0; e < edits && v.length > 0; e++) {
                int at = rnd.nextInt(v.length);
                switch (rnd.nextInt(3)) {
                    case 0 -> v[at] = alphabet[rnd.nextInt(alphabet.length)];
                    case 1 -> {
                        byte[] shorter = new byte[v.length - 1];
                        System.arraycopy(v, 0, shorter, 0, at);
                        System.arraycopy(v, at + 1, shorter, at, v.length - at - 1);
                        v = shorter;
                    }
                    default -> {
                        byte[] longer = new byte[v.length + 1];
                        System.arraycopy(v, 0, longer, 0, at);
                        longer[at] = alphabet[rnd.nextInt(alphabet.length)];
                        System.arraycopy(v, at, longer, at + 1, v.length - at);
                        v = longer;
                    }
                }
            }
            boolean expected = jacksonSaysObject(v);
            assertThat(JsonSyntax.isObject(v)).as("%s", new String(v, StandardCharsets.UTF_8)).isEqualTo(expected);
            if (expected) {
                agreed++;
            }
        }
        assertThat(agreed).as("some mutations stay valid objects, so both answers are exercised").isPositive();
    }
}
