package io.fedsync.federation;

import java.util.Objects;

/**
 * A kind the federation pushes from the hosts to members: where the hosts' apiserver keeps it and,
 * for a template kind ({@code workspacetemplates}), the kind its members receive instead.
 *
 * @param group      API group on the hosts ({@code iam.kubesphere.io})
 * @param version    API version on the hosts ({@code v1alpha2})
 * @param plural     resource name ({@code users})
 * @param kind       object kind ({@code User})
 * @param namespaced true for namespaced kinds
 * @param placement  which members receive an object of this kind
 * @param target     what members receive: the same kind, or the kind a template stamps out
 */
public record FederatedKind(String group, String version, String plural, String kind, boolean namespaced,
                            PlacementRule placement, Target target) {

    /** Which members an object goes to. */
    public enum PlacementRule {
        /** Every joined member. */
        ALL_MEMBERS,
        /** The members of the object's workspace (label {@code kubesphere.io/workspace}). */
        WORKSPACE_MEMBERS,
        /** The object's own {@code spec.placement}: a cluster list, else a cluster selector. */
        SPEC_PLACEMENT
    }

    /** What a member receives. */
    public record Target(String group, String version, String plural, String kind) {
        public Target {
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(plural, "plural");
            Objects.requireNonNull(kind, "kind");
        }

        public String apiVersion() {
            return group.isEmpty() ? version : group + "/" + version;
        }
    }

    public FederatedKind {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(plural, "plural");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(placement, "placement");
        Objects.requireNonNull(target, "target");
    }

    /** A kind members receive as it is on the hosts. */
    static FederatedKind same(String group, String version, String plural, String kind, PlacementRule placement) {
        return new FederatedKind(group, version, plural, kind, false, placement,
                new Target(group, version, plural, kind));
    }

    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    /** The kind as the hosts serve it (what is listed and watched there). */
    public Target source() {
        return new Target(group, version, plural, kind);
    }

    /** True when members receive another kind (a template's product). */
    public boolean isTemplate() {
        return !target.plural().equals(plural) || !target.group().equals(group);
    }

    /** The etcd prefix kube-apiserver keeps this kind under on the hosts. */
    public String registryPrefix() {
        return "/registry/" + (group.isEmpty() ? "" : group + "/") + plural + "/";
    }

    @Override
    public String toString() {
        return plural + "." + group + "/" + version;
    }
}
