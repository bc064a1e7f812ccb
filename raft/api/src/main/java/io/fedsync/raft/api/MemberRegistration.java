package io.fedsync.raft.api;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A member cluster joined with {@code fedsyncctl join}: what every replica needs to reach it.
 * The kubeconfig is referenced by path (the file must exist at that path on every replica that
 * may lead), never copied; no secret is part of a registration.
 *
 * @param name          the member's name (lowercase letters, digits, '-'), unique in the group
 * @param kubeconfig    absolute path of its kubeconfig file
 * @param context       the kubeconfig context to use; null for the file's current context
 * @param kubeSystemUid the UID of its kube-system namespace when it joined: a cluster joins once
 * @param labels        its labels, matched by a workspace's {@code spec.placement.clusterSelector}
 * @param joinedAt      when it joined (epoch milliseconds, set by the replica that took the request)
 */
public record MemberRegistration(String name, String kubeconfig, String context, String kubeSystemUid,
                                 SortedMap<String, String> labels, long joinedAt) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    public MemberRegistration {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("member name '" + name + "' must be 1-63 lowercase letters, digits"
                    + " or '-', starting and ending with a letter or digit");
        }
        Objects.requireNonNull(kubeconfig, "kubeconfig");
        if (!kubeconfig.startsWith("/")) {
            throw new IllegalArgumentException("kubeconfig must be an absolute path, not '" + kubeconfig + "'");
        }
        if (context != null && context.isBlank()) {
            throw new IllegalArgumentException("context must not be blank");
        }
        Objects.requireNonNull(kubeSystemUid, "kubeSystemUid");
        if (kubeSystemUid.isBlank()) {
            throw new IllegalArgumentException("kubeSystemUid must not be blank");
        }
        TreeMap<String, String> copy = new TreeMap<>();
        (labels == null ? Map.<String, String>of() : labels).forEach((k, v) ->
                copy.put(Objects.requireNonNull(k, "label key"), Objects.requireNonNull(v, "label value")));
        labels = Collections.unmodifiableSortedMap(copy);
        if (joinedAt < 0) {
            throw new IllegalArgumentException("joinedAt must be >= 0");
        }
    }
}
