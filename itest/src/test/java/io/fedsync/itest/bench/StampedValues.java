package io.fedsync.itest.bench;

import io.fedsync.itest.fixture.KubeObjects;
import java.nio.charset.StandardCharsets;

/**
 * KubeSphere User values that carry the moment they were written, as an annotation
 * {@code "bench/t":"<19 digits>"} ({@link BenchClock} nanoseconds: the machine's wall clock, shared by
 * the writers' process and the benchmark's). The annotation sorts first among the User's annotations, so the
 * value stays in the sorted-keys form kube-apiserver stores; every value of one key has the same
 * size. Templates are built once, so writers only copy bytes.
 */
final class StampedValues {

    static final String MARKER = "\"bench/t\":\"";
    static final int DIGITS = 19;
    private static final byte[] MARKER_BYTES = MARKER.getBytes(StandardCharsets.UTF_8);
    private static final String ANNOTATIONS = "\"annotations\":{";
    private static final int STAMP_BYTES = MARKER.length() + DIGITS + 2;

    private final String[] keys;
    private final byte[][] heads;
    private final byte[][] tails;

    StampedValues(int count, int valueBytes) {
        keys = new String[count];
        heads = new byte[count][];
        tails = new byte[count][];
        for (int i = 0; i < count; i++) {
            String name = userName(i);
            keys[i] = KubeObjects.userKey(name);
            String plain = KubeObjects.userPadded(name, name + "@example.com", valueBytes - STAMP_BYTES);
            int at = plain.indexOf(ANNOTATIONS);
            if (at < 0) {
                throw new IllegalStateException("a User without annotations: " + plain);
            }
            at += ANNOTATIONS.length();
            heads[i] = (plain.substring(0, at) + MARKER).getBytes(StandardCharsets.UTF_8);
            tails[i] = ("\"," + plain.substring(at)).getBytes(StandardCharsets.UTF_8);
        }
    }

    static String userName(int i) {
        return String.format("bench-user-%06d", i);
    }

    /** The index of a key of this set ({@code .../bench-user-000123} → 123), or -1. */
    static int indexOf(String key) {
        int at = key.lastIndexOf("bench-user-");
        if (at < 0) {
            return -1;
        }
        try {
            return Integer.parseInt(key.substring(at + "bench-user-".length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    int size() {
        return keys.length;
    }

    String key(int i) {
        return keys[i];
    }

    /** The value of key {@code i} stamped with {@code stamp} (>= 0). */
    byte[] value(int i, long stamp) {
        byte[] head = heads[i];
        byte[] tail = tails[i];
        byte[] out = new byte[head.length + DIGITS + tail.length];
        System.arraycopy(head, 0, out, 0, head.length);
        long v = stamp;
        for (int d = head.length + DIGITS - 1; d >= head.length; d--) {
            out[d] = (byte) ('0' + (v % 10));
            v /= 10;
        }
        System.arraycopy(tail, 0, out, head.length + DIGITS, tail.length);
        return out;
    }

    /** The stamp in a value, or -1 when it carries none. */
    static long stampOf(byte[] value) {
        int limit = value.length - MARKER_BYTES.length - DIGITS;
        outer:
        for (int i = 0; i <= limit; i++) {
            for (int j = 0; j < MARKER_BYTES.length; j++) {
                if (value[i + j] != MARKER_BYTES[j]) {
                    continue outer;
                }
            }
            long v = 0;
            for (int d = i + MARKER_BYTES.length; d < i + MARKER_BYTES.length + DIGITS; d++) {
                int c = value[d] - '0';
                if (c < 0 || c > 9) {
                    return -1;
                }
                v = v * 10 + c;
            }
            return v;
        }
        return -1;
    }
}
