package io.fedsync.raft.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MembersTest {

    static MemberRegistration member(String name, String uid) {
        return new MemberRegistration(name, "/etc/fedsync/" + name + ".kubeconfig", null, uid,
                new TreeMap<>(Map.of("region", "eu")), 1_000);
    }

    private final Members members = new Members();

    @Test
    void membersAreKeptByName() {
        assertThat(members.join(member("b", "uid-b"))).isEmpty();
        assertThat(members.join(member("a", "uid-a"))).isEmpty();

        assertThat(members.list()).extracting(MemberRegistration::name).containsExactly("a", "b");
        assertThat(members.get("a")).contains(member("a", "uid-a"));
        assertThat(members.size()).isEqualTo(2);
    }

    @Test
    void aTakenNameIsRefusedAndChangesNothing() {
        members.join(member("a", "uid-a"));
        Members before = members.copy();

        Optional<Members.Refusal> r = members.join(member("a", "uid-other"));

        assertThat(r).get().extracting(Members.Refusal::kind).isEqualTo(RegistrationException.Kind.NAME_TAKEN);
        assertThat(r.get().message()).isEqualTo("member 'a' is joined already (kube-system UID uid-a, kubeconfig "
                + "/etc/fedsync/a.kubeconfig); unjoin it first or choose another name");
        assertThat(members).isEqualTo(before);
    }

    @Test
    void theSameNameAndClusterWithOtherLabelsIsStillATakenName() {
        members.join(member("a", "uid-a"));
        MemberRegistration relabelled = new MemberRegistration("a", "/etc/fedsync/a.kubeconfig", null, "uid-a",
                new TreeMap<>(Map.of("region", "us")), 1_000);
        MemberRegistration later = new MemberRegistration("a", "/etc/fedsync/a.kubeconfig", null, "uid-a",
                new TreeMap<>(Map.of("region", "eu")), 2_000);

        assertThat(members.join(relabelled)).get().extracting(Members.Refusal::kind)
                .isEqualTo(RegistrationException.Kind.NAME_TAKEN);
        assertThat(members.join(later)).get().extracting(Members.Refusal::kind)
                .isEqualTo(RegistrationException.Kind.NAME_TAKEN);
        assertThat(members.list()).containsExactly(member("a", "uid-a"));
    }

    @Test
    void aClusterJoinedUnderAnotherNameIsRefusedAndChangesNothing() {
        members.join(member("a", "uid-a"));

        Optional<Members.Refusal> r = members.join(member("b", "uid-a"));

        assertThat(r).get().extracting(Members.Refusal::kind).isEqualTo(RegistrationException.Kind.CLUSTER_TAKEN);
        assertThat(r.get().message()).startsWith("this cluster is joined already as 'a' (same kube-system UID uid-a)");
        assertThat(r.get().toException().kind()).isEqualTo(RegistrationException.Kind.CLUSTER_TAKEN);
        assertThat(r.get().toException().getMessage()).isEqualTo(r.get().message());
        assertThat(members.list()).containsExactly(member("a", "uid-a"));
    }

    @Test
    void joiningExactlyTheSameRegistrationAgainIsOkAndChangesNothing() {
        members.join(member("a", "uid-a"));
        Members before = members.copy();

        assertThat(members.join(member("a", "uid-a"))).isEmpty();

        assertThat(members).isEqualTo(before);
    }

    @Test
    void unjoinRemovesAndAnUnknownNameIsRefused() {
        members.join(member("a", "uid-a"));
        members.join(member("b", "uid-b"));

        assertThat(members.unjoin("a")).isEmpty();
        Optional<Members.Refusal> again = members.unjoin("a");

        assertThat(again).get().extracting(Members.Refusal::kind).isEqualTo(RegistrationException.Kind.NOT_JOINED);
        assertThat(again.get().message()).isEqualTo("member 'a' is not joined; joined: b");
        assertThat(members.list()).containsExactly(member("b", "uid-b"));
        members.unjoin("b");
        assertThat(members.unjoin("b").get().message()).isEqualTo("member 'b' is not joined (no member is)");
    }

    @Test
    void aClusterUnjoinedMayJoinAgainUnderAnotherName() {
        members.join(member("a", "uid-a"));
        members.unjoin("a");

        assertThat(members.join(member("renamed", "uid-a"))).isEmpty();
        assertThat(members.list()).extracting(MemberRegistration::name).containsExactly("renamed");
    }

    @Test
    void aCopyIsIndependent() {
        members.join(member("a", "uid-a"));
        Members copy = members.copy();

        copy.join(member("b", "uid-b"));
        copy.unjoin("a");

        assertThat(members.list()).containsExactly(member("a", "uid-a"));
        assertThat(copy.list()).containsExactly(member("b", "uid-b"));
    }

    @Test
    void registrationsReadBackMustKeepTheRules() {
        assertThat(Members.of(List.of(member("b", "uid-b"), member("a", "uid-a"))).list())
                .extracting(MemberRegistration::name).containsExactly("a", "b");
        assertThatThrownBy(() -> Members.of(List.of(member("a", "uid-a"), member("a", "uid-b"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("member 'a' appears twice");
        assertThatThrownBy(() -> Members.of(List.of(member("a", "uid-x"), member("b", "uid-x"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("members 'a' and 'b' have the same kube-system UID uid-x");
    }

    @Test
    void theListIsACopy() {
        members.join(member("a", "uid-a"));
        List<MemberRegistration> list = members.list();

        members.unjoin("a");

        assertThat(list).hasSize(1);
        assertThatThrownBy(() -> list.add(member("b", "uid-b"))).isInstanceOf(UnsupportedOperationException.class);
    }
}
