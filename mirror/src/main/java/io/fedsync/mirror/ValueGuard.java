package io.fedsync.mirror;

import io.fedsync.conflict.JsonSyntax;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Refuses values the mirror must not copy: larger than etcd accepts in one request, or not a
 * JSON object under a prefix where kube-apiserver expects JSON (one bad value there breaks
 * {@code kubectl get} for the whole kind on the receiving side).
 */
final class ValueGuard {

    private static final byte[] PROTOBUF_MAGIC = "k8s\0".getBytes(StandardCharsets.US_ASCII);

    private final int maxValueBytes;
    private final List<byte[]> requireJsonUnder;

    ValueGuard(int maxValueBytes, List<String> requireJsonUnder) {
        this.maxValueBytes = maxValueBytes;
        this.requireJsonUnder = requireJsonUnder.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /** Why this value cannot be mirrored, or empty when it can. */
    Optional<String> refuse(Key key, byte[] value) {
        if (value.length > maxValueBytes) {
            return Optional.of("value is " + value.length + " bytes, over the mirror's limit of " + maxValueBytes
                    + " bytes (etcd refuses requests over 1.5 MiB by default); not copied");
        }
        if (requireJsonUnder.stream().anyMatch(key::startsWith)) {
            if (startsWith(value, PROTOBUF_MAGIC)) {
                return Optional.of("value is protobuf-encoded (k8s\\0 prefix); only JSON custom resources are mirrored");
            }
            if (!JsonSyntax.isObject(value)) {
                return Optional.of("value is not a JSON object; copying it would break kube-apiserver's list of this"
                        + " kind on the other side; not copied");
            }
        }
        return Optional.empty();
    }

    private static boolean startsWith(byte[] value, byte[] prefix) {
        if (value.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (value[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
