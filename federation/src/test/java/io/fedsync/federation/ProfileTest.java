package io.fedsync.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProfileTest {

    @Test
    void v3FederatesUsersRolesGroupsAndWorkspaces() {
        assertThat(Profile.parse("kubesphere-v3").kinds()).extracting(FederatedKind::plural).containsExactly(
                "users", "globalroles", "globalrolebindings", "workspaceroles", "workspacerolebindings", "groups",
                "groupbindings", "workspacetemplates");
        FederatedKind templates = Profile.KUBESPHERE_V3.kinds().get(7);
        assertThat(templates.isTemplate()).isTrue();
        assertThat(templates.target().apiVersion()).isEqualTo("tenant.kubesphere.io/v1alpha1");
        assertThat(templates.target().plural()).isEqualTo("workspaces");
        assertThat(templates.registryPrefix()).isEqualTo("/registry/tenant.kubesphere.io/workspacetemplates/");
        assertThat(Profile.KUBESPHERE_V3.kinds().get(0).isTemplate()).isFalse();
    }

    @Test
    void v4CopiesNoUsers() {
        assertThat(Profile.parse(" KubeSphere-V4 ").kinds()).extracting(FederatedKind::plural)
                .doesNotContain("users").contains("globalroles", "workspacetemplates");
        assertThat(Profile.KUBESPHERE_V4.kinds()).allSatisfy(k -> assertThat(k.version()).isEqualTo("v1beta1"));
        assertThat(Profile.KUBESPHERE_V4.jwtSecretPath()).containsExactly("authentication", "issuer", "jwtSecret");
    }

    @Test
    void clustersAreNeverFederated() {
        for (Profile p : Profile.values()) {
            assertThat(p.kinds()).noneMatch(k -> k.plural().equals("clusters"));
        }
    }

    @Test
    void unknownProfileNamesTheKnownOnes() {
        assertThatThrownBy(() -> Profile.parse("kubesphere-v5"))
                .hasMessage("unknown federation profile 'kubesphere-v5' (known: kubesphere-v3, kubesphere-v4)");
        assertThatThrownBy(() -> Profile.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
