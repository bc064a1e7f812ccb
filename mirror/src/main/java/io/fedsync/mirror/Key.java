package io.fedsync.mirror;

import io.etcd.jetcd.ByteSequence;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An etcd key: bytes, end to end. Keys are never decoded to a {@code String} and back on their way
 * through the mirror, so a key that is not valid UTF-8 is mirrored as the same bytes instead of
 * being renamed (two such keys would otherwise merge into one). Ordered as etcd orders keys:
 * byte-wise, unsigned.
 *
 * <p>For people and JSON a key has two spellings: {@link #toString()} (UTF-8, with {@code \xNN}
 * for bytes that are not, for logs) and {@link #wire()} (the UTF-8 text when the key is valid
 * UTF-8, else {@code hex:} and the bytes in hex — no mirrored key can start with {@code hex:},
 * since every mirrored prefix starts with {@code /}, so the spelling is one-to-one).
 */
public final class Key implements Comparable<Key> {

    private static final String HEX_PREFIX = "hex:";

    private final byte[] bytes;
    private final int hash;

    private Key(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** A key of these bytes (copied). */
    public static Key of(byte[] bytes) {
        return new Key(bytes.clone());
    }

    public static Key of(ByteSequence bytes) {
        return new Key(bytes.getBytes());
    }

    /** A key spelt in UTF-8. */
    public static Key of(String utf8) {
        return new Key(utf8.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads {@link #wire()}'s spelling back. */
    public static Key fromWire(String wire) {
        if (wire.startsWith(HEX_PREFIX)) {
            return new Key(HexFormat.of().parseHex(wire.substring(HEX_PREFIX.length())));
        }
        return of(wire);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public ByteSequence sequence() {
        return ByteSequence.from(bytes);
    }

    public int length() {
        return bytes.length;
    }

    public boolean startsWith(byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** The key with {@code prefix} in front (fedsync's metadata key of a data key). */
    public ByteSequence prefixedBy(byte[] prefix) {
        byte[] out = Arrays.copyOf(prefix, prefix.length + bytes.length);
        System.arraycopy(bytes, 0, out, prefix.length, bytes.length);
        return ByteSequence.from(out);
    }

    /** The key after removing its first {@code n} bytes. */
    static Key dropFirst(byte[] full, int n) {
        return new Key(Arrays.copyOfRange(full, n, full.length));
    }

    /** The first key after this one in etcd's order (this key plus a zero byte). */
    public ByteSequence successor() {
        return ByteSequence.from(Arrays.copyOf(bytes, bytes.length + 1));
    }

    public boolean isUtf8() {
        return decode() != null;
    }

    /** The JSON and API spelling: the UTF-8 text, or {@code hex:…} for a key that is not UTF-8. */
    public String wire() {
        String s = decode();
        return s != null ? s : HEX_PREFIX + HexFormat.of().formatHex(bytes);
    }

    private String decode() {
        try {
            CharBuffer c = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return c.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    @Override
    public int compareTo(Key o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Key k && hash == k.hash && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** For logs: UTF-8 where it is, {@code \xNN} for each byte that is not. */
    @Override
    public String toString() {
        String s = decode();
        if (s != null) {
            return s;
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < bytes.length) {
            int n = utf8Length(i);
            if (n > 0) {
                out.append(new String(bytes, i, n, StandardCharsets.UTF_8));
                i += n;
            } else {
                out.append(String.format("\\x%02x", bytes[i] & 0xff));
                i++;
            }
        }
        return out.toString();
    }

    /** Length of the valid UTF-8 sequence starting at {@code i}, or 0. */
    private int utf8Length(int i) {
        int b = bytes[i] & 0xff;
        int n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
        if (n == 0 || i + n > bytes.length) {
            return 0;
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, i, n));
            return n;
        } catch (CharacterCodingException e) {
            return 0;
        }
    }
}
