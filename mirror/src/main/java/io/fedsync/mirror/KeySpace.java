package io.fedsync.mirror;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Where things live in every etcd: the mirrored prefixes, and fedsync's own key space beside
 * them. The metadata of data key {@code k} is {@code <root>meta<k>}, so a range over a prefix's
 * metadata is a range too, sorted like the data keys, and no metadata key can ever fall inside a
 * mirrored prefix. Everything is bytes (see {@link Key}).
 */
public final class KeySpace {

    private final String root;
    private final byte[] metaRoot;
    private final List<String> prefixes;
    private final byte[][] prefixBytes;

    public KeySpace(String root, List<String> prefixes) {
        this.root = root;
        this.metaRoot = (root + "meta").getBytes(StandardCharsets.UTF_8);
        this.prefixes = List.copyOf(prefixes);
        this.prefixBytes = prefixes.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
    }

    public List<String> prefixes() {
        return prefixes;
    }

    public ByteSequence prefix(int index) {
        return ByteSequence.from(prefixBytes[index]);
    }

    public ByteSequence metaKey(Key dataKey) {
        return dataKey.prefixedBy(metaRoot);
    }

    /** The range of metadata keys of the data keys under prefix {@code index}. */
    public ByteSequence metaPrefix(int index) {
        return ByteSequence.from(concat(metaRoot, prefixBytes[index]));
    }

    public Key dataKeyOf(ByteSequence metaKey) {
        return Key.dropFirst(metaKey.getBytes(), metaRoot.length);
    }

    public ByteSequence fenceKey() {
        return ByteSequence.from(root + "fence", StandardCharsets.UTF_8);
    }

    /** The index of the mirrored prefix a key belongs to, or -1. */
    public int prefixIndexOf(Key key) {
        for (int i = 0; i < prefixBytes.length; i++) {
            if (key.startsWith(prefixBytes[i])) {
                return i;
            }
        }
        return -1;
    }

    /** The first key after every key starting with {@code prefix} (etcd's range end). */
    public static ByteSequence rangeEnd(ByteSequence prefix) {
        byte[] b = prefix.getBytes();
        for (int i = b.length - 1; i >= 0; i--) {
            if (b[i] != (byte) 0xff) {
                byte[] end = Arrays.copyOf(b, i + 1);
                end[i]++;
                return ByteSequence.from(end);
            }
        }
        return ByteSequence.from(new byte[] {0});
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
