package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FenceTokenTest {

    @Test
    void roundTrips() {
        FenceToken t = new FenceToken(42, "a-0c1f9e2b");
        assertThat(FenceToken.decode(t.encode())).isEqualTo(t);
        assertThat(t.encode().toString(StandardCharsets.UTF_8)).isEqualTo("00000000000000000042/a-0c1f9e2b");
    }

    @Test
    void etcdsByteOrderOfStoredTokensIsTheTokensOrder() {
        // Raising the fence is a compare-and-swap on the stored bytes: both orders must agree.
        Random rnd = new Random(7);
        List<FenceToken> tokens = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            tokens.add(new FenceToken(rnd.nextInt(3) == 0 ? rnd.nextLong(Long.MAX_VALUE) : rnd.nextInt(20),
                    List.of("a", "b", "a-1", "node-2", "").get(rnd.nextInt(5))));
        }
        for (FenceToken a : tokens) {
            for (FenceToken b : tokens) {
                int bytes = Integer.signum(ByteSequence.from(a.encode().getBytes()).toString(StandardCharsets.UTF_8)
                        .compareTo(b.encode().toString(StandardCharsets.UTF_8)));
                assertThat(bytes).as(a + " vs " + b).isEqualTo(Integer.signum(a.compareTo(b)));
            }
        }
        assertThat(new FenceToken(10, "a").isAbove(new FenceToken(9, "z"))).isTrue();
        assertThat(new FenceToken(9, "b").isAbove(new FenceToken(9, "a"))).as("same term: the owner decides").isTrue();
        assertThat(tokens.stream().max(Comparator.naturalOrder())).isPresent();
    }

    @Test
    void aBareNumberOfAnEarlierFedsyncIsATokenWithoutOwner() {
        FenceToken old = FenceToken.decode(ByteSequence.from("00000000000000000005", StandardCharsets.UTF_8));
        assertThat(old).isEqualTo(new FenceToken(5, ""));
        assertThat(new FenceToken(5, "a").isAbove(old)).isTrue();
    }

    @Test
    void aForeignValueIsAClearError() {
        assertThatThrownBy(() -> FenceToken.decode(ByteSequence.from("hello", StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a fedsync fencing token");
    }
}
