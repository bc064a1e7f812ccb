package io.fedsync.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MemberCopyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final FederatedKind USERS = Profile.KUBESPHERE_V3.kinds().get(0);
    private static final FederatedKind TEMPLATES = Profile.KUBESPHERE_V3.kinds().get(7);
    private static final MemberCopy.Source FROM_HOST = new MemberCopy.Source("host", "{host:3}");

    private static byte[] sample(String name) throws Exception {
        try (InputStream in = MemberCopyTest.class.getResourceAsStream("/samples/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void aUserCopyDropsHostOnlyFieldsAndSaysWhereItCameFrom() throws Exception {
        ObjectNode copy = MemberCopy.desired(USERS, sample("user-xxp-created-on-host.json"), FROM_HOST);
        JsonNode meta = copy.path("metadata");
        assertThat(meta.path("name").asText()).isEqualTo("xxp");
        for (String f : new String[] {"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"}) {
            assertThat(meta.has(f)).as(f).isFalse();
        }
        assertThat(meta.path("labels").path("kubefed.io/managed").asText()).isEqualTo("false");
        assertThat(meta.path("annotations").path(MemberCopy.ORIGIN_CLUSTER).asText()).isEqualTo("host");
        assertThat(meta.path("annotations").path(MemberCopy.ORIGIN_UID).asText())
                .isEqualTo("a0d54d3f-9f99-4b34-a263-b70e78cd889c");
        assertThat(meta.path("annotations").path(MemberCopy.VERSION_VECTOR).asText()).isEqualTo("{host:3}");
        assertThat(meta.path("annotations").path("iam.kubesphere.io/globalrole").asText()).isEqualTo("platform-regular");
        assertThat(copy.path("spec").path("email").asText()).isEqualTo("xxp@163.com");
        assertThat(new String(MemberCopy.bytes(copy), StandardCharsets.UTF_8)).doesNotContain("\n");
    }

    @Test
    void theSameUserFromTwoHostsIsOneContent() throws Exception {
        // Experiment 1: created on both hosts, different uid and timestamps: one write to a member, not two.
        ObjectNode fromHost = MemberCopy.desired(USERS, sample("user-xxp-created-on-host.json"), FROM_HOST);
        ObjectNode fromHost2 = MemberCopy.desired(USERS, sample("user-xxp-created-on-host2.json"),
                new MemberCopy.Source("host2", "{host2:1}"));
        assertThat(MemberCopy.contentHash(fromHost)).isEqualTo(MemberCopy.contentHash(fromHost2));
        assertThat(MemberCopy.compare(Optional.of(fromHost), fromHost2)).isEqualTo(MemberCopy.State.IN_SYNC);
        ObjectNode edited = MemberCopy.desired(USERS, sample("user-xxp-edited-on-host.json"), FROM_HOST);
        assertThat(MemberCopy.contentHash(edited)).isNotEqualTo(MemberCopy.contentHash(fromHost));
    }

    @Test
    void compareTellsOutdatedFromDriftedFromForeign() throws Exception {
        ObjectNode pushed = MemberCopy.desired(USERS, sample("user-xxp-created-on-host.json"), FROM_HOST);
        ObjectNode newer = MemberCopy.desired(USERS, sample("user-xxp-edited-on-host.json"), FROM_HOST);
        assertThat(MemberCopy.compare(Optional.empty(), pushed)).isEqualTo(MemberCopy.State.MISSING);
        // The member still holds what was pushed; the hosts moved on.
        assertThat(MemberCopy.compare(Optional.of(pushed), newer)).isEqualTo(MemberCopy.State.OUTDATED);
        // Someone edited the member's copy.
        ObjectNode drifted = pushed.deepCopy();
        ((ObjectNode) drifted.path("spec")).put("email", "someone-else@163.com");
        assertThat(MemberCopy.compare(Optional.of(drifted), pushed)).isEqualTo(MemberCopy.State.DRIFTED);
        // The member's apiserver and controllers add their own fields and status: not drift.
        ObjectNode served = pushed.deepCopy();
        ((ObjectNode) served.path("metadata")).put("uid", "member-uid").put("resourceVersion", "42")
                .put("creationTimestamp", "2026-11-30T00:00:00Z");
        served.putObject("status").put("state", "Disabled");
        assertThat(MemberCopy.compare(Optional.of(served), pushed)).isEqualTo(MemberCopy.State.IN_SYNC);
        // The same object fedsync never wrote (a kubefed copy, "managed: true"): adopted by writing the marks.
        ObjectNode kubefedCopy = pushed.deepCopy();
        ObjectNode kmeta = (ObjectNode) kubefedCopy.path("metadata");
        ((ObjectNode) kmeta.path("labels")).put(MemberCopy.KUBEFED_MANAGED, "true");
        ((ObjectNode) kmeta.path("annotations")).properties().removeIf(e -> e.getKey().startsWith(MemberCopy.ANNOTATION_PREFIX));
        assertThat(MemberCopy.compare(Optional.of(kubefedCopy), pushed)).isEqualTo(MemberCopy.State.ADOPTABLE);
        // A same-named object fedsync never wrote.
        ObjectNode foreign = (ObjectNode) JSON.readTree(sample("user-xxp-edited-on-host.json"));
        assertThat(MemberCopy.compare(Optional.of(foreign), pushed)).isEqualTo(MemberCopy.State.FOREIGN);
    }

    @Test
    void writtenOnlyByReadsTheMembersRecordOfWhoWroteTheObject() throws Exception {
        // The samples as kube-apiserver stored them: created by kubectl-create; then patched by kubectl-patch.
        JsonNode created = JSON.readTree(sample("user-xxp-created-on-host.json"));
        JsonNode edited = JSON.readTree(sample("user-xxp-edited-on-host.json"));
        assertThat(MemberCopy.writtenOnlyBy(created, "kubectl-create")).isTrue();
        assertThat(MemberCopy.writtenOnlyBy(created, "fedsync")).isFalse();
        assertThat(MemberCopy.writtenOnlyBy(edited, "kubectl-create")).as("edited by another manager since").isFalse();
        ObjectNode unrecorded = created.deepCopy();
        ((ObjectNode) unrecorded.path("metadata")).remove("managedFields");
        assertThat(MemberCopy.writtenOnlyBy(unrecorded, "kubectl-create")).as("no record: not known").isFalse();
        ((ObjectNode) unrecorded.path("metadata")).putArray("managedFields");
        assertThat(MemberCopy.writtenOnlyBy(unrecorded, "kubectl-create")).as("an empty record").isFalse();
    }

    @Test
    void aWorkspaceTemplateBecomesItsWorkspace() throws Exception {
        byte[] template = ("{\"apiVersion\":\"tenant.kubesphere.io/v1alpha2\",\"kind\":\"WorkspaceTemplate\","
                + "\"metadata\":{\"name\":\"ws1\",\"uid\":\"u-1\",\"labels\":{\"kubefed.io/managed\":\"false\"},"
                + "\"finalizers\":[\"finalizers.tenant.kubesphere.io\"]},"
                + "\"spec\":{\"placement\":{\"clusters\":[{\"name\":\"m1\"}]},\"template\":{\"metadata\":"
                + "{\"labels\":{\"team\":\"a\"},\"annotations\":{\"kubesphere.io/creator\":\"admin\"}},"
                + "\"spec\":{\"manager\":\"admin\"}}}}\n").getBytes(StandardCharsets.UTF_8);
        ObjectNode ws = MemberCopy.desired(TEMPLATES, template, FROM_HOST);
        assertThat(ws.path("apiVersion").asText()).isEqualTo("tenant.kubesphere.io/v1alpha1");
        assertThat(ws.path("kind").asText()).isEqualTo("Workspace");
        assertThat(ws.path("metadata").path("name").asText()).isEqualTo("ws1");
        assertThat(ws.path("metadata").path("labels").path("team").asText()).isEqualTo("a");
        assertThat(ws.path("metadata").path("labels").path("kubefed.io/managed").asText()).isEqualTo("false");
        assertThat(ws.path("metadata").has("finalizers")).isFalse();
        assertThat(ws.path("spec").path("manager").asText()).isEqualTo("admin");
        assertThat(ws.has("status")).isFalse();
        assertThat(ws.path("metadata").path("annotations").path(MemberCopy.ORIGIN_UID).asText()).isEqualTo("u-1");
    }

    @Test
    void badObjectsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> MemberCopy.desired(USERS, "not json".getBytes(StandardCharsets.UTF_8), FROM_HOST))
                .hasMessage("not a JSON object");
        assertThatThrownBy(() -> MemberCopy.desired(USERS, "{\"metadata\":{}}".getBytes(StandardCharsets.UTF_8),
                FROM_HOST)).hasMessage("the object has no metadata.name");
        assertThatThrownBy(() -> MemberCopy.desired(TEMPLATES,
                "{\"metadata\":{\"name\":\"w\"},\"spec\":{}}".getBytes(StandardCharsets.UTF_8), FROM_HOST))
                .hasMessage("WorkspaceTemplate w has no spec.template");
    }

    @Test
    void finalizersAndOwnerReferencesStayOnTheHost() throws Exception {
        byte[] user = ("{\"apiVersion\":\"iam.kubesphere.io/v1alpha2\",\"kind\":\"User\",\"metadata\":{\"name\":\"u\","
                + "\"finalizers\":[\"finalizers.kubesphere.io/users\"],\"ownerReferences\":[{\"uid\":\"x\"}],"
                + "\"annotations\":{\"fedsync.io/origin-cluster\":\"stale\"}},\"spec\":{}}")
                .getBytes(StandardCharsets.UTF_8);
        ObjectNode copy = MemberCopy.desired(USERS, user, FROM_HOST);
        assertThat(copy.path("metadata").has("finalizers")).isFalse();
        assertThat(copy.path("metadata").has("ownerReferences")).isFalse();
        assertThat(copy.path("metadata").path("annotations").path(MemberCopy.ORIGIN_CLUSTER).asText()).isEqualTo("host");
    }
}
