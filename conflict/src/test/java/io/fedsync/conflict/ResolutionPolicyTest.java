package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.wt;
import static io.fedsync.conflict.Fixtures.SEED;
import static io.fedsync.conflict.Fixtures.deleted;
import static io.fedsync.conflict.Fixtures.shuffled;
import static io.fedsync.conflict.Fixtures.vv;
import static io.fedsync.conflict.Fixtures.withWriteTime;
import static io.fedsync.conflict.Fixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ResolutionPolicyTest {

    static byte[] userWrittenAt(String time, String email) {
        return bytes("{\"apiVersion\":\"iam.kubesphere.io/v1alpha2\",\"kind\":\"User\",\"metadata\":{\"name\":\"xxp\","
                + "\"managedFields\":[{\"manager\":\"ks-apiserver\",\"operation\":\"Update\",\"time\":\"2026-01-01T00:00:00Z\"},"
                + "{\"manager\":\"kubectl\",\"operation\":\"Update\",\"time\":\"" + time + "\"}]},"
                + "\"spec\":{\"email\":\"" + email + "\"}}\n");
    }

    private static Version v(String cluster) {
        return withWriteTime(cluster, 100);
    }

    @Nested
    class Hold {

        @Test
        void choosesNothing() {
            ResolutionPolicy hold = new ResolutionPolicy.Hold();
            assertThat(hold.choose(List.of(v("host"), v("host2")))).isEmpty();
            assertThat(hold.choose(List.of(v("host")))).isEmpty();
            assertThat(hold.choose(List.of())).isEmpty();
            assertThat(hold.name()).isEqualTo("hold");
        }
    }

    @Nested
    class Priority {

        @Test
        void picksTheClusterEarliestInTheOrder() {
            ResolutionPolicy p = new ResolutionPolicy.Priority(List.of("host2", "host", "member"));
            Version host = v("host");
            Version host2 = v("host2");
            assertThat(p.choose(List.of(host, host2))).contains(host2);
            assertThat(p.choose(List.of(host2, host))).contains(host2);
            Version member = v("member");
            assertThat(p.choose(List.of(member, host))).contains(host);
            assertThat(p.name()).isEqualTo("priority");
        }

        @Test
        void ignoresHybridClockTimes() {
            ResolutionPolicy p = new ResolutionPolicy.Priority(List.of("host"));
            Version oldHost = withWriteTime("host", 1);
            Version newHost2 = withWriteTime("host2", 1_000_000);
            assertThat(p.choose(List.of(newHost2, oldHost))).contains(oldHost);
        }

        @Test
        void unlistedClustersRankLastByName() {
            ResolutionPolicy p = new ResolutionPolicy.Priority(List.of("x"));
            Version a = v("a");
            Version b = v("b");
            Version c = v("c");
            Version x = v("x");
            assertThat(p.choose(List.of(c, b))).contains(b);
            assertThat(p.choose(List.of(c, a, b))).contains(a);
            assertThat(p.choose(List.of(c, a, x, b))).contains(x);
        }

        @Test
        void listedBeatsUnlistedEvenIfNameSortsLater() {
            ResolutionPolicy p = new ResolutionPolicy.Priority(List.of("zeta"));
            Version alpha = v("alpha");
            Version zeta = v("zeta");
            assertThat(p.choose(List.of(alpha, zeta))).contains(zeta);
        }

        @Test
        void aDeleteCanWin() {
            ResolutionPolicy p = new ResolutionPolicy.Priority(List.of("host"));
            Version gone = deleted("host", vv("host", 2));
            Version kept = v("host2");
            assertThat(p.choose(List.of(kept, gone))).contains(gone);
        }

        @Test
        void priorityExplainsItsChoice() {
            ResolutionPolicy p = new ResolutionPolicy.Priority(List.of("host2", "host"));
            Version host2 = withWriteTime("host2", 1);
            assertThat(p.explain(List.of(withWriteTime("host", 2), host2), host2))
                    .isEqualTo("priority: the change made on host2 wins; host2 is listed before host in mirror.priority"
                            + " [host2, host]");
        }

        @Test
        void noContendersNoWinner() {
            assertThat(new ResolutionPolicy.Priority(List.of("host")).choose(List.of())).isEmpty();
        }

        /** What host holds and what host3 wrote. */
        private Version copy(String holder, String origin, VersionVector vector, String value) {
            return new Version(holder, vector, false, bytes(value), wt(100), 7, false, origin);
        }

        @Test
        void aCopyRanksAsTheClusterThatMadeTheChangeNotTheOneHoldingIt() {
            // host3's write was copied to host; host2's concurrent write must beat it under
            // [host, host2, host3] wherever host3's write happens to be held.
            ResolutionPolicy p = new ResolutionPolicy.Priority(List.of("host", "host2", "host3"));
            VersionVector v1 = vv("host3", 1);
            Version onHost = copy("host", "host3", v1, "A");
            Version onHost3 = copy("host3", "host3", v1, "A");
            Version host2 = Fixtures.localLive("host2", vv("host2", 1), "B");
            for (List<Version> order : List.of(List.of(onHost, host2, onHost3), List.of(onHost3, host2, onHost),
                    List.of(host2, onHost, onHost3))) {
                assertThat(p.choose(order)).contains(host2);
            }
            assertThat(p.explain(List.of(onHost, host2, onHost3), host2))
                    .isEqualTo("priority: the change made on host2 wins; host2 is listed before host3 in mirror.priority"
                            + " [host, host2, host3]");
            // Reversed order: host3's write wins, whichever cluster holds it.
            ResolutionPolicy reversed = new ResolutionPolicy.Priority(List.of("host3", "host2", "host"));
            assertThat(reversed.choose(List.of(onHost, host2, onHost3)).orElseThrow().origin()).isEqualTo("host3");
            assertThat(reversed.explain(List.of(onHost, host2), onHost))
                    .isEqualTo("priority: the change made on host3 (held on host) wins; host3 is listed before host2"
                            + " in mirror.priority [host3, host2, host]");
        }

        @Test
        void ofTwoChangesFromOneClusterItsLaterOneWins() {
            // host holds host3's write A under a merged vector; host3 has since written C locally,
            // concurrent with that vector: C is host3's later write (its own counter is higher).
            ResolutionPolicy p = new ResolutionPolicy.Priority(List.of("host", "host2", "host3"));
            Version a = copy("host", "host3", vv("host3", 1, "host2", 1), "A");
            Version c = Fixtures.localLive("host3", vv("host3", 2), "C");
            assertThat(p.choose(List.of(a, c))).contains(c);
            assertThat(p.choose(List.of(c, a))).contains(c);
            assertThat(p.explain(List.of(a, c), c)).isEqualTo("priority: every side holds a change made on host3;"
                    + " its latest wins");
        }

        @Test
        void anOperatorsValueRanksAsTheClusterHoldingIt() {
            ResolutionPolicy p = new ResolutionPolicy.Priority(List.of("host", "host2"));
            Version operator = copy("host2", "operator", vv("operator", 1), "X");
            Version host = Fixtures.localLive("host", vv("host", 1), "Y");
            assertThat(p.choose(List.of(operator, host))).contains(host);
            ResolutionPolicy reversed = new ResolutionPolicy.Priority(List.of("host2", "host"));
            assertThat(reversed.choose(List.of(operator, host))).contains(operator);
        }

        @Test
        void emptyOrderIsRejected() {
            assertThatThrownBy(() -> new ResolutionPolicy.Priority(List.of()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("mirror.priority");
            assertThatThrownBy(() -> ResolutionPolicy.parse("priority", List.of()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("mirror.priority");
        }

        @Test
        void orderIsCopied() {
            List<String> order = new ArrayList<>(List.of("host", "host2"));
            ResolutionPolicy.Priority p = new ResolutionPolicy.Priority(order);
            order.clear();
            order.add("host2");
            Version host = v("host");
            assertThat(p.choose(List.of(v("host2"), host))).contains(host);
            assertThat(p.order()).containsExactly("host", "host2");
            assertThatThrownBy(() -> p.order().add("x")).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Nested
    class LastWriterWins {

        private final ResolutionPolicy lww = new ResolutionPolicy.LastWriterWins();

        @Test
        void picksTheLatestWriteTime() {
            Version early = withWriteTime("a", 10);
            Version late = withWriteTime("z", 20);
            Version middle = withWriteTime("m", 15);
            assertThat(lww.choose(List.of(early, late, middle))).contains(late);
            assertThat(lww.choose(List.of(late, middle, early))).contains(late);
            assertThat(lww.name()).isEqualTo("lww");
        }

        @Test
        void theApiserversManagedFieldsTimeWinsOverTheOrderTheMirrorSawTheChanges() {
            // host2 wrote at 08:00:00 and host at 08:00:03, but the mirror received host's change first.
            byte[] onHost2 = userWrittenAt("2026-11-29T08:00:00Z", "b@163.com");
            byte[] onHost = userWrittenAt("2026-11-29T08:00:03Z", "a@163.com");
            long sawHostAt = java.time.Instant.parse("2026-11-29T08:10:00Z").toEpochMilli();
            Version host = new Version("host", vv("host", 1), false, onHost,
                    WriteTime.of(onHost, WriteTime.received(sawHostAt)), 3, true);
            Version host2 = new Version("host2", vv("host2", 1), false, onHost2,
                    WriteTime.of(onHost2, WriteTime.received(sawHostAt + 1000)), 4, true);
            assertThat(lww.choose(List.of(host, host2))).contains(host);
            assertThat(lww.choose(List.of(host2, host))).contains(host);
            assertThat(lww.explain(List.of(host, host2), host))
                    .isEqualTo("lww: host managedFields time 2026-11-29T08:00:03Z > host2 managedFields time"
                            + " 2026-11-29T08:00:00Z");
        }

        @Test
        void aKnownTimeBeatsAnUnknownOne() {
            Version known = withWriteTime("zz", 5);
            Version unknown = new Version("a", vv("a", 1), false, bytes("{}"), WriteTime.UNKNOWN, 1, true);
            assertThat(lww.choose(List.of(unknown, known))).contains(known);
            assertThat(lww.explain(List.of(unknown, known), known)).contains("> a write time unknown");
        }

        @Test
        void tieIsBrokenByTheClusterNameSortingFirst() {
            Version host = withWriteTime("host", 42);
            Version host2 = withWriteTime("host2", 42);
            Version alpha = withWriteTime("alpha", 42);
            assertThat(lww.choose(List.of(host2, host))).contains(host);
            assertThat(lww.choose(List.of(host, host2))).contains(host);
            assertThat(lww.choose(List.of(host2, host, alpha))).contains(alpha);
            assertThat(lww.choose(List.of(host2, host, alpha, withWriteTime("zz", 43)))).get()
                    .extracting(Version::cluster).isEqualTo("zz");
            assertThat(lww.explain(List.of(host2, host), host)).endsWith("(tie: host sorts first)");
        }

        @Test
        void aDeleteCanWin() {
            Version gone = new Version("host", vv("host", 2), true, null, wt(99), 5, false);
            Version kept = withWriteTime("host2", 98);
            assertThat(lww.choose(List.of(kept, gone))).contains(gone);
        }

        @Test
        void priorityExplainsItsChoice() {
            ResolutionPolicy p = new ResolutionPolicy.Priority(List.of("host2", "host"));
            Version host2 = withWriteTime("host2", 1);
            assertThat(p.explain(List.of(withWriteTime("host", 2), host2), host2))
                    .isEqualTo("priority: the change made on host2 wins; host2 is listed before host in mirror.priority"
                            + " [host2, host]");
        }

        @Test
        void noContendersNoWinner() {
            assertThat(lww.choose(List.of())).isEmpty();
        }
    }

    @Test
    void choiceDoesNotDependOnContenderOrder() {
        Random rnd = new Random(SEED);
        List<ResolutionPolicy> policies = List.of(new ResolutionPolicy.Hold(),
                new ResolutionPolicy.Priority(List.of("c", "a")), new ResolutionPolicy.LastWriterWins());
        String[] names = {"a", "b", "c", "d", "e"};
        for (int run = 0; run < 1000; run++) {
            List<Version> contenders = new ArrayList<>();
            for (String n : names) {
                if (rnd.nextBoolean()) {
                    contenders.add(withWriteTime(n, rnd.nextInt(4)));
                }
            }
            for (ResolutionPolicy p : policies) {
                Optional<Version> first = p.choose(contenders);
                for (int s = 0; s < 5; s++) {
                    List<Version> order = shuffled(contenders, rnd);
                    assertThat(p.choose(order)).as("seed=" + SEED + " run=" + run + " " + p.name() + " " + order)
                            .isEqualTo(first);
                }
                if (!(p instanceof ResolutionPolicy.Hold)) {
                    assertThat(first.isPresent()).isEqualTo(!contenders.isEmpty());
                    first.ifPresent(w -> assertThat(contenders).contains(w));
                }
            }
        }
    }

    @Nested
    class Parse {

        @Test
        void knownNames() {
            assertThat(ResolutionPolicy.parse("hold", List.of())).isInstanceOf(ResolutionPolicy.Hold.class);
            assertThat(ResolutionPolicy.parse("lww", List.of())).isInstanceOf(ResolutionPolicy.LastWriterWins.class);
            ResolutionPolicy p = ResolutionPolicy.parse("priority", List.of("host", "host2"));
            assertThat(p).isEqualTo(new ResolutionPolicy.Priority(List.of("host", "host2")));
        }

        @Test
        void namesAreCaseInsensitive() {
            assertThat(ResolutionPolicy.parse("HOLD", List.of())).isInstanceOf(ResolutionPolicy.Hold.class);
            assertThat(ResolutionPolicy.parse("Lww", List.of())).isInstanceOf(ResolutionPolicy.LastWriterWins.class);
            assertThat(ResolutionPolicy.parse("Priority", List.of("a"))).isInstanceOf(ResolutionPolicy.Priority.class);
        }

        @Test
        void parsedNameRoundTrips() {
            for (String name : List.of("hold", "priority", "lww")) {
                assertThat(ResolutionPolicy.parse(name, List.of("host")).name()).isEqualTo(name);
            }
        }

        @ParameterizedTest
        @ValueSource(strings = {"newest", "last-writer-wins", "", "hold "})
        void unknownNameGivesAClearMessage(String name) {
            assertThatThrownBy(() -> ResolutionPolicy.parse(name, List.of("host")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + name + "'")
                    .hasMessageContaining("hold")
                    .hasMessageContaining("priority")
                    .hasMessageContaining("lww");
        }
    }
}
