package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValueGuardTest {

    private final ValueGuard guard = new ValueGuard(1000, List.of("/registry/"));

    @Test
    void aJsonObjectUnderRegistryWithinTheLimitIsCopied() {
        assertThat(guard.refuse(Key.of("/registry/iam.kubesphere.io/users/a"), bytes("{\"kind\":\"User\"}"))).isEmpty();
    }

    @Test
    void anOversizedValueIsRefusedNamingSizeAndLimit() {
        byte[] big = bytes("{\"a\":\"" + "x".repeat(2000) + "\"}");
        assertThat(guard.refuse(Key.of("/registry/iam.kubesphere.io/users/a"), big)).hasValueSatisfying(
                m -> assertThat(m).contains(String.valueOf(big.length), "1000"));
    }

    @Test
    void nonJsonUnderRegistryIsRefused() {
        for (String v : new String[] {"{not json", "[1,2]", "\"text\"", "42", ""}) {
            assertThat(guard.refuse(Key.of("/registry/iam.kubesphere.io/users/a"), bytes(v))).as(v)
                    .hasValueSatisfying(m -> assertThat(m).contains("not a JSON object"));
        }
    }

    @Test
    void protobufUnderRegistryIsRefusedAsSuch() {
        byte[] proto = {'k', '8', 's', 0, 10, 2, 'v', '1'};
        assertThat(guard.refuse(Key.of("/registry/iam.kubesphere.io/users/a"), proto))
                .hasValueSatisfying(m -> assertThat(m).contains("protobuf"));
    }

    @Test
    void anythingWithinTheLimitIsCopiedOutsideRegistry() {
        assertThat(guard.refuse(Key.of("/custom/config"), bytes("plain text"))).isEmpty();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
