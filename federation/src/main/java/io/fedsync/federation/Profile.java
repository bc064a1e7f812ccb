package io.fedsync.federation;

import io.fedsync.federation.FederatedKind.PlacementRule;
import io.fedsync.federation.FederatedKind.Target;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a KubeSphere version federates, and where it keeps its jwtSecret (see
 * {@code ../shared/KUBESPHERE.md}). {@code clusters.cluster.kubesphere.io} is never federated.
 */
public enum Profile {

    /** KubeSphere v3 (kubefed's FederatedTypeConfigs): users, roles, groups and workspaces. */
    KUBESPHERE_V3("kubesphere-v3", List.of("authentication", "jwtSecret"), List.of(
            FederatedKind.same("iam.kubesphere.io", "v1alpha2", "users", "User", PlacementRule.ALL_MEMBERS),
            FederatedKind.same("iam.kubesphere.io", "v1alpha2", "globalroles", "GlobalRole", PlacementRule.ALL_MEMBERS),
            FederatedKind.same("iam.kubesphere.io", "v1alpha2", "globalrolebindings", "GlobalRoleBinding",
                    PlacementRule.ALL_MEMBERS),
            FederatedKind.same("iam.kubesphere.io", "v1alpha2", "workspaceroles", "WorkspaceRole",
                    PlacementRule.WORKSPACE_MEMBERS),
            FederatedKind.same("iam.kubesphere.io", "v1alpha2", "workspacerolebindings", "WorkspaceRoleBinding",
                    PlacementRule.WORKSPACE_MEMBERS),
            FederatedKind.same("iam.kubesphere.io", "v1alpha2", "groups", "Group", PlacementRule.ALL_MEMBERS),
            FederatedKind.same("iam.kubesphere.io", "v1alpha2", "groupbindings", "GroupBinding",
                    PlacementRule.ALL_MEMBERS),
            new FederatedKind("tenant.kubesphere.io", "v1alpha2", "workspacetemplates", "WorkspaceTemplate", false,
                    PlacementRule.SPEC_PLACEMENT,
                    new Target("tenant.kubesphere.io", "v1alpha1", "workspaces", "Workspace")))),

    /**
     * KubeSphere v4: the per-controller sync of GlobalRole, GlobalRoleBinding, WorkspaceTemplate →
     * Workspace, WorkspaceRole and WorkspaceRoleBinding ({@code v1beta1}); no User copies.
     */
    KUBESPHERE_V4("kubesphere-v4", List.of("authentication", "issuer", "jwtSecret"), List.of(
            FederatedKind.same("iam.kubesphere.io", "v1beta1", "globalroles", "GlobalRole", PlacementRule.ALL_MEMBERS),
            FederatedKind.same("iam.kubesphere.io", "v1beta1", "globalrolebindings", "GlobalRoleBinding",
                    PlacementRule.ALL_MEMBERS),
            FederatedKind.same("iam.kubesphere.io", "v1beta1", "workspaceroles", "WorkspaceRole",
                    PlacementRule.WORKSPACE_MEMBERS),
            FederatedKind.same("iam.kubesphere.io", "v1beta1", "workspacerolebindings", "WorkspaceRoleBinding",
                    PlacementRule.WORKSPACE_MEMBERS),
            new FederatedKind("tenant.kubesphere.io", "v1beta1", "workspacetemplates", "WorkspaceTemplate", false,
                    PlacementRule.SPEC_PLACEMENT,
                    new Target("tenant.kubesphere.io", "v1beta1", "workspaces", "Workspace"))));

    private final String configName;
    private final List<String> jwtSecretPath;
    private final List<FederatedKind> kinds;

    Profile(String configName, List<String> jwtSecretPath, List<FederatedKind> kinds) {
        this.configName = configName;
        this.jwtSecretPath = jwtSecretPath;
        this.kinds = kinds;
    }

    /** The name used in config ({@code federation.profile}). */
    public String configName() {
        return configName;
    }

    /** The path of the jwtSecret in {@code kubesphere.yaml}. */
    public List<String> jwtSecretPath() {
        return jwtSecretPath;
    }

    public List<FederatedKind> kinds() {
        return kinds;
    }

    /** @throws IllegalArgumentException naming the known profiles */
    public static Profile parse(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Profile p : values()) {
            if (p.configName.equals(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown federation profile '" + name + "' (known: "
                + Arrays.stream(values()).map(Profile::configName).collect(Collectors.joining(", ")) + ")");
    }
}
