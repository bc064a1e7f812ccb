package io.fedsync.mirror;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The little ASN.1 DER that reading private keys needs: walk a structure, read an OID, and wrap
 * a PKCS#1 or SEC1 key into PKCS#8 so the JDK's {@code KeyFactory} can read it. Not a general
 * ASN.1 library: single-byte tags, definite lengths (DER has no others).
 */
final class Der {

    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int SEQUENCE = 0x30;
    /** {@code [0]} constructed, e.g. SEC1's {@code parameters}. */
    static final int CONTEXT_0 = 0xa0;

    private Der() {
    }

    /** One TLV inside {@code buf}. */
    record Element(int tag, byte[] buf, int start, int contentStart, int end) {

        int length() {
            return end - contentStart;
        }

        byte[] content() {
            return java.util.Arrays.copyOfRange(buf, contentStart, end);
        }

        /** The whole TLV, tag and length included. */
        byte[] encoded() {
            return java.util.Arrays.copyOfRange(buf, start, end);
        }

        /** The elements inside a constructed element (SEQUENCE, [0], …). */
        List<Element> children() {
            List<Element> out = new ArrayList<>();
            int at = contentStart;
            while (at < end) {
                Element e = readAt(buf, at, end);
                out.add(e);
                at = e.end;
            }
            return out;
        }

        /** The dotted form of an OBJECT IDENTIFIER, e.g. {@code 1.2.840.10045.3.1.7}. */
        String oid() {
            if (tag != OID || length() == 0) {
                throw new IllegalArgumentException("not an OBJECT IDENTIFIER");
            }
            StringBuilder sb = new StringBuilder();
            long value = 0;
            boolean first = true;
            for (int i = contentStart; i < end; i++) {
                int b = buf[i] & 0xff;
                if (value > (Long.MAX_VALUE >> 7)) {
                    throw new IllegalArgumentException("OBJECT IDENTIFIER arc too large");
                }
                value = (value << 7) | (b & 0x7f);
                if ((b & 0x80) == 0) {
                    if (first) {
                        long top = Math.min(value / 40, 2);
                        sb.append(top).append('.').append(value - top * 40);
                        first = false;
                    } else {
                        sb.append('.').append(value);
                    }
                    value = 0;
                }
            }
            if ((buf[end - 1] & 0x80) != 0) {
                throw new IllegalArgumentException("truncated OBJECT IDENTIFIER");
            }
            return sb.toString();
        }

        /** A small non-negative INTEGER (versions). */
        int smallInt() {
            if (tag != INTEGER || length() < 1 || length() > 4) {
                throw new IllegalArgumentException("not a small INTEGER");
            }
            int v = 0;
            for (int i = contentStart; i < end; i++) {
                v = (v << 8) | (buf[i] & 0xff);
            }
            return v;
        }
    }

    /** Parses {@code der} as exactly one element. */
    static Element read(byte[] der) {
        Element e = readAt(der, 0, der.length);
        if (e.end != der.length) {
            throw new IllegalArgumentException("trailing bytes after the DER structure");
        }
        return e;
    }

    private static Element readAt(byte[] buf, int at, int limit) {
        if (at + 2 > limit) {
            throw new IllegalArgumentException("truncated DER");
        }
        int tag = buf[at] & 0xff;
        if ((tag & 0x1f) == 0x1f) {
            throw new IllegalArgumentException("multi-byte DER tags are not supported");
        }
        int lenByte = buf[at + 1] & 0xff;
        int contentStart = at + 2;
        long length;
        if (lenByte < 0x80) {
            length = lenByte;
        } else {
            int n = lenByte & 0x7f;
            if (n == 0 || n > 4) {
                throw new IllegalArgumentException("unsupported DER length");
            }
            if (contentStart + n > limit) {
                throw new IllegalArgumentException("truncated DER");
            }
            length = 0;
            for (int i = 0; i < n; i++) {
                length = (length << 8) | (buf[contentStart + i] & 0xff);
            }
            contentStart += n;
        }
        if (contentStart + length > limit) {
            throw new IllegalArgumentException("truncated DER");
        }
        return new Element(tag, buf, at, contentStart, (int) (contentStart + length));
    }

    // ---- writing --------------------------------------------------------------------------

    static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n <= 0xff) {
            out.write(0x81);
            out.write(n);
        } else if (n <= 0xffff) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x84);
            out.write(n >>> 24);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    static byte[] sequence(byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            content.writeBytes(p);
        }
        return tlv(SEQUENCE, content.toByteArray());
    }

    static byte[] integer(int smallNonNegative) {
        if (smallNonNegative < 0 || smallNonNegative > 127) {
            throw new IllegalArgumentException("only small integers");
        }
        return tlv(INTEGER, new byte[] {(byte) smallNonNegative});
    }

    static byte[] nullValue() {
        return new byte[] {NULL, 0};
    }

    static byte[] octetString(byte[] content) {
        return tlv(OCTET_STRING, content);
    }

    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        if (arcs.length < 2) {
            throw new IllegalArgumentException("OID needs at least two arcs: " + dotted);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        base128(out, Long.parseLong(arcs[0]) * 40 + Long.parseLong(arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            base128(out, Long.parseLong(arcs[i]));
        }
        return tlv(OID, out.toByteArray());
    }

    private static void base128(ByteArrayOutputStream out, long value) {
        int groups = 1;
        for (long v = value >>> 7; v != 0; v >>>= 7) {
            groups++;
        }
        for (int g = groups - 1; g >= 0; g--) {
            int b = (int) ((value >>> (7 * g)) & 0x7f);
            out.write(g == 0 ? b : b | 0x80);
        }
    }
}
