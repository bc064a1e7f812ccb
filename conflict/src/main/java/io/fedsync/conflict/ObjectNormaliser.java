package io.fedsync.conflict;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Compares stored Kubernetes objects the way a person would: two objects that differ only in
 * fields the API server sets on its own (uid, creationTimestamp, managedFields, …) are the same
 * object. This is what ends the users' experiment 1, where the same form submitted on two hosts
 * gave two byte-different values that two make-mirror processes then copied back and forth.
 *
 * <p>Values that are not JSON objects (protobuf {@code k8s\0…}, plain strings, garbage) are
 * compared byte for byte. Normalising is only ever used to compare: the mirror copies bytes.
 */
public final class ObjectNormaliser {

    /** Server-set fields, as JSON pointers (RFC 6901: {@code ~1} stands for {@code /}). */
    public static final List<String> DEFAULT_IGNORED_FIELDS = List.of(
            "/metadata/uid",
            "/metadata/resourceVersion",
            "/metadata/creationTimestamp",
            "/metadata/generation",
            "/metadata/managedFields",
            "/metadata/selfLink",
            "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration");

    /** Maps and lists that serialisers write as empty when unset: empty and absent are equal. */
    private static final List<String> EMPTY_MEANS_ABSENT = List.of(
            "/metadata/annotations", "/metadata/labels", "/metadata/finalizers", "/metadata/ownerReferences");

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // Trailing bytes after the object make the value undecodable for kube-apiserver too.
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final List<JsonPointer> ignored;
    private final List<JsonPointer> emptyMeansAbsent;

    public ObjectNormaliser(List<String> ignoredFields) {
        this.ignored = ignoredFields.stream().map(ObjectNormaliser::pointer).toList();
        this.emptyMeansAbsent = EMPTY_MEANS_ABSENT.stream().map(JsonPointer::compile).toList();
    }

    public static ObjectNormaliser kubernetesDefaults() {
        return new ObjectNormaliser(DEFAULT_IGNORED_FIELDS);
    }

    private static JsonPointer pointer(String field) {
        if (!field.startsWith("/") || field.length() < 2) {
            throw new IllegalArgumentException(
                    "ignored field '" + field + "' must be a JSON pointer such as /metadata/uid");
        }
        return JsonPointer.compile(field);
    }

    /** The comparable form of a stored value. */
    public Normalised normalise(byte[] value) {
        Optional<ObjectNode> object = parseObject(value);
        if (object.isEmpty()) {
            return new Normalised(null, value.clone());
        }
        ObjectNode node = object.get();
        for (JsonPointer p : ignored) {
            remove(node, p);
        }
        for (JsonPointer p : emptyMeansAbsent) {
            JsonNode at = node.at(p);
            if ((at.isObject() || at.isArray()) && at.isEmpty()) {
                remove(node, p);
            }
        }
        return new Normalised(node, null);
    }

