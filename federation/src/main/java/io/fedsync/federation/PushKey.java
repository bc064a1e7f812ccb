package io.fedsync.federation;

import java.util.Objects;

/**
 * What one unit of federation work is about: one object of one kind on one member. The work queue
 * deduplicates and serialises by this key.
 *
 * @param namespace empty for cluster-scoped kinds
 */
public record PushKey(String member, String plural, String namespace, String name) {
    public PushKey {
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(plural, "plural");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    @Override
    public String toString() {
        return member + " " + plural + " " + (namespace.isEmpty() ? "" : namespace + "/") + name;
    }
}
