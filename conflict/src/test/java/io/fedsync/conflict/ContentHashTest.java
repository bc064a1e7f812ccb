package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ObjectNormaliser#contentHash} streams through a value instead of building the tree
 * {@link ObjectNormaliser#normalise} builds; the tree is the oracle: over random variants of the
 * real stored objects, two values hash equal exactly when their normalised forms are equal.
 */
class ContentHashTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ObjectNormaliser k8s = ObjectNormaliser.kubernetesDefaults();

    @Test
    void equalNormalisedFormsHashEqualAndOnlyThey() throws Exception {
        Random rnd = new Random(Fixtures.SEED);
        List<byte[]> pool = new ArrayList<>();
        byte[][] samples = {Fixtures.createdOnHost(), Fixtures.createdOnHost2(), Fixtures.editedOnHost()};
        for (int i = 0; i < 400; i++) {
            pool.add(variant(samples[rnd.nextInt(samples.length)], rnd));
        }
        List<ObjectNormaliser.Normalised> forms = pool.stream().map(k8s::normalise).toList();
        long[] hashes = pool.stream().mapToLong(k8s::contentHash).toArray();
        int equalPairs = 0;
        int byteDifferentEqualPairs = 0;
        for (int a = 0; a < pool.size(); a++) {
            for (int b = a + 1; b < pool.size(); b++) {
                boolean same = forms.get(a).equals(forms.get(b));
                assertThat(hashes[a] == hashes[b])
                        .as("hash equality of\n%s\n%s", text(pool.get(a)), text(pool.get(b)))
                        .isEqualTo(same);
                if (same) {
                    equalPairs++;
                    if (!java.util.Arrays.equals(pool.get(a), pool.get(b))) {
                        byteDifferentEqualPairs++;
                    }
                }
            }
        }
        // The generator must make both kinds, or the property says little.
        assertThat(byteDifferentEqualPairs).isGreaterThan(100);
        assertThat(equalPairs).isLessThan(pool.size() * (pool.size() - 1) / 4);
    }

    @Test
    void valuesThatAreNotObjectsHashByTheirBytes() {
        assertThat(k8s.contentHash(bytes("k8s\0proto"))).isEqualTo(k8s.contentHash(bytes("k8s\0proto")));
        assertThat(k8s.contentHash(bytes("k8s\0proto"))).isNotEqualTo(k8s.contentHash(bytes("k8s\0proto2")));
        assertThat(k8s.contentHash(bytes("{\"a\":1} trailing"))).isNotEqualTo(k8s.contentHash(bytes("{\"a\":1}")));
        // Duplicate members make a value undecodable: compared as bytes, like normalise does.
        assertThat(k8s.contentHash(bytes("{\"a\":1,\"a\":2}"))).isNotEqualTo(k8s.contentHash(bytes("{\"a\":2}")));
        assertThat(k8s.contentHash(bytes("[1]"))).isNotEqualTo(k8s.contentHash(bytes("[ 1]")));
    }

    /** A random variant: server-set fields changed, members reordered, empty maps, semantic edits, number spellings. */
    private static byte[] variant(byte[] sample, Random rnd) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(sample);
        ObjectNode meta = (ObjectNode) root.get("metadata");
        if (rnd.nextBoolean()) {
            meta.put("uid", "uid-" + rnd.nextInt(1000));
        }
        if (rnd.nextBoolean()) {
            meta.put("resourceVersion", Integer.toString(rnd.nextInt(1000)));
        }
        if (rnd.nextBoolean()) {
            meta.put("creationTimestamp", "2026-11-" + (10 + rnd.nextInt(20)) + "T00:00:00Z");
        }
        if (rnd.nextInt(3) == 0) {
            ArrayNode mf = meta.putArray("managedFields");
            mf.addObject().put("manager", "m" + rnd.nextInt(5)).put("time", "t" + rnd.nextInt(5));
        }
        if (rnd.nextInt(3) == 0) {
            ObjectNode ann = meta.has("annotations") ? (ObjectNode) meta.get("annotations") : meta.putObject("annotations");
            ann.put("kubectl.kubernetes.io/last-applied-configuration", "{\"x\":" + rnd.nextInt(9) + "}");
        }
        if (rnd.nextInt(4) == 0 && !meta.has("labels")) {
            meta.putObject("labels");
        }
        if (rnd.nextInt(4) == 0 && !meta.has("finalizers")) {
            meta.putArray("finalizers");
        }
        if (rnd.nextInt(3) == 0) {
            ObjectNode labels = meta.has("labels") ? (ObjectNode) meta.get("labels") : meta.putObject("labels");
            labels.put("tier", rnd.nextBoolean() ? "a" : "b");
        }
        if (rnd.nextInt(3) == 0 && root.get("spec") instanceof ObjectNode spec) {
            spec.put("email", rnd.nextBoolean() ? "xxp@163.com" : "other@163.com");
        }
        if (rnd.nextInt(4) == 0) {
            root.putArray("list").add(1).add(rnd.nextBoolean() ? "x" : "y");
        }
        JsonNode shaped = rnd.nextBoolean() ? shuffled(root, rnd) : root;
        String text = rnd.nextBoolean() ? JSON.writeValueAsString(shaped)
                : JSON.writerWithDefaultPrettyPrinter().writeValueAsString(shaped);
        if (rnd.nextInt(3) == 0) {
            // Number spellings Jackson's tree compares by value: 1.0 = 1.00 = 1e0, but 1 is an integer.
            String[] spellings = {"1.0", "1.00", "1e0", "1", "2.5", "25e-1"};
            text = text.substring(0, text.lastIndexOf('}')) + ",\"n\":" + spellings[rnd.nextInt(spellings.length)] + "}";
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode shuffled(JsonNode node, Random rnd) {
        if (node instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            Collections.shuffle(names, rnd);
            ObjectNode out = JSON.createObjectNode();
            for (String n : names) {
                out.set(n, shuffled(o.get(n), rnd));
            }
            return out;
        }
        return node;
    }

    private static String text(byte[] v) {
        return new String(v, StandardCharsets.UTF_8);
    }
}
