package io.fedsync.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.raft.api.MemberRegistration;
import io.fedsync.raft.api.MemberRegistry;
import io.fedsync.raft.api.RegistrationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code members.json} through {@link FileStateStore#members()}. */
class MemberFileTest {

    private static final MemberRegistration M1 = member("member1", "uid-1", 1_000);
    private static final MemberRegistration M2 = member("member2", "uid-2", 2_000);

    @TempDir
    Path dir;

    private static MemberRegistration member(String name, String uid, long joinedAt) {
        return new MemberRegistration(name, "/etc/fedsync/kubeconfigs/" + name + ".yaml", null, uid,
                new TreeMap<>(Map.of("region", "eu")), joinedAt);
    }

    private Path data() {
        return dir.resolve("data");
    }

    private Path file() {
        return data().resolve("members.json");
    }

    private static RegistrationException refused(Runnable change) {
        try {
            change.run();
        } catch (RegistrationException e) {
            return e;
        }
        throw new AssertionError("not refused");
    }

    @Test
    void joinsAndUnjoinsAreOnDiskWhenTheyReturnAndSurviveAReopen() throws Exception {
        try (FileStateStore store = FileStateStore.open(data())) {
            MemberRegistry members = store.members();
            assertThat(members.members()).isEmpty();
            assertThat(file()).doesNotExist();

            members.join(M2);
            members.join(M1);

            assertThat(members.members()).containsExactly(M1, M2);
            assertThat(Files.readString(file())).isEqualTo("{\"version\":1,\"members\":["
                    + "{\"name\":\"member1\",\"kubeconfig\":\"/etc/fedsync/kubeconfigs/member1.yaml\",\"kubeSystemUid\":\"uid-1\","
                    + "\"labels\":{\"region\":\"eu\"},\"joinedAt\":1000},"
                    + "{\"name\":\"member2\",\"kubeconfig\":\"/etc/fedsync/kubeconfigs/member2.yaml\",\"kubeSystemUid\":\"uid-2\","
                    + "\"labels\":{\"region\":\"eu\"},\"joinedAt\":2000}]}");
            members.unjoin("member2");
            assertThat(Files.readString(file())).contains("member1").doesNotContain("member2");
        }

        try (FileStateStore store = FileStateStore.open(data())) {
            assertThat(store.members().members()).containsExactly(M1);
        }
    }

    @Test
    void theRulesAreTheGroupsAndARefusalLeavesTheFileAsItWas() throws Exception {
        try (FileStateStore store = FileStateStore.open(data())) {
            MemberRegistry members = store.members();
            members.join(M1);
            byte[] before = Files.readAllBytes(file());

            RegistrationException name = refused(() -> members.join(member("member1", "uid-9", 3_000)));
            RegistrationException cluster = refused(() -> members.join(member("other", "uid-1", 3_000)));
            RegistrationException unknown = refused(() -> members.unjoin("member9"));

            assertThat(name.kind()).isEqualTo(RegistrationException.Kind.NAME_TAKEN);
            assertThat(name.getMessage()).isEqualTo("member 'member1' is joined already (kube-system UID uid-1, "
                    + "kubeconfig /etc/fedsync/kubeconfigs/member1.yaml); unjoin it first or choose another name");
            assertThat(cluster.kind()).isEqualTo(RegistrationException.Kind.CLUSTER_TAKEN);
            assertThat(cluster.getMessage()).startsWith("this cluster is joined already as 'member1' (same kube-system UID uid-1)");
            assertThat(unknown.kind()).isEqualTo(RegistrationException.Kind.NOT_JOINED);
            assertThat(Files.readAllBytes(file())).isEqualTo(before);
            assertThat(members.members()).containsExactly(M1);
        }
    }

    @Test
    void joiningExactlyTheSameRegistrationAgainIsOkAndUnjoiningTwiceIsNot() throws Exception {
        try (FileStateStore store = FileStateStore.open(data())) {
            MemberRegistry members = store.members();
            members.join(M1);

            members.join(M1);

            assertThat(members.members()).containsExactly(M1);
            members.unjoin("member1");
            assertThat(refused(() -> members.unjoin("member1")).kind()).isEqualTo(RegistrationException.Kind.NOT_JOINED);
            assertThat(Files.readString(file())).isEqualTo("{\"version\":1,\"members\":[]}");
        }
    }

    @Test
    void aCorruptFileStopsTheOpenWithAMessageNamingItAndReleasesTheLock() throws Exception {
        String ok = "{\"name\":\"m\",\"kubeconfig\":\"/k\",\"kubeSystemUid\":\"u\",\"labels\":{},\"joinedAt\":5}";
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("{\"version\":1,\"members\":[", "is corrupt: ");
        bad.put("[]", "is corrupt: expected {\"version\": 1, \"members\": [...]}");
        bad.put("{\"version\":2,\"members\":[]}", "is corrupt: expected {\"version\": 1, \"members\": [...]}");
        bad.put("{\"version\":1}", "is corrupt: expected {\"version\": 1, \"members\": [...]}");
        bad.put("{\"version\":1,\"members\":[{\"name\":\"m\"}]}", "is corrupt: members[0]: missing field 'kubeconfig'");
        bad.put("{\"version\":1,\"members\":[" + ok.replace("/k", "k") + "]}",
                "is corrupt: members[0]: invalid member registration: kubeconfig must be an absolute path");
        bad.put("{\"version\":1,\"members\":[" + ok + "," + ok.replace("\"m\"", "\"n\"") + "]}",
                "is corrupt: members: members 'm' and 'n' have the same kube-system UID u");
        bad.put("{\"version\":1,\"members\":[" + ok + "," + ok.replace("\"u\"", "\"v\"") + "]}",
                "is corrupt: members: member 'm' appears twice");
        Files.createDirectories(data());

        for (Map.Entry<String, String> e : bad.entrySet()) {
            Files.writeString(file(), e.getKey());
            assertThatThrownBy(() -> FileStateStore.open(data())).as(e.getKey())
                    .isInstanceOf(StateStoreException.class)
                    .hasMessageStartingWith("state file " + file() + " ")
                    .hasMessageContaining(e.getValue())
                    .hasMessageContaining("deleting it unjoins every member");
        }
        Files.delete(file());
        try (FileStateStore store = FileStateStore.open(data())) {
            assertThat(store.members().members()).isEmpty();
        }
    }

    @Test
    void aTempFileLeftByAKilledWriteIsIgnored() throws Exception {
        try (FileStateStore store = FileStateStore.open(data())) {
            store.members().join(M1);
        }
        Files.writeString(data().resolve("members.json.tmp"), "{\"version\":1,\"mem", StandardCharsets.UTF_8);

        try (FileStateStore store = FileStateStore.open(data())) {
            assertThat(store.members().members()).containsExactly(M1);
        }
        assertThat(data().resolve("members.json.tmp")).doesNotExist();
    }

    @Test
    void aChangeThatCannotBeWrittenIsUnavailableAndChangesNothing() throws Exception {
        try (FileStateStore store = FileStateStore.open(data())) {
            store.members().join(M1);
            // The temp file cannot be created: a directory is in its way.
            Files.createDirectories(data().resolve("members.json.tmp").resolve("x"));

            RegistrationException e = refused(() -> store.members().join(M2));

            assertThat(e.kind()).isEqualTo(RegistrationException.Kind.UNAVAILABLE);
            assertThat(e.getMessage()).startsWith("cannot write state file " + file() + ": ")
                    .endsWith("join of member member2 not made");
            assertThat(store.members().members()).containsExactly(M1);
            assertThat(Files.readString(file())).doesNotContain("member2");
        }
    }

    @Test
    void aClosedStoreTakesNoChange() {
        FileStateStore store = FileStateStore.open(data());
        MemberRegistry members = store.members();
        members.join(M1);
        store.close();

        assertThat(refused(() -> members.join(M2)).kind()).isEqualTo(RegistrationException.Kind.UNAVAILABLE);
        assertThat(refused(() -> members.unjoin("member1")).getMessage()).contains("is closed: unjoin of member member1 not made");
        assertThat(members.members()).isEqualTo(List.of(M1));
    }
}
