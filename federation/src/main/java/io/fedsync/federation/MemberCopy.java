package io.fedsync.federation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.conflict.ObjectNormaliser;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The object a member should hold for a host object (pure). The copy keeps the object's content
 * and drops what only makes sense on the host: the apiserver's own fields, owner references (they
 * name host uids) and finalizers (a member copy must never wait on a finalizer). It is marked
 * {@code kubefed.io/managed: "false"} so kubefed leaves it alone, and annotated with where it came
 * from and a hash of its content; a workspace template becomes the Workspace its
 * {@code spec.template} describes.
 *
 * <p>Two copies are compared by {@link #content}: the object without server-set fields, status and
 * fedsync's annotations. So the same object held by two hosts gives one write to a member, not one
 * per host, and a member's controllers updating status is not drift.
 */
public final class MemberCopy {

    public static final String ANNOTATION_PREFIX = "fedsync.io/";
    public static final String ORIGIN_CLUSTER = ANNOTATION_PREFIX + "origin-cluster";
    public static final String ORIGIN_UID = ANNOTATION_PREFIX + "origin-uid";
    public static final String CONTENT_HASH = ANNOTATION_PREFIX + "content-hash";
    public static final String VERSION_VECTOR = ANNOTATION_PREFIX + "version-vector";
    public static final String KUBEFED_MANAGED = "kubefed.io/managed";

    /** Metadata fields a member's apiserver sets, or that name host-side things. */
    private static final List<String> HOST_ONLY_METADATA = List.of("uid", "resourceVersion", "creationTimestamp",
            "generation", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
            "ownerReferences", "finalizers");

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

    private MemberCopy() {
    }

    /** What fedsync knows about the host object being copied. */
    public record Source(String cluster, String versionVector) {
    }

    /**
     * The desired member object for {@code hostObject}.
     *
     * @throws IllegalArgumentException when the value is not a JSON object of the kind, or a
     *                                  template has no {@code spec.template}
     */
    public static ObjectNode desired(FederatedKind kind, byte[] hostObject, Source source) {
        ObjectNode host = ObjectNormaliser.parseObject(hostObject).orElseThrow(
                () -> new IllegalArgumentException("not a JSON object"));
        String name = host.path("metadata").path("name").asText("");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("the object has no metadata.name");
        }
        String uid = host.path("metadata").path("uid").asText("");
        ObjectNode copy;
        if (kind.isTemplate()) {
            JsonNode template = host.path("spec").path("template");
            if (!template.isObject()) {
                throw new IllegalArgumentException(kind.kind() + " " + name + " has no spec.template");
            }
            copy = JSON.createObjectNode();
            copy.put("apiVersion", kind.target().apiVersion());
            copy.put("kind", kind.target().kind());
            ObjectNode meta = copy.putObject("metadata");
            meta.put("name", name);
            JsonNode tm = template.path("metadata");
            if (tm.path("labels").isObject()) {
                meta.set("labels", tm.path("labels").deepCopy());
            }
            if (tm.path("annotations").isObject()) {
                meta.set("annotations", tm.path("annotations").deepCopy());
            }
            if (template.has("spec")) {
                copy.set("spec", template.path("spec").deepCopy());
            }
        } else {
            copy = host.deepCopy();
            ObjectNode meta = (ObjectNode) copy.path("metadata");
            HOST_ONLY_METADATA.forEach(meta::remove);
            if (meta.path("annotations").isObject()) {
                ObjectNode a = (ObjectNode) meta.path("annotations");
                a.remove("kubectl.kubernetes.io/last-applied-configuration");
                a.properties().removeIf(e -> e.getKey().startsWith(ANNOTATION_PREFIX));
            }
        }
        ObjectNode meta = (ObjectNode) copy.path("metadata");
        ObjectNode labels = meta.path("labels").isObject() ? (ObjectNode) meta.path("labels") : meta.putObject("labels");
        labels.put(KUBEFED_MANAGED, "false");
        ObjectNode annotations = meta.path("annotations").isObject() ? (ObjectNode) meta.path("annotations")
                : meta.putObject("annotations");
        annotations.put(ORIGIN_CLUSTER, source.cluster());
        if (!uid.isEmpty()) {
            annotations.put(ORIGIN_UID, uid);
        }
        if (source.versionVector() != null) {
            annotations.put(VERSION_VECTOR, source.versionVector());
        }
        annotations.put(CONTENT_HASH, contentHash(copy));
        return copy;
    }

    /**
     * The part of a member object that must match the hosts': without server-set fields, status,
     * fedsync's annotations and empty maps. Stable: keys sorted.
     */
    public static ObjectNode content(JsonNode object) {
        ObjectNode c = object.deepCopy();
        c.remove("status");
        JsonNode m = c.path("metadata");
        if (m.isObject()) {
            ObjectNode meta = (ObjectNode) m;
            HOST_ONLY_METADATA.forEach(meta::remove);
            meta.remove("namespace");
            if (meta.path("annotations").isObject()) {
                ObjectNode a = (ObjectNode) meta.path("annotations");
                a.properties().removeIf(e -> e.getKey().startsWith(ANNOTATION_PREFIX)
                        || e.getKey().equals("kubectl.kubernetes.io/last-applied-configuration"));
                if (a.isEmpty()) {
                    meta.remove("annotations");
                }
            }
            if (meta.path("labels").isObject()) {
                // Who manages it is a marker, not content: a kubefed copy ("true") of the same
                // object is the same object, adopted by writing fedsync's marks.
                ((ObjectNode) meta.path("labels")).remove(KUBEFED_MANAGED);
                if (meta.path("labels").isEmpty()) {
                    meta.remove("labels");
                }
            }
        }
        return c;
    }

    /** A short hash of {@link #content}: what the copy's {@value #CONTENT_HASH} annotation records. */
    public static String contentHash(JsonNode object) {
        try {
            byte[] canonical = JSON.writeValueAsBytes(JSON.treeToValue(content(object), Object.class));
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical);
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot hash an object", e);
        }
    }

    /**
     * Whether the member's own record of who wrote {@code object} ({@code metadata.managedFields},
     * kept by kube-apiserver since 1.18) names {@code manager} alone: then what it holds is what that
     * manager wrote, as the member stored it (a mutating webhook's changes are recorded under the
     * request's manager), and no one has edited it through the API since. False when the object has
     * no such record.
     */
    public static boolean writtenOnlyBy(JsonNode object, String manager) {
        JsonNode entries = object.path("metadata").path("managedFields");
        if (!entries.isArray() || entries.isEmpty()) {
            return false;
        }
        for (JsonNode entry : entries) {
            if (!manager.equals(entry.path("manager").asText(null))) {
                return false;
            }
        }
        return true;
    }

    /** What a member's copy says about itself against what it should be. */
    public enum State {
        /** The member holds the desired content, in a copy fedsync wrote. */
        IN_SYNC,
        /** The member holds the desired content in an object fedsync did not write: adopt it (write the marks). */
        ADOPTABLE,
        /** The hosts changed the object since it was pushed: write it. */
        OUTDATED,
        /** Someone edited the copy on the member (its content no longer matches its own hash). */
        DRIFTED,
        /** An object of that name exists on the member and fedsync never wrote it. */
        FOREIGN,
        /** The member does not have it. */
        MISSING
    }

    /**
     * What deciding needs of a member's object, without keeping the object: its resourceVersion
     * (for a conditional write), the hash of its content, the hash its {@value #CONTENT_HASH}
     * annotation records ("" when none) and whether fedsync wrote it.
     */
    public record Observed(String resourceVersion, String contentHash, String recordedHash, boolean writtenByFedsync) {
        public static Observed of(JsonNode member) {
            JsonNode annotations = member.path("metadata").path("annotations");
            return new Observed(member.path("metadata").path("resourceVersion").asText(""), MemberCopy.contentHash(member),
                    annotations.path(CONTENT_HASH).asText(""), annotations.has(ORIGIN_CLUSTER));
        }
    }

    /** Compares what a member holds (empty when it has nothing) with the desired copy. */
    public static State compare(Optional<JsonNode> onMember, JsonNode desired) {
        return compareObserved(onMember.map(Observed::of), desired);
    }

    /** {@link #compare} on what was observed of the member's object. */
    public static State compareObserved(Optional<Observed> onMember, JsonNode desired) {
        if (onMember.isEmpty()) {
            return State.MISSING;
        }
        Observed member = onMember.get();
        String wanted = desired.path("metadata").path("annotations").path(CONTENT_HASH).asText("");
        if (member.contentHash().equals(wanted.isEmpty() ? contentHash(desired) : wanted)) {
            return member.writtenByFedsync() ? State.IN_SYNC : State.ADOPTABLE;
        }
        if (member.recordedHash().isEmpty()) {
            return State.FOREIGN;
        }
        return member.recordedHash().equals(member.contentHash()) ? State.OUTDATED : State.DRIFTED;
    }

    /** The copy as the bytes written to the member (compact JSON). */
    public static byte[] bytes(JsonNode copy) {
        try {
            return JSON.writeValueAsString(copy).getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise an object", e);
        }
    }
}
