package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeySpaceTest {

    private final KeySpace keys = new KeySpace("/fedsync/v1/", List.of("/registry/iam.kubesphere.io/",
            "/registry/tenant.kubesphere.io/"));

    @Test
    void metaKeyMapsBackToItsDataKey() {
        String data = "/registry/iam.kubesphere.io/users/xxp";
        assertThat(keys.metaKey(data)).isEqualTo("/fedsync/v1/meta/registry/iam.kubesphere.io/users/xxp");
        assertThat(keys.dataKeyOf(keys.metaKey(data))).isEqualTo(data);
    }

    @Test
    void metadataOfAPrefixIsItselfAPrefixOutsideEveryMirroredPrefix() {
        String metaPrefix = keys.metaPrefix("/registry/iam.kubesphere.io/");
        assertThat(keys.metaKey("/registry/iam.kubesphere.io/users/a")).startsWith(metaPrefix);
        assertThat(keys.prefixOf(metaPrefix)).isEmpty();
        assertThat(keys.prefixOf(keys.fenceKey())).isEmpty();
    }

    @Test
    void prefixOfFindsTheMirroredPrefixOnly() {
        assertThat(keys.prefixOf("/registry/tenant.kubesphere.io/workspaces/w")).contains("/registry/tenant.kubesphere.io/");
        assertThat(keys.prefixOf("/registry/pods/default/p")).isEmpty();
        assertThat(keys.prefixOf("/registry/iam.kubesphere.io")).as("the prefix without its slash").isEmpty();
    }

    @Test
    void rangeEndIsTheFirstKeyAfterThePrefix() {
        assertThat(KeySpace.rangeEnd("/registry/a/").toString(StandardCharsets.UTF_8)).isEqualTo("/registry/a0");
    }

    @Test
    void rangeEndIncrementsTheLastByteOfTheUtf8Encoding() {
        // "ÿ" is c3 bf in UTF-8: the end is c3 c0, past every key that starts with it.
        assertThat(KeySpace.rangeEnd("\u00ff").getBytes()).isEqualTo(new byte[] {(byte) 0xc3, (byte) 0xc0});
    }
}
