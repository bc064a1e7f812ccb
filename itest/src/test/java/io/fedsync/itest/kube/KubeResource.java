package io.fedsync.itest.kube;

import java.util.Locale;
import java.util.Objects;

/**
 * One kind the {@link KubeApiStandIn} serves: where it lives in the API (group, version,
 * plural), what it is called (kind) and whether it is namespaced. The etcd key follows
 * kube-apiserver: {@code /registry/<group>/<plural>/[<ns>/]<name>} for custom resources and
 * {@code /registry/<plural>/[<ns>/]<name>} for the core group ({@code group} empty).
 *
 * @param group "" for the core group (served under {@code /api/v1})
 * @param version e.g. {@code v1alpha2}
 * @param plural the resource name in URLs, e.g. {@code users}
 * @param kind e.g. {@code User}
 * @param namespaced whether objects live in a namespace
 */
public record KubeResource(String group, String version, String plural, String kind, boolean namespaced) {

    public KubeResource {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(plural, "plural");
        Objects.requireNonNull(kind, "kind");
    }

    /** A cluster-scoped kind. */
    public static KubeResource cluster(String group, String version, String plural, String kind) {
        return new KubeResource(group, version, plural, kind, false);
    }

    /** A namespaced kind. */
    public static KubeResource namespaced(String group, String version, String plural, String kind) {
        return new KubeResource(group, version, plural, kind, true);
    }

    public boolean core() {
        return group.isEmpty();
    }

    /** {@code iam.kubesphere.io/v1alpha2}, or {@code v1} for the core group. */
    public String apiVersion() {
        return core() ? version : group + "/" + version;
    }

    /** {@code users.iam.kubesphere.io}, or {@code configmaps} for the core group (as error messages name it). */
    public String qualifiedName() {
        return core() ? plural : plural + "." + group;
    }

    public String singular() {
        return kind.toLowerCase(Locale.ROOT);
    }

    public String listKind() {
        return kind + "List";
    }

    /** The URL path of the group version: {@code /apis/<group>/<version>} or {@code /api/v1}. */
    public String groupVersionPath() {
        return core() ? "/api/" + version : "/apis/" + group + "/" + version;
    }

    /**
     * Every object of this kind is under this etcd prefix (ends in '/'). Two versions of one
     * group share it, as they share storage in kube-apiserver.
     */
    public String keyPrefix() {
        return core() ? "/registry/" + plural + "/" : "/registry/" + group + "/" + plural + "/";
    }

    /** The prefix of one namespace's objects (namespaced kinds only). */
    public String keyPrefix(String namespace) {
        requireNamespaced(namespace);
        return keyPrefix() + namespace + "/";
    }

    /** The etcd key of one object; {@code namespace} is ignored (may be null) for cluster-scoped kinds. */
    public String key(String namespace, String name) {
        if (!namespaced) {
            return keyPrefix() + name;
        }
        requireNamespaced(namespace);
        return keyPrefix() + namespace + "/" + name;
    }

    private void requireNamespaced(String namespace) {
        if (!namespaced) {
            throw new IllegalArgumentException(qualifiedName() + " is cluster-scoped");
        }
        if (namespace == null || namespace.isEmpty()) {
            throw new IllegalArgumentException(qualifiedName() + " is namespaced: a namespace is needed");
        }
    }

    @Override
    public String toString() {
        return apiVersion() + " " + plural + (namespaced ? " (namespaced)" : " (cluster)");
    }
}
