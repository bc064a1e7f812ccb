package io.fedsync.itest.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.ResolutionPolicy;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.fixture.Samples;
import io.fedsync.itest.fixture.WatchRecorder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SCENARIOS.md S1–S4 and S10 with two real etcd processes ({@code host}, {@code host2}) and the
 * mirror running in this JVM. Objects are KubeSphere users as kube-apiserver stores them.
 */
@DisplayName("mirror, 2 real etcd clusters")
class TwoClusterScenariosIT {

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2").build();

    private static final Duration QUIET = Duration.ofSeconds(2);

    private MirrorHarness mirror;

    @AfterEach
    void stopMirror() {
        if (mirror != null) {
            mirror.close();
        }
    }

    private Client host() {
        return ETCD.client("host");
    }

    private Client host2() {
        return ETCD.client("host2");
    }

    private static String userKey() {
        return KubeObjects.userKey(Names.random("u"));
    }

    private List<ConflictRecord> conflictsFor(String key) {
        return mirror.conflicts().stream().filter(c -> c.key().equals(key)).toList();
    }

    /** No event on the watched prefix for a while: the sides have gone quiet. */
    private static void assertQuiet(WatchRecorder... recorders) {
        await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> {
            for (WatchRecorder r : recorders) {
                if (r.count() != 0) {
                    return false;
                }
            }
            return true;
        });
        for (WatchRecorder r : recorders) {
            assertThat(r.events()).as("events on " + r.prefix()).isEmpty();
        }
    }

    @Test
    @DisplayName("S1: the same user created on both hosts converges without a data write, and an edit then flows once")
    void s1SameObjectConverges() {
        String key = userKey();
        String onHost = Samples.read("user-xxp-created-on-host.json");
        String onHost2 = Samples.read("user-xxp-created-on-host2.json");
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        Kv.put(host(), key, onHost);
        Kv.put(host2(), key, onHost2);

        await().atMost(Duration.ofSeconds(30)).until(() -> conflictsFor(key).stream()
                .anyMatch(c -> c.state() == ConflictState.CONVERGED));
        mirror.awaitSettled();
        assertThat(conflictsFor(key)).allMatch(c -> c.state() == ConflictState.CONVERGED);
        assertThat(Kv.get(host(), key)).contains(onHost);
        assertThat(Kv.get(host2(), key)).contains(onHost2);

        try (WatchRecorder w1 = WatchRecorder.open(host(), key); WatchRecorder w2 = WatchRecorder.open(host2(), key)) {
            assertQuiet(w1, w2);
        }

        String edited = Samples.read("user-xxp-edited-on-host.json");
        try (WatchRecorder w1 = WatchRecorder.open(host(), key); WatchRecorder w2 = WatchRecorder.open(host2(), key)) {
            Kv.put(host(), key, edited);
            await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host2(), key).equals(Optional.of(edited)));
            mirror.awaitSettled();
            await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> w2.count() == 1 && w1.count() == 1);
            assertThat(w2.events()).singleElement().satisfies(e -> assertThat(e.value()).isEqualTo(edited));
        }
    }

    /** Makes both sides hold one converged user, then edits each side while the mirror is stopped. */
    private String concurrentEdits(ResolutionPolicy policy, String emailOnHost, String emailOnHost2) {
        String name = Names.random("u");
        String key = KubeObjects.userKey(name);
        mirror = new MirrorHarness(ETCD, policy).start();
        Kv.put(host(), key, KubeObjects.user(name, "first@163.com"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host2(), key).isPresent());
        mirror.awaitSettled();
        mirror.stop();
        Kv.put(host(), key, KubeObjects.user(name, emailOnHost));
        Kv.put(host2(), key, KubeObjects.user(name, emailOnHost2));
        return key;
    }

    @Test
    @DisplayName("S2 hold: concurrent edits give exactly one open conflict, nobody is overwritten, an operator resolves it once")
    void s2HoldKeepsBothUntilResolved() {
        String key = concurrentEdits(new ResolutionPolicy.Hold(), "xxp@163.com", "xxp-2@163.com");
        String onHost = Kv.get(host(), key).orElseThrow();
        String onHost2 = Kv.get(host2(), key).orElseThrow();
        try (WatchRecorder w1 = WatchRecorder.open(host(), key); WatchRecorder w2 = WatchRecorder.open(host2(), key)) {
            mirror.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> !conflictsFor(key).isEmpty());
            mirror.awaitSettled();
            assertQuiet(w1, w2);
        }
        List<ConflictRecord> cs = conflictsFor(key);
        assertThat(cs).singleElement().satisfies(c -> {
            assertThat(c.state()).isEqualTo(ConflictState.OPEN);
            assertThat(c.type()).isEqualTo(ConflictType.CONCURRENT_UPDATE);
            assertThat(c.clusters()).containsExactly("host", "host2");
            assertThat(c.sides()).extracting(s -> new String(s.value())).containsExactlyInAnyOrder(onHost, onHost2);
            assertThat(c.differingPaths()).contains("/spec/email");
        });
        assertThat(Kv.get(host(), key)).contains(onHost);
        assertThat(Kv.get(host2(), key)).contains(onHost2);

        try (WatchRecorder w1 = WatchRecorder.open(host(), key); WatchRecorder w2 = WatchRecorder.open(host2(), key)) {
            ConflictRecord resolved = mirror.engine().resolve(cs.get(0).id(), "host2");
            assertThat(resolved.state()).isEqualTo(ConflictState.RESOLVED);
            assertThat(resolved.resolution().winner()).isEqualTo("host2");
            assertThat(resolved.resolution().by()).isEqualTo("operator");
            await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host(), key).equals(Optional.of(onHost2)));
            mirror.awaitSettled();
            await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> w1.count() == 1 && w2.count() == 0);
        }
        assertThat(Kv.get(host2(), key)).contains(onHost2);
    }

    @Test
    @DisplayName("S2 priority: the cluster first in mirror.priority wins, the other is overwritten exactly once")
    void s2PriorityOverwritesLoserOnce() {
        String key = concurrentEdits(new ResolutionPolicy.Priority(List.of("host2", "host")), "a@163.com", "b@163.com");
        String onHost2 = Kv.get(host2(), key).orElseThrow();
        try (WatchRecorder w1 = WatchRecorder.open(host(), key); WatchRecorder w2 = WatchRecorder.open(host2(), key)) {
            mirror.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host(), key).equals(Optional.of(onHost2)));
            mirror.awaitSettled();
            await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> w1.count() == 1 && w2.count() == 0);
        }
        assertThat(conflictsFor(key)).singleElement().satisfies(c -> {
            assertThat(c.state()).isEqualTo(ConflictState.RESOLVED);
            assertThat(c.resolution().winner()).isEqualTo("host2");
            assertThat(c.resolution().by()).isEqualTo("priority");
            assertThat(c.sides()).hasSize(2);
        });
    }

    @Test
    @DisplayName("S2 lww: the later write (the apiserver's managedFields time) wins everywhere, the loser is written once")
    void s2LastWriterWins() {
        String key = concurrentEdits(new ResolutionPolicy.LastWriterWins(), "a@163.com", "b@163.com");
        try (WatchRecorder w1 = WatchRecorder.open(host(), key); WatchRecorder w2 = WatchRecorder.open(host2(), key)) {
            mirror.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host(), key).equals(Kv.get(host2(), key)));
            mirror.awaitSettled();
            await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> w1.count() + w2.count() == 1);
        }
        ConflictRecord c = conflictsFor(key).get(0);
        assertThat(conflictsFor(key)).hasSize(1);
        assertThat(c.state()).isEqualTo(ConflictState.RESOLVED);
        assertThat(c.resolution().by()).isEqualTo("lww");
        // The later write wins; both were written within a second here, so a tie goes to the name sorting first.
        var latest = c.sides().stream().sorted(java.util.Comparator
                .comparing((io.fedsync.conflict.ConflictSide s) -> s.writeTime(), java.util.Comparator.reverseOrder())
                .thenComparing(io.fedsync.conflict.ConflictSide::cluster)).findFirst().orElseThrow();
        assertThat(c.sides()).allSatisfy(s -> assertThat(s.writeTime().source())
                .isEqualTo(io.fedsync.conflict.WriteTime.Source.MANAGED_FIELDS));
        assertThat(c.resolution().winner()).isEqualTo(latest.cluster());
        assertThat(c.resolution().reason()).startsWith("lww: " + latest.cluster() + " managedFields time");
        assertThat(Kv.get(host(), key)).contains(new String(latest.value()));
    }

    @Test
    @DisplayName("S3: delete on one side while the other updates is an update-vs-delete conflict; nothing reappears")
    void s3DeleteVersusUpdate() {
        String name = Names.random("u");
        String key = KubeObjects.userKey(name);
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        Kv.put(host(), key, KubeObjects.user(name, "first@163.com"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host2(), key).isPresent());
        mirror.awaitSettled();
        mirror.stop();
        Kv.delete(host(), key);
        String updated = KubeObjects.user(name, "second@163.com");
        Kv.put(host2(), key, updated);
        try (WatchRecorder w1 = WatchRecorder.open(host(), key); WatchRecorder w2 = WatchRecorder.open(host2(), key)) {
            mirror.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> !conflictsFor(key).isEmpty());
            mirror.awaitSettled();
            assertQuiet(w1, w2);
        }
        assertThat(conflictsFor(key)).singleElement().satisfies(c -> {
            assertThat(c.type()).isEqualTo(ConflictType.UPDATE_VS_DELETE);
            assertThat(c.state()).isEqualTo(ConflictState.OPEN);
            assertThat(c.sides()).anySatisfy(s -> {
                assertThat(s.cluster()).isEqualTo("host");
                assertThat(s.tombstone()).isTrue();
            });
        });
        assertThat(Kv.get(host(), key)).isEmpty();
        assertThat(Kv.get(host2(), key)).contains(updated);

        // The operator keeps the delete: it reaches host2 and stays deleted everywhere.
        try (WatchRecorder w1 = WatchRecorder.open(host(), key); WatchRecorder w2 = WatchRecorder.open(host2(), key)) {
            mirror.engine().resolve(conflictsFor(key).get(0).id(), "host");
            await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host2(), key).isEmpty());
            mirror.awaitSettled();
            await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> w1.count() == 0 && w2.count() == 1);
        }
    }

    @Test
    @DisplayName("S3: a delete with no concurrent update propagates, and the key never comes back")
    void s3DeletePropagates() {
        String name = Names.random("u");
        String key = KubeObjects.userKey(name);
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        Kv.put(host2(), key, KubeObjects.user(name, "x@163.com"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host(), key).isPresent());
        mirror.awaitSettled();
        try (WatchRecorder w1 = WatchRecorder.open(host(), key); WatchRecorder w2 = WatchRecorder.open(host2(), key)) {
            Kv.delete(host(), key);
            await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host2(), key).isEmpty());
            mirror.awaitSettled();
            await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> w1.count() == 1 && w2.count() == 1);
            assertThat(w1.events()).allMatch(WatchRecorder.Event::isDelete);
            assertThat(w2.events()).allMatch(WatchRecorder.Event::isDelete);
        }
        assertThat(conflictsFor(key)).isEmpty();
    }

    @Test
    @DisplayName("S4: alternating edits that each saw the previous one are not conflicts; the last edit wins everywhere")
    void s4SequentialEditsAreNotConflicts() {
        String name = Names.random("u");
        String key = KubeObjects.userKey(name);
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        String last = null;
        for (int i = 0; i < 6; i++) {
            Client writer = i % 2 == 0 ? host() : host2();
            Client reader = i % 2 == 0 ? host2() : host();
            String value = KubeObjects.user(name, "edit-" + i + "@163.com");
            Kv.put(writer, key, value);
            await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(reader, key).equals(Optional.of(value)));
            mirror.awaitSettled();
            last = value;
        }
        assertThat(conflictsFor(key)).isEmpty();
        assertThat(Kv.get(host(), key)).contains(last);
        assertThat(Kv.get(host2(), key)).contains(last);
    }

    @Test
    @DisplayName("S10: keys outside the prefixes are never touched; fedsync's metadata stays out of mirrored prefixes")
    void s10OnlyConfiguredPrefixes() {
        String suffix = Names.randomSuffix();
        String secret = "/registry/secrets/kubesphere-system/s-" + suffix;
        String other = "/other/" + suffix;
        String user = KubeObjects.userKey("u-" + suffix);
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        Kv.put(host(), secret, "k8s\u0000protobuf");
        Kv.put(host(), other, "plain");
        Kv.put(host(), user, KubeObjects.user("u-" + suffix, "a@163.com"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host2(), user).isPresent());
        mirror.awaitSettled();
        assertThat(Kv.get(host2(), secret)).isEmpty();
        assertThat(Kv.get(host2(), other)).isEmpty();
        for (Client c : List.of(host(), host2())) {
            for (String prefix : MirrorHarness.PREFIXES) {
                assertThat(Kv.keys(c, prefix).keySet()).noneMatch(k -> k.contains("fedsync"));
            }
            assertThat(Kv.keys(c, "/fedsync/").keySet())
                    .allMatch(k -> k.equals("/fedsync/v1/fence") || k.startsWith("/fedsync/v1/meta/registry/"));
        }
    }

    @Test
    @DisplayName("a non-JSON value under /registry/ is reported, not copied, and does not stall other keys")
    void nonJsonValueIsReportedNotCopied() {
        String suffix = Names.randomSuffix();
        String bad = KubeObjects.userKey("bad-" + suffix);
        String good = KubeObjects.userKey("good-" + suffix);
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        Kv.put(host(), bad, "{not json");
        Kv.put(host(), good, KubeObjects.user("good-" + suffix, "g@163.com"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host2(), good).isPresent());
        await().atMost(Duration.ofSeconds(30)).until(() -> mirror.engine().status().problems().stream()
                .anyMatch(p -> p.key().equals(bad) && p.cluster().equals("host") && p.reason().contains("not a JSON")));
        assertThat(Kv.get(host2(), bad)).isEmpty();
    }

    @Test
    @DisplayName("first start against clusters that already hold data: disjoint keys copied, equal ones converge, different ones conflict")
    void firstStartAgainstExistingData() {
        String run = Names.randomSuffix();
        String onlyHost = KubeObjects.userKey("only-host-" + run);
        String onlyHost2 = KubeObjects.userKey("only-host2-" + run);
        String same = KubeObjects.userKey("same-" + run);
        String differs = KubeObjects.userKey("differs-" + run);
        Kv.put(host(), onlyHost, KubeObjects.user("only-host-" + run, "a@163.com"));
        Kv.put(host2(), onlyHost2, KubeObjects.user("only-host2-" + run, "b@163.com"));
        Kv.put(host(), same, KubeObjects.user("same-" + run, "s@163.com", "uid-1", java.time.Instant.parse("2026-01-01T00:00:00Z")));
        Kv.put(host2(), same, KubeObjects.user("same-" + run, "s@163.com", "uid-2", java.time.Instant.parse("2026-01-02T00:00:00Z")));
        Kv.put(host(), differs, KubeObjects.user("differs-" + run, "one@163.com"));
        Kv.put(host2(), differs, KubeObjects.user("differs-" + run, "two@163.com"));

        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold()).start();
        await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host2(), onlyHost).isPresent()
                && Kv.get(host(), onlyHost2).isPresent() && !conflictsFor(differs).isEmpty()
                && !conflictsFor(same).isEmpty());
        mirror.awaitSettled();
        assertThat(Kv.get(host2(), onlyHost)).isEqualTo(Kv.get(host(), onlyHost));
        assertThat(Kv.get(host(), onlyHost2)).isEqualTo(Kv.get(host2(), onlyHost2));
        assertThat(conflictsFor(same)).singleElement().extracting(ConflictRecord::state).isEqualTo(ConflictState.CONVERGED);
        assertThat(conflictsFor(differs)).singleElement().extracting(ConflictRecord::state).isEqualTo(ConflictState.OPEN);
        assertThat(Kv.get(host(), differs).orElseThrow()).contains("one@163.com");
        assertThat(Kv.get(host2(), differs).orElseThrow()).contains("two@163.com");
    }

    @Test
    @DisplayName("an open conflict survives a mirror restart as the same single record, and nothing is written meanwhile")
    void openConflictSurvivesRestart() {
        String key = concurrentEdits(new ResolutionPolicy.Hold(), "r1@163.com", "r2@163.com");
        mirror.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> !conflictsFor(key).isEmpty());
        mirror.awaitSettled();
        String id = conflictsFor(key).get(0).id();
        mirror.stop();
        try (WatchRecorder w1 = WatchRecorder.open(host(), key); WatchRecorder w2 = WatchRecorder.open(host2(), key)) {
            mirror.start();
            mirror.awaitSettled();
            assertQuiet(w1, w2);
        }
        assertThat(conflictsFor(key)).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo(id);
            assertThat(c.state()).isEqualTo(ConflictState.OPEN);
        });
    }

    @Test
    @DisplayName("a value over maxValueBytes is reported with its size and not copied; other keys carry on")
    void oversizedValueIsReported() {
        String suffix = Names.randomSuffix();
        String big = KubeObjects.userKey("big-" + suffix);
        String small = KubeObjects.userKey("small-" + suffix);
        mirror = new MirrorHarness(ETCD, new ResolutionPolicy.Hold(), MirrorHarness.newStore(),
                s -> s.withMaxValueBytes(64 * 1024)).start();
        Kv.put(host(), big, KubeObjects.userPadded("big-" + suffix, "big@163.com", 100 * 1024));
        Kv.put(host(), small, KubeObjects.user("small-" + suffix, "s@163.com"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Kv.get(host2(), small).isPresent());
        await().atMost(Duration.ofSeconds(30)).until(() -> mirror.engine().status().problems().stream()
                .anyMatch(p -> p.key().equals(big) && p.reason().contains("102400 bytes")));
        assertThat(Kv.get(host2(), big)).isEmpty();

        // A restart resumes from the cursor, past the big value's revision: it is still reported.
        mirror.awaitSettled();
        mirror.stop();
        mirror.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> mirror.engine().status().problems().stream()
                .anyMatch(p -> p.key().equals(big) && p.reason().contains("102400 bytes")));
        assertThat(Kv.get(host2(), big)).isEmpty();
    }
}
