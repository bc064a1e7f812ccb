package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeySpaceTest {

    private final KeySpace keys = new KeySpace("/fedsync/v1/", List.of("/registry/iam.kubesphere.io/",
            "/registry/tenant.kubesphere.io/"));

    @Test
    void metaKeyMapsBackToItsDataKey() {
        Key data = Key.of("/registry/iam.kubesphere.io/users/xxp");
        assertThat(keys.metaKey(data).toString(StandardCharsets.UTF_8))
                .isEqualTo("/fedsync/v1/meta/registry/iam.kubesphere.io/users/xxp");
        assertThat(keys.dataKeyOf(keys.metaKey(data))).isEqualTo(data);
    }

    @Test
    void keysThatAreNotUtf8KeepTheirBytes() {
        Key ff = Key.of(bytes("/registry/iam.kubesphere.io/bad/key-", 0xff));
        Key fe = Key.of(bytes("/registry/iam.kubesphere.io/bad/key-", 0xfe));
        assertThat(keys.dataKeyOf(keys.metaKey(ff))).isEqualTo(ff).isNotEqualTo(fe);
        assertThat(keys.prefixIndexOf(ff)).isZero();
    }

    @Test
    void metadataOfAPrefixIsItselfAPrefixOutsideEveryMirroredPrefix() {
        ByteSequence metaPrefix = keys.metaPrefix(0);
        assertThat(keys.metaKey(Key.of("/registry/iam.kubesphere.io/users/a")).startsWith(metaPrefix)).isTrue();
        assertThat(keys.prefixIndexOf(Key.of(metaPrefix))).isEqualTo(-1);
        assertThat(keys.prefixIndexOf(Key.of(keys.fenceKey()))).isEqualTo(-1);
    }

    @Test
    void prefixIndexOfFindsTheMirroredPrefixOnly() {
        assertThat(keys.prefixIndexOf(Key.of("/registry/tenant.kubesphere.io/workspaces/w"))).isEqualTo(1);
        assertThat(keys.prefixIndexOf(Key.of("/registry/pods/default/p"))).isEqualTo(-1);
        assertThat(keys.prefixIndexOf(Key.of("/registry/iam.kubesphere.io"))).as("the prefix without its slash")
                .isEqualTo(-1);
    }

    @Test
    void rangeEndIsTheFirstKeyAfterThePrefix() {
        assertThat(KeySpace.rangeEnd(ByteSequence.from("/registry/a/", StandardCharsets.UTF_8))
                .toString(StandardCharsets.UTF_8)).isEqualTo("/registry/a0");
    }

    @Test
    void rangeEndIncrementsTheLastByteOfTheUtf8Encoding() {
        // "ÿ" is c3 bf in UTF-8: the end is c3 c0, past every key that starts with it.
        assertThat(KeySpace.rangeEnd(ByteSequence.from("\u00ff", StandardCharsets.UTF_8)).getBytes())
                .isEqualTo(new byte[] {(byte) 0xc3, (byte) 0xc0});
    }

    static byte[] bytes(String s, int last) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = java.util.Arrays.copyOf(b, b.length + 1);
        out[b.length] = (byte) last;
        return out;
    }
}
