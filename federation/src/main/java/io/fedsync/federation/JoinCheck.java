package io.fedsync.federation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The checks {@code fedsyncctl join} makes before a member is registered, each named, with what
 * to do when it fails (KubeSphere's own join failed with messages that did not say): the member
 * answers; its kube-system namespace is not joined already; it is a KubeSphere {@code member};
 * and its jwtSecret is the hosts'. The secret is compared by keyed fingerprint and never shown.
 */
public final class JoinCheck {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    public enum Status { PASS, WARN, FAIL }

    /** One check's outcome; {@code fix} says what to do when it did not pass. */
    public record Result(String check, Status status, String detail, String fix) {
    }

    /** What the checks found. */
    public record Report(List<Result> results, String kubeSystemUid) {
        public boolean passed() {
            return results.stream().noneMatch(r -> r.status() == Status.FAIL);
        }
    }

    private JoinCheck() {
    }

    /**
     * @param joined kube-system uids of the members joined already, to the name they were joined as
     * @param hosts  the host clusters (their jwtSecrets must agree, and the member's must match)
     */
    public static Report run(KubeCluster member, List<KubeCluster> hosts, Map<String, String> joined,
                             Profile profile, JwtSecret.FingerprintKey key) {
        List<Result> out = new ArrayList<>();
        member.warnings().forEach(w -> out.add(new Result("kubeconfig", Status.WARN, w,
                "give the kubeconfig the API server's CA (certificate-authority-data) instead")));
        String uid;
        try {
            uid = member.kubeSystemUid();
            out.add(new Result("reachable", Status.PASS, member.server() + " answered", ""));
        } catch (KubeAccessException e) {
            out.add(new Result("reachable", Status.FAIL, e.getMessage(), e.unreachable()
                    ? "check the server address in the kubeconfig and that this host reaches it (with kind, use the"
                    + " member container's IP:6443, not 127.0.0.1)"
                    : "the kubeconfig's user must be allowed to read namespaces and ConfigMaps in kubesphere-system"));
            return new Report(out, null);
        }
        String already = joined.get(uid);
        out.add(already == null
                ? new Result("not joined already", Status.PASS, "kube-system uid " + uid + " is not joined", "")
                : new Result("not joined already", Status.FAIL, "this cluster (kube-system uid " + uid
                        + ") is joined already as " + already,
                        "a cluster must not be joined twice; unjoin " + already + " first to join it under another name"));
        Optional<String> yaml;
        try {
            yaml = member.kubesphereYaml();
        } catch (KubeAccessException e) {
            out.add(new Result("clusterRole member", Status.FAIL, e.getMessage(),
                    "the kubeconfig's user must be allowed to read ConfigMaps in kubesphere-system"));
            return new Report(out, uid);
        }
        if (yaml.isEmpty()) {
            out.add(new Result("clusterRole member", Status.FAIL, "no " + JwtSecret.CONFIG_MAP_NAMESPACE + "/"
                    + JwtSecret.CONFIG_MAP_NAME + " with " + JwtSecret.CONFIG_FILE_KEY + ": KubeSphere is not installed there",
                    "install KubeSphere on the member with multicluster.clusterRole: member"));
            return new Report(out, uid);
        }
        String role = clusterRole(yaml.get());
        out.add("member".equals(role)
                ? new Result("clusterRole member", Status.PASS, "multicluster.clusterRole is member", "")
                : new Result("clusterRole member", Status.FAIL, "multicluster.clusterRole is "
                        + (role == null ? "not set" : role),
                        "set multicluster.clusterRole: member in the member's ks-installer ClusterConfiguration"));
        out.add(jwt(member, yaml.get(), hosts, profile, key));
        return new Report(out, uid);
    }

    /**
     * {@code fedsyncctl check-jwt}: reads the member's and the hosts' jwtSecrets now and compares
     * their fingerprints (the secret itself is never returned).
     */
    public static Result jwt(KubeCluster member, List<KubeCluster> hosts, Profile profile, JwtSecret.FingerprintKey key) {
        Optional<String> yaml;
        try {
            yaml = member.kubesphereYaml();
        } catch (KubeAccessException e) {
            return new Result("jwtSecret matches", Status.FAIL, e.getMessage(), e.unreachable()
                    ? "try again when " + member.name() + " answers" : "the kubeconfig's user must be allowed to read"
                    + " ConfigMaps in " + JwtSecret.CONFIG_MAP_NAMESPACE);
        }
        if (yaml.isEmpty()) {
            return new Result("jwtSecret matches", Status.FAIL, member.name() + " has no " + JwtSecret.CONFIG_MAP_NAMESPACE
                    + "/" + JwtSecret.CONFIG_MAP_NAME, "install KubeSphere on the member with multicluster.clusterRole:"
                    + " member");
        }
        return jwt(member, yaml.get(), hosts, profile, key);
    }

    private static Result jwt(KubeCluster member, String memberYaml, List<KubeCluster> hosts, Profile profile,
                              JwtSecret.FingerprintKey key) {
        String check = "jwtSecret matches";
        String fix = "make " + String.join(".", profile.jwtSecretPath()) + " in the member's "
                + JwtSecret.CONFIG_MAP_NAMESPACE + "/" + JwtSecret.CONFIG_MAP_NAME + " the hosts' value, then restart"
                + " ks-apiserver there";
        JwtSecret.Fingerprint memberPrint;
        try {
            memberPrint = JwtSecret.fingerprint(memberYaml, profile, key);
        } catch (JwtSecret.Unreadable e) {
            return new Result(check, Status.FAIL, member.name() + ": " + e.getMessage(), fix);
        }
        JwtSecret.Fingerprint hostPrint = null;
        String first = null;
        for (KubeCluster h : hosts) {
            JwtSecret.Fingerprint p;
            try {
                Optional<String> y = h.kubesphereYaml();
                if (y.isEmpty()) {
                    return new Result(check, Status.FAIL, "host " + h.name() + " has no " + JwtSecret.CONFIG_MAP_NAME,
                            "check the host's kubeconfig in fedsync.yaml");
                }
                p = JwtSecret.fingerprint(y.get(), profile, key);
            } catch (KubeAccessException e) {
                return new Result(check, Status.FAIL, "cannot read host " + h.name() + "'s secret: " + e.getMessage(),
                        "the hosts must answer to compare secrets; try again when " + h.name() + " is up");
            } catch (JwtSecret.Unreadable e) {
                return new Result(check, Status.FAIL, "host " + h.name() + ": " + e.getMessage(),
                        "fix the host's kubesphere-config first");
            }
            if (hostPrint == null) {
                hostPrint = p;
                first = h.name();
            } else if (!hostPrint.matches(p)) {
                return new Result(check, Status.FAIL, "the hosts " + first + " and " + h.name()
                        + " hold different jwtSecrets", "give every host the same jwtSecret first");
            }
        }
        if (hostPrint == null) {
            return new Result(check, Status.FAIL, "no host cluster has a kubeconfig to compare with",
                    "give the host clusters a kubeconfig in fedsync.yaml");
        }
        return memberPrint.matches(hostPrint)
                ? new Result(check, Status.PASS, "the member's jwtSecret is the hosts'", "")
                : new Result(check, Status.FAIL, "the member's jwtSecret differs from the hosts': tokens the hosts"
                        + " issue would not verify there (users see \"signature is invalid\" and 401s)", fix);
    }

    /** {@code multicluster.clusterRole} of a {@code kubesphere.yaml}, or null. */
    static String clusterRole(String kubesphereYaml) {
        try {
            JsonNode n = YAML.readTree(kubesphereYaml);
            JsonNode role = n == null ? null : n.path("multicluster").path("clusterRole");
            return role == null || !role.isTextual() ? null : role.asText();
        } catch (Exception e) {
            return null;
        }
    }
}
