package io.fedsync.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.raft.state.Records;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership changes with real Ratis servers on loopback: a dead replica replaced by a new one on
 * an empty data dir that catches up from the leader's snapshot and then votes; the refusals; a
 * restarted member keeping the group's configuration over its config file's.
 */
class RaftMembershipTest {

    private static final Duration ELECTION_MIN = Duration.ofMillis(500);
    private static final Duration ELECTION_MAX = Duration.ofMillis(1000);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Snapshot every 4 entries and purge the log up to it: a new replica cannot catch up from the log. */
    private static final RaftNode.Tuning SMALL = new RaftNode.Tuning(4, false, 1, Duration.ofMillis(100),
            Duration.ofMillis(200), 100);
    /** Never a snapshot of its own: a snapshot in its storage was installed from the leader. */
    private static final RaftNode.Tuning NO_SNAPSHOTS = new RaftNode.Tuning(1_000_000, false, 1024,
            Duration.ofMillis(100), Duration.ofMillis(200), 100);

    @TempDir
    Path dir;

    private final List<RaftNode> started = new ArrayList<>();

    @AfterEach
    void closeAll() {
        started.forEach(RaftNode::close);
    }

    private record Replica(String id, RaftSettings settings, RaftNodeTest.Recorder recorder, RaftNode node) {
    }

    private static String address() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private RaftSettings settings(String id, List<RaftSettings.Peer> peers, Duration membershipTimeout) {
        return new RaftSettings(id, peers, dir.resolve(id), ELECTION_MIN, ELECTION_MAX, REQUEST_TIMEOUT,
                membershipTimeout, 0, null);
    }

    private Replica start(RaftSettings settings, RaftNode.Tuning tuning) throws IOException {
        RaftNodeTest.Recorder recorder = new RaftNodeTest.Recorder(settings.selfId());
        RaftNode node = RaftNode.start(settings, recorder, tuning);
        started.add(node);
        return new Replica(settings.selfId(), settings, recorder, node);
    }

    private List<Replica> startGroup(List<RaftSettings.Peer> peers) throws IOException {
        List<Replica> group = new ArrayList<>();
        for (RaftSettings.Peer p : peers) {
            group.add(start(settings(p.id(), peers, Duration.ofSeconds(20)), SMALL));
        }
        return group;
    }

    private static Replica awaitOneLeader(List<Replica> replicas) {
        await().atMost(WAIT).until(() -> replicas.stream().filter(r -> r.recorder().leading && r.node().isLeader())
                .count() == 1);
        return replicas.stream().filter(r -> r.recorder().leading && r.node().isLeader()).findFirst().orElseThrow();
    }

    private static List<String> members(RaftNode node) {
        return node.status().peers().stream().map(RaftStatus.PeerStatus::id).toList();
    }

    private static List<RaftSettings.Peer> peers(String... idsAndAddresses) {
        List<RaftSettings.Peer> peers = new ArrayList<>();
        for (int i = 0; i < idsAndAddresses.length; i += 2) {
            peers.add(new RaftSettings.Peer(idsAndAddresses[i], idsAndAddresses[i + 1]));
        }
        return peers;
    }

    private static boolean hasSnapshot(Path storage) throws IOException {
        if (!Files.isDirectory(storage)) {
            return false;
        }
        try (Stream<Path> files = Files.walk(storage)) {
            return files.anyMatch(f -> f.getFileName().toString().matches("snapshot\\.\\d+_\\d+"));
        }
    }

