package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FenceTest {

    @Test
    void roundTrips() {
        for (long term : new long[] {0, 1, 9, 10, 1_795_550_657_251L, Long.MAX_VALUE}) {
            assertThat(Fence.decode(Fence.encode(term))).isEqualTo(term);
        }
    }

    /** etcd compares values byte-wise; the fence's LESS compare is only right if that is numeric order. */
    @Test
    void byteOrderOfEncodingsIsNumericOrder() {
        Random random = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            long a = random.nextLong() & Long.MAX_VALUE;
            long b = random.nextInt(3) == 0 ? a + random.nextInt(10) : random.nextLong() & Long.MAX_VALUE;
            if (b < 0) {
                continue;
            }
            int bytes = Arrays.compareUnsigned(Fence.encode(a).getBytes(), Fence.encode(b).getBytes());
            assertThat(Integer.signum(bytes)).as("%d vs %d", a, b).isEqualTo(Integer.signum(Long.compare(a, b)));
        }
    }

    @Test
    void somethingElseInTheFenceKeyIsAClearError() {
        assertThatThrownBy(() -> Fence.decode(ByteSequence.from("leader-a", StandardCharsets.UTF_8)))
                .hasMessageContaining("leader-a").hasMessageContaining("not a term");
    }
}
