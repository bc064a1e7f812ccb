package io.fedsync.itest.mirror;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.conflict.WriteTime;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.WatchRecorder;
import io.fedsync.mirror.MetaRecord;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * mirror/DESIGN.md, "Write order and crash safety": a local change is stamped where it was made
 * first, then copied. These tests build the state a kill between the two leaves in two real etcds
 * (the origin's metadata stamped as the mirror stamps it, naming the changed data's revision; no
 * copy anywhere), then leave the origin as it is, edit it again, or delete it, and start a mirror
 * that must find the right answer from etcd alone: each change copied once, nothing written back,
 * no conflict. Each runs with the change made on {@code host} and, cluster order reversed, on
 * {@code host2}.
 */
@DisplayName("mirror, 2 real etcd clusters: killed after the origin's stamp, before the copy")
class StampedNotCopiedIT {

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2").build();

    private static final Duration QUIET = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(30);

    private MirrorHarness mirror;

    @AfterEach
    void stopMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    /** The origin edited and stamped as the mirror stamps a local change; the copy never written. */
    private String stampedNotCopied(String origin, String other, String key, String name) throws Exception {
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        Kv.put(ETCD.client(origin), key, KubeObjects.user(name, "first@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(ETCD.client(other), key).isPresent());
        mirror.awaitSettled();
        mirror.close();
        mirror = null;

        String edited = KubeObjects.user(name, "second@163.com");
        long revision = Kv.put(ETCD.client(origin), key, edited);
        MetaRecord before = MetaRecord.decode(Kv.getBytes(ETCD.client(origin), metaKey(key)).orElseThrow());
        MetaRecord stamp = new MetaRecord(before.vector().increment(origin), origin,
                WriteTime.received(System.currentTimeMillis()), MetaRecord.hashOf(edited.getBytes(UTF_8)), false,
                revision);
        ETCD.client(origin).getKVClient().txn()
                .Then(Op.put(bytes(metaKey(key)), ByteSequence.from(stamp.encode()), PutOption.DEFAULT))
                .commit().get(10, TimeUnit.SECONDS);
        return edited;
    }

    /**
     * Starts a mirror, waits until {@code arrived} holds and the mirror has settled, then for quiet:
     * no event on the origin, exactly one on the other cluster, which is returned.
     */
    private WatchRecorder.Event mirrorAgain(String origin, String other, String key,
                                            java.util.concurrent.Callable<Boolean> arrived) {
        try (WatchRecorder o = WatchRecorder.open(ETCD.client(origin), key);
             WatchRecorder t = WatchRecorder.open(ETCD.client(other), key)) {
            mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
            await().atMost(WAIT).until(arrived);
            mirror.awaitSettled();
            await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> o.count() == 0 && t.count() == 1);
            return t.events().get(0);
        }
    }

    @ParameterizedTest(name = "change made on {0}")
    @CsvSource({"host, host2", "host2, host"})
    @DisplayName("left as it is: the change is copied once, the origin's data is not written, no conflict")
    void copiedOnce(String origin, String other) throws Exception {
        String name = Names.random("u");
        String key = KubeObjects.userKey(name);
        String edited = stampedNotCopied(origin, other, key, name);
        long revision = Kv.getKeyValue(ETCD.client(origin), key).orElseThrow().getModRevision();
        assertThat(mirrorAgain(origin, other, key, () -> Kv.get(ETCD.client(other), key).orElse("").equals(edited))
                .isPut()).isTrue();
        assertThat(Kv.getKeyValue(ETCD.client(origin), key).orElseThrow().getModRevision()).isEqualTo(revision);
        assertThat(MetaRecord.decode(Kv.getBytes(ETCD.client(origin), metaKey(key)).orElseThrow()).vector())
                .isEqualTo(MetaRecord.decode(Kv.getBytes(ETCD.client(other), metaKey(key)).orElseThrow()).vector());
        assertThat(mirror.conflicts()).noneMatch(c -> c.key().equals(key));
    }

    @ParameterizedTest(name = "change made on {0}")
    @CsvSource({"host, host2", "host2, host"})
    @DisplayName("edited again at the origin before the mirror returns: the newer edit is copied once, no conflict")
    void newerEditCopiedOnce(String origin, String other) throws Exception {
        String name = Names.random("u");
        String key = KubeObjects.userKey(name);
        stampedNotCopied(origin, other, key, name);
        String third = KubeObjects.user(name, "third@163.com");
        Kv.put(ETCD.client(origin), key, third);
        assertThat(mirrorAgain(origin, other, key, () -> Kv.get(ETCD.client(other), key).orElse("").equals(third))
                .isPut()).isTrue();
        assertThat(Kv.get(ETCD.client(origin), key)).contains(third);
        assertThat(mirror.conflicts()).noneMatch(c -> c.key().equals(key));
    }

    @ParameterizedTest(name = "change made on {0}")
    @CsvSource({"host, host2", "host2, host"})
    @DisplayName("deleted at the origin before the mirror returns: the delete reaches the other cluster and the key stays gone")
    void laterDeleteWins(String origin, String other) throws Exception {
        String name = Names.random("u");
        String key = KubeObjects.userKey(name);
        stampedNotCopied(origin, other, key, name);
        Kv.delete(ETCD.client(origin), key);
        assertThat(mirrorAgain(origin, other, key, () -> Kv.get(ETCD.client(other), key).isEmpty()).isDelete())
                .isTrue();
        assertThat(Kv.get(ETCD.client(origin), key)).isEmpty();
        assertThat(mirror.conflicts()).noneMatch(c -> c.key().equals(key));
    }

    private static String metaKey(String key) {
        return "/fedsync/v1/meta" + key;
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, UTF_8);
    }
}
