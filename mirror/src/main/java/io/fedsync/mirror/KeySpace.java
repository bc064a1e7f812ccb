package io.fedsync.mirror;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Where things live in every etcd: the mirrored prefixes, and fedsync's own key space beside
 * them. The metadata of data key {@code k} is {@code <meta prefix>meta<k>}, so a range over a
 * prefix's metadata is a range too, and no metadata key can ever fall inside a mirrored prefix.
 */
public final class KeySpace {

    private final String root;
    private final List<String> prefixes;

    public KeySpace(String root, List<String> prefixes) {
        this.root = root;
        this.prefixes = List.copyOf(prefixes);
    }

    public List<String> prefixes() {
        return prefixes;
    }

    public String metaKey(String dataKey) {
        return root + "meta" + dataKey;
    }

    public String metaPrefix(String dataPrefix) {
        return metaKey(dataPrefix);
    }

    public String dataKeyOf(String metaKey) {
        return metaKey.substring((root + "meta").length());
    }

    public String fenceKey() {
        return root + "fence";
    }

    /** The mirrored prefix a key belongs to, if any. */
    public Optional<String> prefixOf(String key) {
        for (String p : prefixes) {
            if (key.startsWith(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    public static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** The first key after every key starting with {@code prefix} (etcd's range end). */
    public static ByteSequence rangeEnd(String prefix) {
        byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
        for (int i = b.length - 1; i >= 0; i--) {
            if (b[i] != (byte) 0xff) {
                byte[] end = java.util.Arrays.copyOf(b, i + 1);
                end[i]++;
                return ByteSequence.from(end);
            }
        }
        return ByteSequence.from(new byte[] {0});
    }
}
