package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KeyTest {

    @Test
    void bytesThatAreNotUtf8StayDistinctAndRoundTripThroughTheirWireSpelling() {
        Key ff = Key.of(KeySpaceTest.bytes("/registry/x/key-", 0xff));
        Key fe = Key.of(KeySpaceTest.bytes("/registry/x/key-", 0xfe));
        assertThat(ff).isNotEqualTo(fe);
        assertThat(ff.isUtf8()).isFalse();
        assertThat(ff.wire()).startsWith("hex:").isNotEqualTo(fe.wire());
        assertThat(Key.fromWire(ff.wire())).isEqualTo(ff);
        assertThat(Key.fromWire(fe.wire())).isEqualTo(fe);
        assertThat(ff.toString()).isEqualTo("/registry/x/key-\\xff");
    }

    @Test
    void utf8KeysAreSpeltAsThemselves() {
        Key k = Key.of("/registry/iam.kubesphere.io/users/\u00e9l\u00e8ve");
        assertThat(k.isUtf8()).isTrue();
        assertThat(k.wire()).isEqualTo("/registry/iam.kubesphere.io/users/\u00e9l\u00e8ve");
        assertThat(Key.fromWire(k.wire())).isEqualTo(k);
        assertThat(k.toString()).isEqualTo(k.wire());
    }

    @Test
    void orderIsEtcdsUnsignedByteOrder() {
        Random rnd = new Random(11);
        List<Key> keys = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            byte[] b = new byte[1 + rnd.nextInt(4)];
            rnd.nextBytes(b);
            keys.add(Key.of(b));
        }
        Collections.shuffle(keys, rnd);
        keys.sort(null);
        for (int i = 1; i < keys.size(); i++) {
            byte[] a = keys.get(i - 1).bytes();
            byte[] b = keys.get(i).bytes();
            assertThat(java.util.Arrays.compareUnsigned(a, b)).isLessThanOrEqualTo(0);
        }
        assertThat(Key.of("a").compareTo(Key.of(new byte[] {(byte) 0xc3}))).isNegative();
    }

    @Test
    void successorIsTheNextKeyInEtcdsOrder() {
        Key k = Key.of("/a");
        assertThat(Key.of(k.successor()).compareTo(k)).isPositive();
        assertThat(k.successor().toString(StandardCharsets.UTF_8)).isEqualTo("/a\0");
    }
}
