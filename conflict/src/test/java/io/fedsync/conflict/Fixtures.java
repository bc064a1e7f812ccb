package io.fedsync.conflict;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Shared builders for the conflict tests. */
final class Fixtures {

    /** Seed for every randomised test; override with {@code -Dfedsync.seed=N} to reproduce a failure. */
    static final long SEED = Long.getLong("fedsync.seed", 0x5EED_F00DL);

    static final String[] ALPHABET = {"a", "b", "c", "d"};

    private Fixtures() {
    }

    /** {@code vv("a", 1, "b", 2)} is {@code {a:1, b:2}}. */
    static VersionVector vv(Object... clusterThenCounter) {
        if (clusterThenCounter.length % 2 != 0) {
            throw new IllegalArgumentException("pairs expected");
        }
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < clusterThenCounter.length; i += 2) {
            m.put((String) clusterThenCounter[i], ((Number) clusterThenCounter[i + 1]).longValue());
        }
        return VersionVector.of(m);
    }

    /** A random vector over {@link #ALPHABET}, counters 0..5, zero entries kept in the input map on purpose. */
    static VersionVector randomVector(Random rnd) {
        return VersionVector.of(randomCounters(rnd));
    }

    static Map<String, Long> randomCounters(Random rnd) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String c : ALPHABET) {
            if (rnd.nextInt(4) != 0) {
                m.put(c, (long) rnd.nextInt(6));
            }
        }
        return m;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] sample(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/samples/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /samples/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] createdOnHost() {
        return sample("user-xxp-created-on-host.json");
    }

    static byte[] createdOnHost2() {
        return sample("user-xxp-created-on-host2.json");
    }

    static byte[] editedOnHost() {
        return sample("user-xxp-edited-on-host.json");
    }

    static Version live(String cluster, VersionVector vector, byte[] value) {
        return new Version(cluster, vector, false, value, WriteTime.UNKNOWN, 0, false);
    }

    static Version live(String cluster, VersionVector vector, String value) {
        return live(cluster, vector, bytes(value));
    }

    static Version localLive(String cluster, VersionVector vector, byte[] value) {
        return new Version(cluster, vector, false, value, WriteTime.UNKNOWN, 0, true);
    }

    static Version localLive(String cluster, VersionVector vector, String value) {
        return localLive(cluster, vector, bytes(value));
    }

    static Version deleted(String cluster, VersionVector vector) {
        return new Version(cluster, vector, true, null, WriteTime.UNKNOWN, 0, false);
    }

    static Version localDeleted(String cluster, VersionVector vector) {
        return new Version(cluster, vector, true, null, WriteTime.UNKNOWN, 0, true);
    }

    static Version withWriteTime(String cluster, long millis) {
        return new Version(cluster, vv(cluster, 1), false, bytes("{\"from\":\"" + cluster + "\"}"),
                WriteTime.received(millis), 1, false);
    }

    /** A write time received by a watch at {@code millis} (0 = unknown). */
    static WriteTime wt(long millis) {
        return WriteTime.received(millis);
    }

    static <T> List<T> shuffled(List<T> in, Random rnd) {
        List<T> out = new ArrayList<>(in);
        java.util.Collections.shuffle(out, rnd);
        return out;
    }
}