    @Test
    void aDeadReplicaIsReplacedByANewOneThatInstallsTheSnapshotAndVotes() throws IOException {
        List<RaftSettings.Peer> abc = peers("a", address(), "b", address(), "c", address());
        List<Replica> group = startGroup(abc);
        Replica leader = awaitOneLeader(group);
        for (int i = 0; i < 20; i++) {
            leader.node().store().nextTerm(0);
        }
        ConflictRecord record = Records.open("m1", "/registry/iam.kubesphere.io/users/m", 1);
        leader.node().store().saveConflict(record);
        long fence = leader.node().fenceTerm();
        await().atMost(WAIT).until(() -> group.stream().allMatch(r -> r.node().fenceTerm() == fence));

        // c dies and its disk is lost; a follower that is not c is asked to remove it.
        Replica c = group.stream().filter(r -> r != leader).findFirst().orElseThrow();
        Replica other = group.stream().filter(r -> r != leader && r != c).findFirst().orElseThrow();
        c.node().close();
        deleteTree(dir.resolve(c.id()));
        RaftStatus afterRemove = other.node().removePeer(c.id());
        assertThat(afterRemove.peers()).extracting(RaftStatus.PeerStatus::id)
                .containsExactlyInAnyOrder(leader.id(), other.id());
        await().atMost(WAIT).until(() -> members(leader.node()).size() == 2);
        // More entries (and snapshots, and purges) after the change.
        for (int i = 0; i < 10; i++) {
            leader.node().store().nextTerm(0);
        }
        long fence2 = leader.node().fenceTerm();

        // d: a new id, an empty data dir, a new port; its config file lists the group as the operator wrote it.
        String dAddress = address();
        List<RaftSettings.Peer> fileOfD = new ArrayList<>(abc.stream().filter(p -> !p.id().equals(c.id())).toList());
        fileOfD.add(new RaftSettings.Peer("d", dAddress));
        Replica d = start(settings("d", fileOfD, Duration.ofSeconds(20)), NO_SNAPSHOTS);
        assertThat(d.node().status().role()).isEqualTo(RaftNode.NOT_MEMBER);
        assertThat(members(d.node())).as("a replica not yet added has no configuration").isEmpty();
        assertThat(d.node().isLeader()).isFalse();
        assertThatThrownBy(() -> d.node().removePeer(other.id()))
                .isInstanceOfSatisfying(MembershipException.class,
                        e -> assertThat(e.kind()).isEqualTo(MembershipException.Kind.NOT_LEADER))
                .hasMessageContaining("not a member");

        RaftStatus afterAdd = leader.node().addPeer("d", dAddress);
        assertThat(afterAdd.peers()).extracting(RaftStatus.PeerStatus::id)
                .containsExactlyInAnyOrder(leader.id(), other.id(), "d");
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(d.node().status().role()).isEqualTo("follower");
            assertThat(members(d.node())).containsExactlyInAnyOrder(leader.id(), other.id(), "d");
            assertThat(d.node().fenceTerm()).isEqualTo(fence2);
            assertThat(d.node().conflicts()).containsExactly(record);
        });
        assertThat(hasSnapshot(dir.resolve("d"))).as("d's state came from the leader's snapshot").isTrue();

        // The old leader goes: {other, d} must elect, so d votes.
        leader.node().close();
        Replica second = awaitOneLeader(List.of(other, d));
        long next = second.node().store().nextTerm(0);
        assertThat(next).isGreaterThan(fence2);
        await().atMost(WAIT).until(() -> d.node().fenceTerm() == next && other.node().fenceTerm() == next);

        // The old leader restarts with its original file (still listing c): it keeps the group's configuration.
        Replica back = start(settings(leader.id(), abc, Duration.ofSeconds(20)), SMALL);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(back.node().status().role()).isEqualTo("follower");
            assertThat(members(back.node())).containsExactlyInAnyOrder(leader.id(), other.id(), "d");
            assertThat(back.node().fenceTerm()).isEqualTo(next);
        });
    }

    @Test
    void refusalsSayWhy() throws IOException {
        List<RaftSettings.Peer> abc = peers("a", address(), "b", address(), "c", address());
        List<Replica> group = startGroup(abc);
        Replica leader = awaitOneLeader(group);
        Replica follower = group.stream().filter(r -> r != leader).findFirst().orElseThrow();
        await().atMost(WAIT).until(() -> follower.node().status().leader() != null);

        assertThatThrownBy(() -> follower.node().removePeer("zz"))
                .isInstanceOfSatisfying(MembershipException.class,
                        e -> assertThat(e.kind()).isEqualTo(MembershipException.Kind.UNKNOWN_PEER))
                .hasMessageContaining("no replica zz in the group [a, b, c]");
        assertThatThrownBy(() -> follower.node().removePeer(leader.id()))
                .isInstanceOfSatisfying(MembershipException.class,
                        e -> assertThat(e.kind()).isEqualTo(MembershipException.Kind.REFUSED))
                .hasMessageContaining("leads the group").hasMessageContaining("stop fedsyncd on " + leader.id());
        assertThatThrownBy(() -> leader.node().addPeer(follower.id(), address()))
                .isInstanceOfSatisfying(MembershipException.class,
                        e -> assertThat(e.kind()).isEqualTo(MembershipException.Kind.ALREADY_MEMBER))
                .hasMessageContaining("already a member");
        assertThatThrownBy(() -> leader.node().addPeer("d", abc.get(0).address()))
                .isInstanceOfSatisfying(MembershipException.class,
                        e -> assertThat(e.kind()).isEqualTo(MembershipException.Kind.ALREADY_MEMBER))
                .hasMessageContaining("already used by replica a");
        assertThatThrownBy(() -> leader.node().addPeer("D!", address()))
                .isInstanceOfSatisfying(MembershipException.class,
                        e -> assertThat(e.kind()).isEqualTo(MembershipException.Kind.INVALID));
        assertThatThrownBy(() -> leader.node().addPeer("d", "no-port"))
                .isInstanceOfSatisfying(MembershipException.class,
                        e -> assertThat(e.kind()).isEqualTo(MembershipException.Kind.INVALID))
                .hasMessageContaining("host:port");
        group.forEach(r -> assertThat(members(r.node())).containsExactly("a", "b", "c"));
    }

    @Test
    void addingAReplicaThatIsNotRunningFailsAndChangesNothing() throws IOException {
        List<RaftSettings.Peer> ab = peers("a", address(), "b", address());
        List<Replica> group = new ArrayList<>();
        for (RaftSettings.Peer p : ab) {
            group.add(start(settings(p.id(), ab, Duration.ofSeconds(4)), SMALL));
        }
        Replica leader = awaitOneLeader(group);
        assertThatThrownBy(() -> leader.node().addPeer("d", address()))
                .isInstanceOfSatisfying(MembershipException.class,
                        e -> assertThat(e.kind()).isIn(MembershipException.Kind.FAILED,
                                MembershipException.Kind.TIMED_OUT))
                .hasMessageContaining("add d");
        group.forEach(r -> assertThat(members(r.node())).containsExactly("a", "b"));
        // The group still works.
        leader.node().store().nextTerm(0);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
