package io.fedsync.daemon.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which etcd key prefixes fedsync may mirror. kube-apiserver stores built-in kinds (pods,
 * secrets, apps/…, anything in a {@code *.k8s.io} group) protobuf-encoded and expects exactly
 * one writer per cluster: mirroring them fights the local controllers and cannot be compared
 * as objects. Custom resources (groups with a dot, e.g. {@code iam.kubesphere.io}) are JSON and
 * are what fedsync is for. {@code mirror.force} lets an operator who knows better override the
 * risky-prefix rule, never the structural ones.
 */
final class PrefixRules {

    /** fedsync's own key space; a mirrored prefix inside it would mirror fedsync's metadata. */
    static final String OWN_KEY_SPACE = "/fedsync/";

    private static final String REGISTRY = "/registry/";

    private PrefixRules() {
    }

    /** Problems with the list as a whole and with each prefix; {@code key} is e.g. {@code mirror.prefixes}. */
    static List<String> check(List<String> prefixes, boolean force, String key) {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < prefixes.size(); i++) {
            String p = prefixes.get(i);
            String at = key + "[" + i + "]";
            if (p == null || p.isBlank()) {
                problems.add(at + " is empty");
                continue;
            }
            Optional<String> broken = structural(p);
            if (broken.isPresent()) {
                // Overlap and risk findings about a malformed prefix would only add noise.
                problems.add(at + " '" + p + "' " + broken.get());
                continue;
            }
            if (!force) {
                risky(p).ifPresent(why -> problems.add(at + " '" + p + "' " + why
                        + "; set mirror.force: true to mirror it anyway"));
            }
            for (int j = 0; j < i; j++) {
                String q = prefixes.get(j);
                if (q == null || structural(q).isPresent()) {
                    continue;
                }
                if (q.equals(p)) {
                    problems.add(at + " '" + p + "' is listed twice (also " + key + "[" + j + "])");
                } else if (p.startsWith(q) || q.startsWith(p)) {
                    problems.add(at + " '" + p + "' overlaps " + key + "[" + j + "] '" + q
                            + "': a key would be mirrored twice; keep only the shorter one");
                }
            }
        }
        return problems;
    }

    private static Optional<String> structural(String p) {
        if (!p.startsWith("/") || !p.endsWith("/")) {
            return Optional.of("must start and end with '/'");
        }
        if (p.contains("//")) {
            return Optional.of("contains an empty segment '//'");
        }
        if (p.equals("/")) {
            return Optional.of("is the whole of etcd, including fedsync's own key space " + OWN_KEY_SPACE);
        }
        if (p.startsWith(OWN_KEY_SPACE) || OWN_KEY_SPACE.startsWith(p)) {
            return Optional.of("overlaps fedsync's own key space " + OWN_KEY_SPACE);
        }
        return Optional.empty();
    }

    private static Optional<String> risky(String p) {
        if (p.equals(REGISTRY)) {
            return Optional.of("is all of Kubernetes, including built-in objects that kube-apiserver stores "
                    + "protobuf-encoded and that each cluster's controllers own");
        }
        if (!p.startsWith(REGISTRY)) {
            return Optional.empty();
        }
        String rest = p.substring(REGISTRY.length());
        String group = rest.substring(0, rest.indexOf('/'));
        if (!group.contains(".")) {
            return Optional.of("holds the built-in kind '" + group + "', which kube-apiserver stores "
                    + "protobuf-encoded (only custom resources, in groups with a '.', are JSON)");
        }
        if (group.endsWith("k8s.io")) {
            return Optional.of("is in the Kubernetes group '" + group + "', whose objects kube-apiserver stores "
                    + "protobuf-encoded (only custom resources are JSON)");
        }
        return Optional.empty();
    }
}
