package io.fedsync.itest.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.mirror.MirrorStatus;
import io.fedsync.raft.api.CursorKey;
import io.fedsync.raft.api.MirrorStateStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 10, the rows inside the mirror: keys that are not UTF-8, a value the destination etcd
 * refuses as too large, stored cursors far ahead of etcd. Real etcds; host2's refuses requests
 * over 256 KiB.
 */
@DisplayName("mirror input edge cases, 2 real etcd clusters (host2 with --max-request-bytes 256 KiB)")
class MirrorInputIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2")
            .withMaxRequestBytes(256 * 1024, "host2").build();

    private MirrorHarness mirror;

    @AfterEach
    void stopMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    private static Client host() {
        return ETCD.client("host");
    }

    private static Client host2() {
        return ETCD.client("host2");
    }

    private static byte[] keyWith(String text, int lastByte) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(b, b.length + 1);
        out[b.length] = (byte) lastByte;
        return out;
    }

    private static void put(Client c, byte[] key, String value) throws Exception {
        c.getKVClient().put(ByteSequence.from(key), ByteSequence.from(value, StandardCharsets.UTF_8))
                .get(10, TimeUnit.SECONDS);
    }

    private static Map<ByteSequence, String> under(Client c, String prefix) throws Exception {
        ByteSequence p = ByteSequence.from(prefix, StandardCharsets.UTF_8);
        Map<ByteSequence, String> out = new HashMap<>();
        for (KeyValue kv : c.getKVClient().get(p, GetOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS)
                .getKvs()) {
            out.put(kv.getKey(), kv.getValue().toString(StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    @DisplayName("two keys that differ only in bytes that are not UTF-8 arrive as themselves, byte for byte")
    void keysAreBytes() throws Exception {
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        String dir = KubeObjects.USERS_PREFIX + "bad-" + Names.randomSuffix() + "/key-";
        byte[] ff = keyWith(dir, 0xff);
        byte[] fe = keyWith(dir, 0xfe);
        put(host(), ff, "{\"kind\":\"User\",\"spec\":{\"email\":\"ff@163.com\"}}");
        put(host(), fe, "{\"kind\":\"User\",\"spec\":{\"email\":\"fe@163.com\"}}");
        await().atMost(WAIT).until(() -> under(host2(), dir).size() == 2);
        mirror.awaitSettled();
        Map<ByteSequence, String> onHost2 = under(host2(), dir);
        assertThat(onHost2).isEqualTo(under(host(), dir));
        assertThat(onHost2.get(ByteSequence.from(ff))).contains("ff@163.com");
        assertThat(onHost2.get(ByteSequence.from(fe))).contains("fe@163.com");
        assertThat(under(host2(), "/fedsync/v1/meta" + dir)).as("one metadata key each").hasSize(2);
        assertThat(mirror.engine().status().problems()).as("nothing under %s refused", dir)
                .noneMatch(p -> p.key().startsWith("hex:") || p.key().contains("/bad-"));
    }

    @Test
    @DisplayName("a value the destination's etcd refuses as too large is reported, not retried forever; others carry on")
    void aValueEtcdRefusesIsReported() {
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        String suffix = Names.randomSuffix();
        String big = KubeObjects.userKey("big-" + suffix);
        String small = KubeObjects.userKey("small-" + suffix);
        Kv.put(host(), big, KubeObjects.userPadded("big-" + suffix, "big@163.com", 300 * 1024));
        Kv.put(host(), small, KubeObjects.user("small-" + suffix, "s@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(host2(), small).isPresent());
        await().atMost(WAIT).untilAsserted(() -> assertThat(mirror.engine().status().problems())
                .anySatisfy(p -> {
                    assertThat(p.key()).isEqualTo(big);
                    assertThat(p.cluster()).isEqualTo("host2");
                    assertThat(p.reason()).contains("refused the write as too large");
                }));
        mirror.awaitSettled();
        long refused = mirror.counter("refusedByEtcd");
        long txns = mirror.counter("txns");
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6))
                .until(() -> mirror.counter("refusedByEtcd") == refused && mirror.counter("txns") == txns);
        assertThat(Kv.get(host2(), big)).isEmpty();
    }

    @Test
    @DisplayName("stored cursors far ahead of etcd (restored or replaced): everything is compared, the cursor restarts"
            + " at etcd's revision, and status says what happened")
    void cursorAheadOfEtcd() {
        MirrorStateStore store = MirrorHarness.newStore();
        Map<CursorKey, Long> ahead = new HashMap<>();
        for (String c : List.of("host", "host2")) {
            for (String p : MirrorHarness.PREFIXES) {
                ahead.put(new CursorKey(c, p), 999_999_999L);
            }
        }
        store.saveCursors(ahead);
        String name = Names.random("ahead");
        String key = KubeObjects.userKey(name);
        Kv.put(host(), key, KubeObjects.user(name, "a@163.com"));
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold(), store, s -> s).start();
        await().atMost(WAIT).until(() -> Kv.get(host2(), key).isPresent());
        mirror.awaitSettled();
        MirrorStatus s = mirror.engine().status();
        assertThat(s.notices()).anySatisfy(n -> assertThat(n.message())
                .contains("cursor 999999999", "was ahead of etcd's revision", "every key is compared"));
        assertThat(s.pairs()).allSatisfy(p -> assertThat(p.cursorRevision()).isLessThan(999_999_999L)
                .isLessThanOrEqualTo(Math.max(Kv.revision(host()), Kv.revision(host2()))));
        assertThat(s.pairs()).allSatisfy(p -> assertThat(p.lagRevisions()).isZero());
    }
}
