package io.fedsync.itest.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.Client;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.mirror.VerifyResult;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 9, item 4: the verification pass (anti-entropy). fedsync's metadata is changed behind
 * the mirror's back, where no watch sees it, and the pass must find and repair it; what an open
 * conflict explains is not a divergence; tombstones every cluster holds are collected.
 */
@DisplayName("verification pass (anti-entropy), 2 real etcd clusters per test")
class VerifyIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String META = "/fedsync/v1/meta";

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host", "host2").build();

    private MirrorHarness mirror;

    @AfterEach
    void stopMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    private Client host() {
        return etcd.client("host");
    }

    private Client host2() {
        return etcd.client("host2");
    }

    private MirrorHarness start(ResolutionPolicy policy) {
        mirror = new MirrorHarness(etcd, policy, MirrorHarness.newStore(),
                s -> s.withVerify(Duration.ZERO, Duration.ZERO)).start();
        return mirror;
    }

    private String mirroredUser() {
        String name = Names.random("v");
        String key = KubeObjects.userKey(name);
        Kv.put(host(), key, KubeObjects.user(name, name + "@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(host2(), key).isPresent());
        mirror.awaitSettled();
        return key;
    }

    private ObjectNode meta(Client c, String key) throws Exception {
        return (ObjectNode) JSON.readTree(Kv.get(c, META + key).orElseThrow());
    }

    @Test
    @DisplayName("nothing changed: a pass compares every key and finds nothing")
    void cleanPass() {
        start(new ResolutionPolicy.Hold());
        for (int i = 0; i < 5; i++) {
            mirroredUser();
        }
        VerifyResult r = mirror.verify();
        assertThat(r.keysChecked()).isGreaterThanOrEqualTo(5);
        assertThat(r.divergent()).isZero();
        assertThat(r.error()).isNull();
        assertThat(r.clusters()).containsExactly("host", "host2");
        assertThat(mirror.engine().status().verify()).isEqualTo(r);
    }

    @Test
    @DisplayName("metadata rewritten behind the mirror's back (vector and hash) is found and repaired")
    void tamperedMetadataIsRepaired() throws Exception {
        start(new ResolutionPolicy.Hold());
        String key = mirroredUser();
        String value = Kv.get(host(), key).orElseThrow();
        ObjectNode m = meta(host2(), key);
        long dataRev = Kv.getKeyValue(host2(), key).orElseThrow().getModRevision();
        ((ObjectNode) m.get("vv")).put("host2", 5);
        m.put("h", "0000000000000000");
        m.put("r", dataRev);
        Kv.put(host2(), META + key, JSON.writeValueAsString(m));

        VerifyResult r = mirror.verify();
        assertThat(r.divergent()).isEqualTo(1);
        assertThat(r.repaired()).isEqualTo(1);
        assertThat(Kv.get(host(), key)).contains(value);
        assertThat(Kv.get(host2(), key)).contains(value);
        assertThat(meta(host(), key).get("vv")).isEqualTo(meta(host2(), key).get("vv"));
        assertThat(meta(host2(), key).get("h").asText()).isNotEqualTo("0000000000000000")
                .isEqualTo(meta(host(), key).get("h").asText());
        assertThat(mirror.verify().divergent()).as("a second pass finds nothing").isZero();
    }

    @Test
    @DisplayName("metadata deleted behind the mirror's back is found and repaired without a data write")
    void deletedMetadataIsRepaired() throws Exception {
        start(new ResolutionPolicy.Hold());
        String key = mirroredUser();
        long rev = Kv.getKeyValue(host2(), key).orElseThrow().getModRevision();
        Kv.delete(host2(), META + key);

        VerifyResult r = mirror.verify();
        assertThat(r.divergent()).isEqualTo(1);
        assertThat(r.repaired()).isEqualTo(1);
        assertThat(Kv.getKeyValue(host2(), key).orElseThrow().getModRevision()).as("data untouched").isEqualTo(rev);
        assertThat(meta(host(), key).get("vv")).isEqualTo(meta(host2(), key).get("vv"));
        assertThat(mirror.verify().divergent()).isZero();
    }

    @Test
    @DisplayName("a key held by an open conflict is explained, not divergent, and stays as it is")
    void openConflictIsExplained() {
        start(new ResolutionPolicy.Hold());
        String key = mirroredUser();
        String name = key.substring(KubeObjects.USERS_PREFIX.length());
        mirror.stop();
        Kv.put(host(), key, KubeObjects.user(name, "a@163.com"));
        Kv.put(host2(), key, KubeObjects.user(name, "b@163.com"));
        mirror.start();
        await().atMost(WAIT).until(() -> !mirror.conflicts().isEmpty());
        mirror.awaitSettled();
        VerifyResult r = mirror.verify();
        assertThat(r.explained()).isEqualTo(1);
        assertThat(r.divergent()).isZero();
        assertThat(Kv.get(host(), key).orElseThrow()).contains("a@163.com");
        assertThat(Kv.get(host2(), key).orElseThrow()).contains("b@163.com");
    }

    @Test
    @DisplayName("tombstones every cluster holds are collected (retention 0 here); the key can be created again")
    void tombstonesAreCollected() {
        start(new ResolutionPolicy.Hold());
        String key = mirroredUser();
        Kv.delete(host(), key);
        await().atMost(WAIT).until(() -> Kv.get(host2(), key).isEmpty());
        mirror.awaitSettled();
        assertThat(Kv.get(host(), META + key)).as("a tombstone").isPresent();
        assertThat(Kv.get(host2(), META + key)).isPresent();

        VerifyResult r = mirror.verify();
        assertThat(r.tombstonesCollected()).isEqualTo(1);
        assertThat(Kv.get(host(), META + key)).isEmpty();
        assertThat(Kv.get(host2(), META + key)).isEmpty();

        String name = key.substring(KubeObjects.USERS_PREFIX.length());
        Kv.put(host2(), key, KubeObjects.user(name, "again@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(host(), key).map(v -> v.contains("again@")).orElse(false));
        mirror.awaitSettled();
        assertThat(mirror.conflicts()).isEmpty();
    }

    @Test
    @DisplayName("a tombstone is never collected while a cluster is down")
    void noCollectionWhileAClusterIsDown() {
        start(new ResolutionPolicy.Hold());
        String key = mirroredUser();
        Kv.delete(host(), key);
        await().atMost(WAIT).until(() -> Kv.get(host2(), key).isEmpty());
        mirror.awaitSettled();
        etcd.get("host2").stop();
        await().atMost(WAIT).until(() -> mirror.engine().status().clusters().stream()
                .anyMatch(c -> c.name().equals("host2") && c.state().equals("down")));
        VerifyResult r = mirror.verify();
        assertThat(r.tombstonesCollected()).isZero();
        assertThat(r.clusters()).containsExactly("host");
        assertThat(Kv.get(host(), META + key)).isPresent();
        etcd.get("host2").start();
    }
}
