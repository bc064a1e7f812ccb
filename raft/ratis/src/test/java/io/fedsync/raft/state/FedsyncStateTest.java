package io.fedsync.raft.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.conflict.ConflictRecord;
import io.fedsync.raft.api.CursorKey;
import io.fedsync.raft.api.MemberRegistration;
import io.fedsync.raft.api.RegistrationException;
import io.fedsync.raft.api.json.JsonFormatException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FedsyncStateTest {

    private static final CursorKey A = new CursorKey("host", "/registry/iam.kubesphere.io/");
    private static final CursorKey B = new CursorKey("host", "/registry/tenant.kubesphere.io/");
    private static final CursorKey C = new CursorKey("host2", "/registry/iam.kubesphere.io/");

    private final FedsyncState state = new FedsyncState();

    private Reply apply(long logTerm, Command c) {
        return Reply.decode(state.apply(logTerm, c.encode()));
    }

    private Reply apply(long logTerm, String json) {
        return Reply.decode(state.apply(logTerm, json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void nextTermIsOneMoreThanTheLastAndAtLeastWhatIsAsked() {
        assertThat(apply(3, new Command.NextTerm(3, 5)).term()).isEqualTo(5);
        assertThat(apply(3, new Command.NextTerm(3, 0)).term()).isEqualTo(6);
        assertThat(apply(4, new Command.NextTerm(4, 100)).term()).isEqualTo(100);
        assertThat(apply(4, new Command.NextTerm(4, 50)).term()).isEqualTo(101);
        assertThat(state.fenceTerm()).isEqualTo(101);
    }

    @Test
    void aCommandFromADeposedLeaderIsRefusedAndChangesNothing() {
        apply(3, new Command.NextTerm(3, 5));
        apply(3, Command.SetCursors.of(3, Map.of(A, 10L)));
        byte[] before = state.image().toBytes();

        Reply term = apply(4, new Command.NextTerm(3, 50));
        Reply cursors = apply(4, Command.SetCursors.of(3, Map.of(A, 99L)));

        assertThat(term.ok()).isFalse();
        assertThat(term.stale()).isTrue();
        assertThat(term.error()).contains("Raft term 3", "term 4", "deposed");
        assertThat(cursors.stale()).isTrue();
        assertThat(state.image().toBytes()).isEqualTo(before);
        assertThat(state.fenceTerm()).isEqualTo(5);
    }

    @Test
    void cursorsAreMergedAndKeptInOrder() {
        apply(1, Command.SetCursors.of(1, Map.of(C, 1L, A, 2L)));
        apply(1, Command.SetCursors.of(1, Map.of(B, 3L, A, 4L)));

        Map<CursorKey, Long> expected = new LinkedHashMap<>();
        expected.put(A, 4L);
        expected.put(B, 3L);
        expected.put(C, 1L);
        assertThat(state.cursors()).containsExactlyEntriesOf(expected);
    }

    @Test
    void conflictRecordsAreAddedAndReplacedById() {
        ConflictRecord r = Records.open("c1", "/registry/a", 1);
        apply(1, new Command.PutConflict(r));
        apply(1, new Command.PutConflict(Records.open("c2", "/registry/b", 2)));
        ConflictRecord done = Records.resolved(r, 5);

        assertThat(apply(2, new Command.PutConflict(done)).ok()).isTrue();

        assertThat(state.conflicts()).extracting(ConflictRecord::id).containsExactly("c1", "c2");
        assertThat(state.conflicts().get(0)).isEqualTo(done);
    }

    @Test
    void aSecondOpenConflictOnAKeyIsRefusedAndChangesNothing() {
        apply(1, new Command.PutConflict(Records.open("c1", "/registry/a", 1)));
        byte[] before = state.image().toBytes();

        Reply r = apply(1, new Command.PutConflict(Records.open("c9", "/registry/a", 2)));

        assertThat(r.ok()).isFalse();
        assertThat(r.stale()).isFalse();
        assertThat(r.error()).contains("c9", "already has open conflict c1");
        assertThat(state.image().toBytes()).isEqualTo(before);
    }

    @Test
    void aRecordCannotMoveToAnotherKey() {
        apply(1, new Command.PutConflict(Records.open("c1", "/registry/a", 1)));
        byte[] before = state.image().toBytes();

        Reply r = apply(1, new Command.PutConflict(Records.open("c1", "/registry/b", 1)));

        assertThat(r.ok()).isFalse();
        assertThat(r.error()).isEqualTo("conflict c1 is on key /registry/a, not /registry/b");
        assertThat(state.image().toBytes()).isEqualTo(before);
        assertThat(apply(1, new Command.PutConflict(Records.open("c2", "/registry/b", 1))).ok()).isTrue();
    }

    @Test
    void endedRecordsBeyondTheBoundAreDroppedOldestFirst() {
        FedsyncState small = new FedsyncState(2);
        for (int i = 0; i < 4; i++) {
            small.apply(1, new Command.PutConflict(Records.resolved(Records.open("c" + i, "/k" + i, i), 10)).encode());
        }
        small.apply(1, new Command.PutConflict(Records.open("open", "/k", 0)).encode());

        assertThat(small.conflicts()).extracting(ConflictRecord::id).containsExactly("open", "c2", "c3");
    }

    @Test
    void garbledCommandsAreRefusedWithAReasonAndChangeNothing() {
        apply(1, new Command.NextTerm(1, 7));
        apply(1, Command.SetCursors.of(1, Map.of(A, 1L)));
        byte[] before = state.image().toBytes();
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("not json", "must be JSON");
        bad.put("", "must be a JSON object");
        bad.put("[1,2]", "must be a JSON object");
        bad.put("{\"op\":\"drop-everything\"}", "unknown command op 'drop-everything'");
        bad.put("{\"atLeast\":3}", "missing field 'op'");
        bad.put("{\"op\":\"next-term\",\"leaderTerm\":1}", "missing field 'atLeast'");
        bad.put("{\"op\":\"next-term\",\"leaderTerm\":1,\"atLeast\":\"9\"}", "'atLeast' must be a whole number");
        bad.put("{\"op\":\"next-term\",\"leaderTerm\":1,\"atLeast\":1e40}", "'atLeast' must be a whole number");
        bad.put("{\"op\":\"next-term\",\"leaderTerm\":1,\"atLeast\":-4}", "atLeast must be >= 0");
        bad.put("{\"op\":\"next-term\",\"leaderTerm\":0,\"atLeast\":4}", "leaderTerm must be > 0");
        bad.put("{\"op\":\"set-cursors\",\"leaderTerm\":1,\"cursors\":{}}", "'cursors' must be a list");
        bad.put("{\"op\":\"set-cursors\",\"leaderTerm\":1,\"cursors\":[{\"cluster\":\"h\",\"prefix\":\"/p\",\"revision\":-1}]}",
                "cursors[0]: field 'revision' must be >= 0");
        bad.put("{\"op\":\"set-cursors\",\"leaderTerm\":1,\"cursors\":[{\"cluster\":\"h\",\"prefix\":\"/p\",\"revision\":1},"
                + "{\"cluster\":\"h\",\"prefix\":\"/p\",\"revision\":2}]}", "appears twice");
        bad.put("{\"op\":\"put-conflict\",\"record\":{\"id\":\"x\"}}", "missing field");
        bad.put("{\"op\":\"next-term\",\"op\":\"set-cursors\"}", "must be JSON");

        bad.forEach((json, reason) -> {
            Reply r = apply(1, json);
            assertThat(r.ok()).as(json).isFalse();
            assertThat(r.error()).as(json).startsWith("bad command: ").contains(reason);
        });
        assertThat(Reply.decode(state.apply(1, new byte[] {(byte) 0xff, 0, 1})).ok()).isFalse();
        assertThat(state.image().toBytes()).isEqualTo(before);
    }

    @Test
    void snapshotRoundTrips() {
        apply(2, new Command.NextTerm(2, 41));
        apply(2, Command.SetCursors.of(2, Map.of(A, 10L, C, 12L)));
        apply(2, new Command.PutConflict(Records.open("c1", "/registry/a", 1)));
        apply(2, new Command.PutConflict(Records.resolved(Records.open("c2", "/registry/b", 2), 3)));
        apply(2, new Command.JoinMember(Records.member("zeta", "uid-z", 5)));
        apply(2, new Command.JoinMember(new MemberRegistration("alpha", "/k/alpha", "ctx", "uid-a", null, 6)));
        byte[] snapshot = state.image().toBytes();

        FedsyncState back = FedsyncState.restore(snapshot, state.maxEnded());

        assertThat(back.image().toBytes()).isEqualTo(snapshot);
        assertThat(back.fenceTerm()).isEqualTo(41);
        assertThat(back.cursors()).containsExactlyEntriesOf(state.cursors());
        assertThat(back.conflicts()).isEqualTo(state.conflicts());
        assertThat(back.members()).isEqualTo(state.members()).extracting(MemberRegistration::name)
                .containsExactly("alpha", "zeta");
        // The rules hold on the restored state: the names and clusters are still taken.
        assertThat(Reply.decode(back.apply(3, new Command.JoinMember(Records.member("other", "uid-z", 7)).encode()))
                .refusal()).isEqualTo(RegistrationException.Kind.CLUSTER_TAKEN);
        assertThat(new String(snapshot, StandardCharsets.UTF_8))
                .startsWith("{\"format\":\"" + FedsyncState.FORMAT + "\",\"fenceTerm\":41,\"cursors\":[");
    }

    @Test
    void theMirrorsApiIsTheOneRecordedWithTheLastFencingTermAndSurvivesASnapshot() {
        apply(2, new Command.NextTerm(2, 0, "http://10.0.0.11:8080"));
        assertThat(state.mirrorApi()).isEqualTo("http://10.0.0.11:8080");
        // A deposed leader's request changes nothing, its address included.
        apply(3, new Command.NextTerm(2, 0, "http://10.0.0.99:8080"));
        assertThat(state.mirrorApi()).isEqualTo("http://10.0.0.11:8080");
        apply(3, new Command.NextTerm(3, 0, "http://10.0.0.12:8080"));
        byte[] snapshot = state.image().toBytes();

        FedsyncState back = FedsyncState.restore(snapshot, state.maxEnded());

        assertThat(back.mirrorApi()).isEqualTo("http://10.0.0.12:8080");
        assertThat(back.image().toBytes()).isEqualTo(snapshot);
        // A leader that did not say where it answers leaves none behind: no stale address.
        apply(4, new Command.NextTerm(4, 0));
        assertThat(state.mirrorApi()).isNull();
    }

    @Test
    void aNextTermWithoutAnAddressAsOlderEntriesHaveIsRead() {
        Reply r = apply(5, "{\"op\":\"next-term\",\"leaderTerm\":5,\"atLeast\":9}");

        assertThat(r.ok()).isTrue();
        assertThat(r.term()).isEqualTo(9);
        assertThat(state.mirrorApi()).isNull();
        assertThat(apply(5, "{\"op\":\"next-term\",\"leaderTerm\":5,\"atLeast\":0,\"leaderApi\":7}").error())
                .contains("leaderApi", "string");
    }

    @Test
    void anEmptyStateRoundTrips() {
        byte[] snapshot = new FedsyncState().image().toBytes();

        assertThat(FedsyncState.restore(snapshot, 10).image().toBytes()).isEqualTo(snapshot);
        assertThat(new String(snapshot, StandardCharsets.UTF_8)).endsWith(",\"members\":[]}");
    }

    // ---------------------------------------------------------------- members

    private static final MemberRegistration M1 = Records.member("member1", "uid-1", 1_000);
    private static final MemberRegistration M2 = Records.member("member2", "uid-2", 2_000);

    @Test
    void membersJoinAndUnjoinFromAnyReplicaInAnyTermAndAreKeptByName() {
        assertThat(apply(9, new Command.JoinMember(M2))).isEqualTo(Reply.OK);
        assertThat(apply(3, new Command.JoinMember(M1))).isEqualTo(Reply.OK);

        assertThat(state.members()).containsExactly(M1, M2);
        assertThat(apply(4, new Command.UnjoinMember("member2"))).isEqualTo(Reply.OK);
        assertThat(state.members()).containsExactly(M1);
    }

    @Test
    void aTakenNameIsRefusedAsNameTakenAndChangesNothing() {
        apply(1, new Command.JoinMember(M1));
        byte[] before = state.image().toBytes();

        Reply r = apply(1, new Command.JoinMember(Records.member("member1", "uid-other", 3_000)));

        assertThat(r.ok()).isFalse();
        assertThat(r.stale()).isFalse();
        assertThat(r.refusal()).isEqualTo(RegistrationException.Kind.NAME_TAKEN);
        assertThat(r.error()).isEqualTo("member 'member1' is joined already (kube-system UID uid-1, kubeconfig "
                + "/etc/fedsync/kubeconfigs/member1.yaml); unjoin it first or choose another name");
        assertThat(state.image().toBytes()).isEqualTo(before);
    }

    @Test
    void aClusterJoinedUnderAnotherNameIsRefusedAsClusterTakenAndChangesNothing() {
        apply(1, new Command.JoinMember(M1));
        byte[] before = state.image().toBytes();

        Reply r = apply(1, new Command.JoinMember(Records.member("again", "uid-1", 3_000)));

        assertThat(r.ok()).isFalse();
        assertThat(r.refusal()).isEqualTo(RegistrationException.Kind.CLUSTER_TAKEN);
        assertThat(r.error()).startsWith("this cluster is joined already as 'member1' (same kube-system UID uid-1)");
        assertThat(state.image().toBytes()).isEqualTo(before);
    }

    @Test
    void aRetriedJoinThatAlreadyCommittedIsOkAndChangesNothing() {
        byte[] command = new Command.JoinMember(M1).encode();
        assertThat(Reply.decode(state.apply(1, command)).ok()).isTrue();
        byte[] after = state.image().toBytes();

        // The same entry appended again (a client retry after a leader change), in a later term.
        Reply again = Reply.decode(state.apply(2, command));

        assertThat(again).isEqualTo(Reply.OK);
        assertThat(state.image().toBytes()).isEqualTo(after);
        // Not merely the same name and cluster: a registration that differs in anything is refused.
        Reply later = apply(2, new Command.JoinMember(Records.member("member1", "uid-1", 1_001)));
        assertThat(later.refusal()).isEqualTo(RegistrationException.Kind.NAME_TAKEN);
    }

    @Test
    void unjoiningANameNoMemberHasIsRefusedAsNotJoined() {
        apply(1, new Command.JoinMember(M1));
        byte[] before = state.image().toBytes();

        Reply r = apply(1, new Command.UnjoinMember("member9"));

        assertThat(r.ok()).isFalse();
        assertThat(r.refusal()).isEqualTo(RegistrationException.Kind.NOT_JOINED);
        assertThat(r.error()).isEqualTo("member 'member9' is not joined; joined: member1");
        assertThat(state.image().toBytes()).isEqualTo(before);
        apply(1, new Command.UnjoinMember("member1"));
        assertThat(apply(1, new Command.UnjoinMember("member1")).refusal()).isEqualTo(RegistrationException.Kind.NOT_JOINED);
    }

    @Test
    void aClusterUnjoinedCanJoinAgainUnderAnotherName() {
        apply(1, new Command.JoinMember(M1));
        apply(1, new Command.UnjoinMember("member1"));

        assertThat(apply(1, new Command.JoinMember(Records.member("renamed", "uid-1", 5_000))).ok()).isTrue();
        assertThat(state.members()).extracting(MemberRegistration::name).containsExactly("renamed");
    }

    @Test
    void garbledMemberCommandsAreRefusedWithAReasonAndChangeNothing() {
        apply(1, new Command.JoinMember(M1));
        byte[] before = state.image().toBytes();
        String member = "{\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":{},\"joinedAt\":5";
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("{\"op\":\"join-member\"}", "missing field 'member'");
        bad.put("{\"op\":\"join-member\",\"member\":[]}", "member: a member registration must be a JSON object");
        bad.put("{\"op\":\"join-member\",\"member\":{\"name\":\"m\"}}", "member: missing field 'kubeconfig'");
        bad.put("{\"op\":\"join-member\",\"member\":" + member.replace("\"/k\"", "\"k\"") + "}}",
                "member: invalid member registration: kubeconfig must be an absolute path");
        bad.put("{\"op\":\"join-member\",\"member\":" + member.replace("\"m\"", "\"Bad Name\"") + "}}",
                "member name 'Bad Name' must be");
        bad.put("{\"op\":\"unjoin-member\"}", "missing field 'name'");
        bad.put("{\"op\":\"unjoin-member\",\"name\":7}", "field 'name' must be a string");
        bad.put("{\"op\":\"unjoin-member\",\"name\":\" \"}", "name must not be blank");

        bad.forEach((json, reason) -> {
            Reply r = apply(1, json);
            assertThat(r.ok()).as(json).isFalse();
            assertThat(r.refusal()).as(json).isNull();
            assertThat(r.error()).as(json).startsWith("bad command: ").contains(reason);
        });
        assertThat(state.image().toBytes()).isEqualTo(before);
    }

    @Test
    void aSnapshotWrittenBeforeMembersWereReplicatedReadsAsNone() {
        String old = head() + "\"fenceTerm\":3,\"mirrorApi\":\"http://10.0.0.11:8080\",\"cursors\":"
                + "[{\"cluster\":\"host\",\"prefix\":\"/p\",\"revision\":9}],\"conflicts\":[]}";

        FedsyncState back = restore(old);

        assertThat(back.fenceTerm()).isEqualTo(3);
        assertThat(back.cursors()).containsEntry(new CursorKey("host", "/p"), 9L);
        assertThat(back.members()).isEmpty();
        assertThat(restore(old.substring(0, old.length() - 1) + ",\"members\":null}").members()).isEmpty();
        // It then takes joins like any state.
        assertThat(Reply.decode(back.apply(1, new Command.JoinMember(M1).encode())).ok()).isTrue();
    }

    @Test
    void aSnapshotWhoseMembersBreakTheRulesIsRefused() {
        FedsyncState a = new FedsyncState();
        a.apply(1, new Command.JoinMember(M1).encode());
        String one = new String(a.image().toBytes(), StandardCharsets.UTF_8);
        String entry = one.substring(one.indexOf("\"members\":[") + 11, one.length() - 2);
        String sameCluster = one.substring(0, one.length() - 2) + "," + entry.replace("member1", "member7") + "]}";
        String sameName = one.substring(0, one.length() - 2) + "," + entry.replace("uid-1", "uid-7") + "]}";

        assertThatThrownBy(() -> restore(sameCluster)).isInstanceOf(JsonFormatException.class)
                .hasMessage("members: members 'member1' and 'member7' have the same kube-system UID uid-1");
        assertThatThrownBy(() -> restore(sameName)).isInstanceOf(JsonFormatException.class)
                .hasMessage("members: member 'member1' appears twice");
        assertThatThrownBy(() -> restore(one.replace("\"kubeSystemUid\"", "\"uid\"")))
                .isInstanceOf(JsonFormatException.class).hasMessage("members[0]: missing field 'kubeSystemUid'");
        assertThatThrownBy(() -> restore(one.replace("\"members\":[", "\"members\":{\"x\":").replace("]}", "}}")))
                .isInstanceOf(JsonFormatException.class).hasMessage("field 'members' must be a list");
    }

    @Test
    void aRefusalSurvivesTheReplysWireFormAndAnUnknownOneReadsAsAPlainRefusal() {
        for (RegistrationException.Kind kind : List.of(RegistrationException.Kind.NAME_TAKEN,
                RegistrationException.Kind.CLUSTER_TAKEN, RegistrationException.Kind.NOT_JOINED)) {
            Reply r = Reply.refused(kind, "why");
            assertThat(Reply.decode(r.encode())).isEqualTo(r);
        }
        assertThat(new String(Reply.refused(RegistrationException.Kind.CLUSTER_TAKEN, "why").encode(),
                StandardCharsets.UTF_8)).isEqualTo("{\"ok\":false,\"stale\":false,\"refusal\":\"cluster-taken\",\"error\":\"why\"}");
        assertThat(new String(Reply.refused("why").encode(), StandardCharsets.UTF_8)).doesNotContain("refusal");
        Reply unknown = Reply.decode("{\"ok\":false,\"stale\":false,\"refusal\":\"moon-phase\",\"error\":\"x\"}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(unknown.ok()).isFalse();
        assertThat(unknown.refusal()).isNull();
        assertThat(Reply.decode("{\"ok\":false,\"refusal\":\"unavailable\",\"error\":\"x\"}"
                .getBytes(StandardCharsets.UTF_8)).refusal()).as("never a state's refusal").isNull();
        assertThatThrownBy(() -> new Reply(false, 0, false, RegistrationException.Kind.UNAVAILABLE, "x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Reply(true, 0, false, RegistrationException.Kind.NAME_TAKEN, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSnapshotThatIsNotOneSaysWhy() {
        assertThatThrownBy(() -> restore("{\"format\":\"other/2\"}"))
                .isInstanceOf(JsonFormatException.class).hasMessageContaining("'other/2' is not " + FedsyncState.FORMAT);
        assertThatThrownBy(() -> restore("{\"format\":\"fedsync-raft-sta"))
                .isInstanceOf(JsonFormatException.class).hasMessageContaining("must be JSON");
        assertThatThrownBy(() -> restore(head() + "\"fenceTerm\":-1,\"cursors\":[],\"conflicts\":[]}"))
                .hasMessageContaining("'fenceTerm' must be >= 0");
        assertThatThrownBy(() -> restore(head() + "\"fenceTerm\":1,\"cursors\":[],\"conflicts\":[{\"id\":\"x\"}]}"))
                .hasMessageContaining("conflicts[0]: missing field");
        assertThatThrownBy(() -> restore(head() + "\"fenceTerm\":1,\"conflicts\":[]}"))
                .hasMessageContaining("missing field 'cursors'");
    }

    @Test
    void twoOpenRecordsForOneKeyInASnapshotAreRefused() {
        FedsyncState a = new FedsyncState();
        a.apply(1, new Command.PutConflict(Records.open("c1", "/k", 1)).encode());
        FedsyncState b = new FedsyncState();
        b.apply(1, new Command.PutConflict(Records.open("c2", "/k", 2)).encode());
        // Without the (empty) members that follow the conflicts, then the second record spliced in.
        String one = new String(a.image().toBytes(), StandardCharsets.UTF_8).replace(",\"members\":[]", "");
        String two = new String(b.image().toBytes(), StandardCharsets.UTF_8).replace(",\"members\":[]", "");
        String merged = one.substring(0, one.length() - 2) + "," + two.substring(two.indexOf("\"conflicts\":[") + 13);

        assertThatThrownBy(() -> restore(merged)).hasMessageContaining("conflicts: key /k already has open conflict");
    }

    @Test
    void commandsRoundTrip() {
        List<Command> commands = List.of(new Command.NextTerm(7, 12), Command.SetCursors.of(7, Map.of(A, 1L, B, 2L)),
                new Command.PutConflict(Records.resolved(Records.open("c1", "/registry/a", 1), 2)),
                new Command.JoinMember(M1), new Command.JoinMember(new MemberRegistration("m3", "/k", "ctx", "u3", null, 0)),
                new Command.UnjoinMember("member1"));

        for (Command c : commands) {
            assertThat(Command.decode(c.encode())).isEqualTo(c);
        }
    }

    private static String head() {
        return "{\"format\":\"" + FedsyncState.FORMAT + "\",";
    }

    private static FedsyncState restore(String json) {
        return FedsyncState.restore(json.getBytes(StandardCharsets.UTF_8), 100);
    }
}
