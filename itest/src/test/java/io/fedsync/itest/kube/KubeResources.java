package io.fedsync.itest.kube;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The kinds a {@link KubeApiStandIn} serves. {@link #kubeSphere()} is every kind the federation
 * plane touches; add one with {@link #with(KubeResource)}:
 *
 * <pre>{@code
 * KubeResources.kubeSphere().with(KubeResource.namespaced("iam.kubesphere.io", "v1alpha2", "loginrecords", "LoginRecord"))
 * }</pre>
 *
 * Immutable: {@code with} returns a new registry.
 */
public final class KubeResources {

    public static final String IAM = "iam.kubesphere.io";
    public static final String TENANT = "tenant.kubesphere.io";
    public static final String CLUSTER = "cluster.kubesphere.io";

    public static final KubeResource USERS = KubeResource.cluster(IAM, "v1alpha2", "users", "User");
    public static final KubeResource GLOBAL_ROLES = KubeResource.cluster(IAM, "v1alpha2", "globalroles", "GlobalRole");
    public static final KubeResource GLOBAL_ROLE_BINDINGS =
            KubeResource.cluster(IAM, "v1alpha2", "globalrolebindings", "GlobalRoleBinding");
    public static final KubeResource WORKSPACE_ROLES = KubeResource.cluster(IAM, "v1alpha2", "workspaceroles", "WorkspaceRole");
    public static final KubeResource WORKSPACE_ROLE_BINDINGS =
            KubeResource.cluster(IAM, "v1alpha2", "workspacerolebindings", "WorkspaceRoleBinding");
    public static final KubeResource GROUPS = KubeResource.cluster(IAM, "v1alpha2", "groups", "Group");
    public static final KubeResource GROUP_BINDINGS = KubeResource.cluster(IAM, "v1alpha2", "groupbindings", "GroupBinding");
    public static final KubeResource WORKSPACE_TEMPLATES =
            KubeResource.cluster(TENANT, "v1alpha2", "workspacetemplates", "WorkspaceTemplate");
    public static final KubeResource WORKSPACES = KubeResource.cluster(TENANT, "v1alpha1", "workspaces", "Workspace");
    public static final KubeResource CLUSTERS = KubeResource.cluster(CLUSTER, "v1alpha1", "clusters", "Cluster");
    public static final KubeResource NAMESPACES = KubeResource.cluster("", "v1", "namespaces", "Namespace");
    public static final KubeResource CONFIG_MAPS = KubeResource.namespaced("", "v1", "configmaps", "ConfigMap");

    private final Map<String, KubeResource> byPath;

    private KubeResources(Map<String, KubeResource> byPath) {
        this.byPath = byPath;
    }

    /** The KubeSphere v3 kinds federation needs, plus core namespaces and configmaps. */
    public static KubeResources kubeSphere() {
        return none().with(USERS).with(GLOBAL_ROLES).with(GLOBAL_ROLE_BINDINGS).with(WORKSPACE_ROLES)
                .with(WORKSPACE_ROLE_BINDINGS).with(GROUPS).with(GROUP_BINDINGS).with(WORKSPACE_TEMPLATES)
                .with(WORKSPACES).with(CLUSTERS).with(NAMESPACES).with(CONFIG_MAPS);
    }

    public static KubeResources none() {
        return new KubeResources(Map.of());
    }

    /** This registry plus {@code resource}; replaces one with the same group, version and plural. */
    public KubeResources with(KubeResource resource) {
        Map<String, KubeResource> copy = new LinkedHashMap<>(byPath);
        copy.put(id(resource.group(), resource.version(), resource.plural()), resource);
        return new KubeResources(java.util.Collections.unmodifiableMap(copy));
    }

    public Optional<KubeResource> find(String group, String version, String plural) {
        return Optional.ofNullable(byPath.get(id(group, version, plural)));
    }

    /** By kind name or plural, case-insensitive, first match (for the command line and tests). */
    public Optional<KubeResource> byName(String name) {
        return byPath.values().stream()
                .filter(r -> r.plural().equalsIgnoreCase(name) || r.kind().equalsIgnoreCase(name)
                        || r.qualifiedName().equalsIgnoreCase(name))
                .findFirst();
    }

    public Collection<KubeResource> all() {
        return List.copyOf(byPath.values());
    }

    /** Groups (core "" excluded) in registration order, each with its versions in registration order. */
    public Map<String, List<String>> groupVersions() {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (KubeResource resource : byPath.values()) {
            if (resource.core()) {
                continue;
            }
            List<String> versions = groups.computeIfAbsent(resource.group(), g -> new ArrayList<>());
            if (!versions.contains(resource.version())) {
                versions.add(resource.version());
            }
        }
        return groups;
    }

    /** The kinds of one group version, in registration order. */
    public List<KubeResource> of(String group, String version) {
        return byPath.values().stream().filter(r -> r.group().equals(group) && r.version().equals(version)).toList();
    }

    private static String id(String group, String version, String plural) {
        return group + "/" + version + "/" + plural;
    }

    @Override
    public String toString() {
        return byPath.values().toString();
    }
}