    /**
     * A 64-bit hash of {@link #normalise}'s result, streamed through the value without building a
     * tree: values whose normalised forms are equal hash equal (members in any order, ignored
     * fields and empty-means-absent maps left out, numbers by value as Jackson's tree compares
     * them). What the flip-flop guard remembers of each content it sees; never used to decide that
     * two values are the same object (the mirror compares trees for that).
     */
    public long contentHash(byte[] value) {
        if (value.length == 0 || firstNonBlank(value) != '{') {
            return rawHash(value);
        }
        try (JsonParser p = MAPPER.getFactory().createParser(value)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return rawHash(value);
            }
            long h = objectHash(p, new ArrayList<>()).hash;
            return p.nextToken() == null ? h : rawHash(value);
        } catch (IOException e) {
            return rawHash(value);
        }
    }

    private record Hashed(long hash, int size) {
    }

    /** The object the parser is in (after its START_OBJECT), at {@code path}. */
    private Hashed objectHash(JsonParser p, List<String> path) throws IOException {
        long sum = 0;
        int members = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            path.add(name);
            p.nextToken();
            if (matches(ignored, path)) {
                p.skipChildren();
            } else {
                Hashed v = valueHash(p, path);
                if (v.size != 0 || !matches(emptyMeansAbsent, path)) {
                    // Order-insensitive: a sum of member hashes, as the tree's equality ignores order.
                    sum += mix(stringHash(name) * 0x9E3779B97F4A7C15L + v.hash);
                    members++;
                }
            }
            path.remove(path.size() - 1);
        }
        return new Hashed(mix(sum ^ 0x6F626A656374L) + members, members);
    }

    /** The value the parser is at; size is the member or element count of an object or array. */
    private Hashed valueHash(JsonParser p, List<String> path) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT:
                return objectHash(p, path);
            case START_ARRAY: {
                long h = 0x6172726179L;
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    path.add(Integer.toString(i++));
                    h = mix(h * 31 + valueHash(p, path).hash);
                    path.remove(path.size() - 1);
                }
                return new Hashed(mix(h + i), i);
            }
            case VALUE_STRING:
                return new Hashed(mix(stringHash(p.getText()) ^ 0x73L), -1);
            case VALUE_NUMBER_INT:
                return new Hashed(mix(p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? p.getBigIntegerValue().hashCode() ^ 0x62L : p.getLongValue() ^ 0x69L * 0x100000001B3L), -1);
            case VALUE_NUMBER_FLOAT:
                return new Hashed(mix(Double.doubleToLongBits(p.getDoubleValue()) ^ 0x66L), -1);
            case VALUE_TRUE:
                return new Hashed(0x74727565L, -1);
            case VALUE_FALSE:
                return new Hashed(0x66616c7365L, -1);
            default:
                return new Hashed(0x6e756c6cL, -1);
        }
    }

    private static boolean matches(List<JsonPointer> pointers, List<String> path) {
        for (JsonPointer ptr : pointers) {
            JsonPointer q = ptr;
            int i = 0;
            while (i < path.size() && !q.matches() && q.getMatchingProperty().equals(path.get(i))) {
                q = q.tail();
                i++;
            }
            if (i == path.size() && q.matches()) {
                return true;
            }
        }
        return false;
    }

    private static long stringHash(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100000001B3L;
        }
        return mix(h + s.length());
    }

    private static long rawHash(byte[] value) {
        long h = 0x726177L;
        for (byte b : value) {
            h = (h ^ (b & 0xff)) * 0x100000001B3L;
        }
        return mix(h + value.length);
    }

    /** splitmix64's finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public boolean semanticallyEqual(byte[] a, byte[] b) {
        if (Arrays.equals(a, b)) {
            return true;
        }
        return normalise(a).equals(normalise(b));
    }

    /**
     * JSON pointers at which the normalised forms differ (for reports), or {@code [""]} when one
     * of them is not a JSON object and the bytes differ.
     */
    public List<String> differingPaths(byte[] a, byte[] b) {
        Normalised na = normalise(a);
        Normalised nb = normalise(b);
        if (na.json() == null || nb.json() == null) {
            return na.equals(nb) ? List.of() : List.of("");
        }
        List<String> out = new ArrayList<>();
        diff("", na.json(), nb.json(), out);
        return out;
    }

    /** Parses a value as a JSON object, or empty when it is anything else. */
    public static Optional<ObjectNode> parseObject(byte[] value) {
        if (value.length == 0 || firstNonBlank(value) != '{') {
            return Optional.empty();
        }
        try {
            JsonNode node = MAPPER.readTree(value);
            return node instanceof ObjectNode o ? Optional.of(o) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether a value is one well-formed JSON object (and nothing after it), checked by streaming
     * through it without building a tree: the cheap test for every change the mirror copies.
     */
    public static boolean isJsonObject(byte[] value) {
        if (value.length == 0 || firstNonBlank(value) != '{') {
            return false;
        }
        try (com.fasterxml.jackson.core.JsonParser p = MAPPER.getFactory().createParser(value)) {
            if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }

    private static int firstNonBlank(byte[] value) {
        for (byte b : value) {
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return b;
            }
        }
        return -1;
    }

    private static void remove(ObjectNode root, JsonPointer p) {
        JsonNode parent = root.at(p.head());
        if (parent instanceof ObjectNode o) {
            o.remove(p.last().getMatchingProperty());
        }
    }

    private static void diff(String path, JsonNode a, JsonNode b, List<String> out) {
        if (a.equals(b)) {
            return;
        }
        if (a.isObject() && b.isObject()) {
            TreeSet<String> names = new TreeSet<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                String child = path + "/" + name.replace("~", "~0").replace("/", "~1");
                JsonNode ca = a.get(name);
                JsonNode cb = b.get(name);
                if (ca == null || cb == null) {
                    out.add(child);
                } else {
                    diff(child, ca, cb, out);
                }
            }
            return;
        }
        out.add(path.isEmpty() ? "/" : path);
    }

    /** A normalised value: a JSON tree, or raw bytes when the value is not a JSON object. */
    public record Normalised(ObjectNode json, byte[] raw) {

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Normalised other)) {
                return false;
            }
            if (json != null || other.json != null) {
                return json != null && json.equals(other.json);
            }
            return Arrays.equals(raw, other.raw);
        }

        @Override
        public int hashCode() {
            return json != null ? json.hashCode() : Arrays.hashCode(raw);
        }

        @Override
        public String toString() {
            return json != null ? json.toString() : "<" + raw.length + " bytes>";
        }
    }

}
