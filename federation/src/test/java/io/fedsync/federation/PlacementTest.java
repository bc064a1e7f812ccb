package io.fedsync.federation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacementTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Member> MEMBERS = List.of(
            new Member("m1", Map.of("env", "prod", "region", "eu")),
            new Member("m2", Map.of("env", "test", "region", "eu")),
            new Member("m3", Map.of("env", "prod")));
    private static final FederatedKind USERS = Profile.KUBESPHERE_V3.kinds().get(0);
    private static final FederatedKind WORKSPACE_ROLES = Profile.KUBESPHERE_V3.kinds().get(3);
    private static final FederatedKind TEMPLATES = Profile.KUBESPHERE_V3.kinds().get(7);

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s.replace('\'', '"'));
    }

    @Test
    void usersGoToEveryMember() throws Exception {
        assertThat(Placement.of(USERS, json("{'metadata':{'name':'u'}}"), MEMBERS, ws -> Set.of()).members())
                .containsExactly("m1", "m2", "m3");
    }

    @Test
    void workspaceRolesFollowTheirWorkspace() throws Exception {
        JsonNode role = json("{'metadata':{'name':'r','labels':{'kubesphere.io/workspace':'ws1'}}}");
        assertThat(Placement.of(WORKSPACE_ROLES, role, MEMBERS, ws -> ws.equals("ws1") ? Set.of("m2", "gone") : Set.of())
                .members()).containsExactly("m2");
        Placement.Result none = Placement.of(WORKSPACE_ROLES, json("{'metadata':{'name':'r'}}"), MEMBERS, ws -> Set.of("m1"));
        assertThat(none.members()).isEmpty();
        assertThat(none.unplaced()).singleElement().asString().contains("kubesphere.io/workspace");
    }

    @Test
    void aClusterListWinsOverASelectorAndUnknownNamesAreReported() throws Exception {
        JsonNode t = json("{'spec':{'placement':{'clusters':[{'name':'m3'},{'name':'nope'}],"
                + "'clusterSelector':{'matchLabels':{'env':'test'}}}}}");
        Placement.Result r = Placement.of(TEMPLATES, t, MEMBERS, ws -> Set.of());
        assertThat(r.members()).containsExactly("m3");
        assertThat(r.unplaced()).containsExactly("spec.placement names cluster nope, which is not a joined member");
    }

    @Test
    void aSelectorMatchesLabelsAndExpressions() throws Exception {
        JsonNode t = json("{'spec':{'placement':{'clusterSelector':{'matchLabels':{'env':'prod'},"
                + "'matchExpressions':[{'key':'region','operator':'Exists'}]}}}}");
        assertThat(Placement.of(TEMPLATES, t, MEMBERS, ws -> Set.of()).members()).containsExactly("m1");
        JsonNode notIn = json("{'spec':{'placement':{'clusterSelector':{'matchExpressions':"
                + "[{'key':'env','operator':'NotIn','values':['test']}]}}}}");
        assertThat(Placement.of(TEMPLATES, notIn, MEMBERS, ws -> Set.of()).members()).containsExactly("m1", "m3");
        JsonNode empty = json("{'spec':{'placement':{'clusterSelector':{}}}}");
        assertThat(Placement.of(TEMPLATES, empty, MEMBERS, ws -> Set.of()).members()).containsExactly("m1", "m2", "m3");
    }

    @Test
    void noPlacementMeansTheHostOnly() throws Exception {
        assertThat(Placement.of(TEMPLATES, json("{'spec':{}}"), MEMBERS, ws -> Set.of()).members()).isEmpty();
    }

    @Test
    void aMalformedSelectorPlacesNothingAndSaysWhy() throws Exception {
        JsonNode bad = json("{'spec':{'placement':{'clusterSelector':{'matchExpressions':"
                + "[{'key':'env','operator':'Near','values':['x']}]}}}}");
        Placement.Result r = Placement.of(TEMPLATES, bad, MEMBERS, ws -> Set.of());
        assertThat(r.members()).isEmpty();
        assertThat(r.unplaced()).singleElement().asString().contains("'Near'").contains("In, NotIn, Exists, DoesNotExist");
        JsonNode noValues = json("{'spec':{'placement':{'clusterSelector':{'matchExpressions':"
                + "[{'key':'env','operator':'In'}]}}}}");
        assertThat(Placement.of(TEMPLATES, noValues, MEMBERS, ws -> Set.of()).unplaced())
                .singleElement().asString().contains("In needs values");
    }
}
