package io.fedsync.itest.kube;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** What kube-apiserver does to an object's metadata on write, and the patch formats. */
final class StoredObjects {

    /** Metadata fields the apiserver owns; managedFields never list them. */
    private static final List<String> SYSTEM_METADATA = List.of("name", "namespace", "uid", "resourceVersion",
            "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields",
            "selfLink", "generateName");

    private StoredObjects() {
    }

    /** The metadata map, created if absent. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> metadata(Map<String, Object> object) {
        Object metadata = object.get("metadata");
        if (metadata instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        Map<String, Object> created = new LinkedHashMap<>();
        object.put("metadata", created);
        return created;
    }

    static String string(Map<String, Object> map, String key) {
        Object value = map.get(key);
        return value == null ? "" : value.toString();
    }

    static Map<String, String> stringMap(Object value) {
        Map<String, String> result = new TreeMap<>();
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> result.put(String.valueOf(k), v == null ? "" : v.toString()));
        }
        return result;
    }

    static boolean hasFinalizers(Map<String, Object> object) {
        return metadata(object).get("finalizers") instanceof List<?> list && !list.isEmpty();
    }

    /** RFC 3339 in whole seconds, as metav1.Time marshals. */
    static String now() {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }

    /** Everything outside metadata differs: the apiserver then raises metadata.generation. */
    static boolean specChanged(Map<String, Object> before, Map<String, Object> after) {
        Map<String, Object> a = new TreeMap<>(before);
        Map<String, Object> b = new TreeMap<>(after);
        a.remove("metadata");
        b.remove("metadata");
        return !Objects.equals(normalised(a), normalised(b));
    }

    /** Numbers compared by value (Jackson may read 1 as Integer or Long). */
    private static Object normalised(Object value) {
        return new String(GoJson.write(value), java.nio.charset.StandardCharsets.UTF_8);
    }

    // ---- managedFields --------------------------------------------------------------------

    /** The manager a write is recorded under: ?fieldManager=, else the User-Agent up to its first '/'. */
    static String manager(String fieldManager, String userAgent) {
        if (fieldManager != null && !fieldManager.isBlank()) {
            return fieldManager;
        }
        if (userAgent == null || userAgent.isBlank()) {
            return "unknown";
        }
        int slash = userAgent.indexOf('/');
        return slash < 0 ? userAgent : userAgent.substring(0, slash);
    }

    /** A create: one Update entry of {@code manager} owning every field it set (an approximation of FieldsV1). */
    static void recordCreate(Map<String, Object> object, String apiVersion, String manager, String time) {
        Map<String, Object> fields = fieldsOf(object);
        List<Object> entries = new ArrayList<>();
        entries.add(entry(apiVersion, fields, manager, time));
        metadata(object).put("managedFields", entries);
    }

    /**
     * An update or patch: {@code manager}'s Update entry gains the fields that changed and
     * the time of this write (it is appended if {@code manager} had none). As kube-apiserver does,
     * the fields that changed are taken from every other manager, and a manager left owning
     * nothing loses its entry (sample {@code user-xxp-edited-on-host.json}: after
     * {@code kubectl patch} of spec.email, {@code kubectl-create} no longer owns it).
     */
    @SuppressWarnings("unchecked")
    static void recordUpdate(Map<String, Object> before, Map<String, Object> after, String apiVersion, String manager,
            String time) {
        Map<String, Object> changed = changedFields(before, after);
        List<Object> entries = new ArrayList<>();
        boolean recorded = false;
        if (metadata(after).get("managedFields") instanceof List<?> existing) {
            for (Object e : existing) {
                if (!(e instanceof Map<?, ?> entry)) {
                    entries.add(e);
                    continue;
                }
                Map<String, Object> mutable = new TreeMap<>((Map<String, Object>) entry);
                Map<String, Object> owned = mutable.get("fieldsV1") instanceof Map<?, ?> m ? (Map<String, Object>) m
                        : Map.of();
                if (manager.equals(mutable.get("manager")) && "Update".equals(mutable.get("operation"))
                        && apiVersion.equals(mutable.get("apiVersion"))) {
                    mutable.put("fieldsV1", union(owned, changed));
                    mutable.put("time", time);
                    recorded = true;
                } else {
                    Map<String, Object> kept = without(owned, changed);
                    if (kept.isEmpty()) {
                        continue;
                    }
                    mutable.put("fieldsV1", kept);
                }
                entries.add(mutable);
            }
        }
        if (!recorded) {
            entries.add(entry(apiVersion, changed, manager, time));
        }
        metadata(after).put("managedFields", entries);
    }

    /**
     * The fields {@code owned} keeps when another manager sets {@code taken}: a field it set (a leaf
     * of {@code taken}) goes, with its children; a map left owning nothing goes too.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> without(Map<String, Object> owned, Map<String, Object> taken) {
        Map<String, Object> kept = new TreeMap<>();
        for (Map.Entry<String, Object> e : owned.entrySet()) {
            Object t = taken.get(e.getKey());
            if (t == null || e.getKey().equals(".")) {
                kept.put(e.getKey(), e.getValue());
                continue;
            }
            Map<String, Object> takenBelow = t instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
            if (takenBelow.isEmpty()) {
                continue;
            }
            Map<String, Object> ownedBelow = e.getValue() instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
            Map<String, Object> rest = without(ownedBelow, takenBelow);
            if (!rest.isEmpty()) {
                kept.put(e.getKey(), rest);
            }
        }
        return kept;
    }

    private static Map<String, Object> entry(String apiVersion, Map<String, Object> fields, String manager, String time) {
        Map<String, Object> entry = new TreeMap<>();
        entry.put("apiVersion", apiVersion);
        entry.put("fieldsType", "FieldsV1");
        entry.put("fieldsV1", fields);
        entry.put("manager", manager);
        entry.put("operation", "Update");
        entry.put("time", time);
        return entry;
    }

    /** {@code f:spec: {.: {}, f:email: {}}} for every top-level field; labels, annotations and finalizers of metadata. */
    static Map<String, Object> fieldsOf(Map<String, Object> object) {
        Map<String, Object> fields = new TreeMap<>();
        for (Map.Entry<String, Object> e : object.entrySet()) {
            String key = e.getKey();
            if (key.equals("apiVersion") || key.equals("kind")) {
                continue;
            }
            if (key.equals("metadata")) {
                Map<String, Object> meta = metadataFields(metadata(object));
                if (!meta.isEmpty()) {
                    fields.put("f:metadata", meta);
                }
                continue;
            }
            fields.put("f:" + key, fieldsOfValue(e.getValue()));
        }
        return fields;
    }

    private static Map<String, Object> metadataFields(Map<String, Object> metadata) {
        Map<String, Object> fields = new TreeMap<>();
        for (Map.Entry<String, Object> e : metadata.entrySet()) {
            if (SYSTEM_METADATA.contains(e.getKey())) {
                continue;
            }
            if (e.getKey().equals("finalizers") && e.getValue() instanceof List<?> list) {
                Map<String, Object> set = new TreeMap<>();
                set.put(".", new TreeMap<>());
                list.forEach(f -> set.put("v:\"" + f + "\"", new TreeMap<>()));
                fields.put("f:finalizers", set);
            } else {
                fields.put("f:" + e.getKey(), fieldsOfValue(e.getValue()));
            }
        }
        return fields;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> fieldsOfValue(Object value) {
        Map<String, Object> fields = new TreeMap<>();
        if (value instanceof Map<?, ?> map && !map.isEmpty()) {
            fields.put(".", new TreeMap<>());
            ((Map<String, Object>) map).forEach((k, v) -> fields.put("f:" + k, fieldsOfValue(v)));
        }
        return fields;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> changedFields(Map<String, Object> before, Map<String, Object> after) {
        Map<String, Object> all = fieldsOf(after);
        Map<String, Object> result = new TreeMap<>();
        for (Map.Entry<String, Object> e : after.entrySet()) {
            String key = e.getKey();
            if (key.equals("apiVersion") || key.equals("kind")) {
                continue;
            }
            if (key.equals("metadata")) {
                Map<String, Object> metaBefore = new TreeMap<>(metadata(before));
                Map<String, Object> metaAfter = new TreeMap<>(metadata(after));
                SYSTEM_METADATA.forEach(k -> {
                    metaBefore.remove(k);
                    metaAfter.remove(k);
                });
                if (!normalised(metaBefore).equals(normalised(metaAfter))) {
                    Map<String, Object> diff = diff(metaBefore, metaAfter, metadataFields(metaAfter));
                    if (!diff.isEmpty()) {
                        result.put("f:metadata", diff);
                    }
                }
                continue;
            }
            Object old = before.get(key);
            if (!normalised(e.getValue()).equals(normalised(old))) {
                if (old instanceof Map<?, ?> o && e.getValue() instanceof Map<?, ?> n) {
                    result.put("f:" + key, diff((Map<String, Object>) o, (Map<String, Object>) n,
                            (Map<String, Object>) all.get("f:" + key)));
                } else {
                    result.put("f:" + key, all.get("f:" + key));
                }
            }
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> diff(Map<String, Object> before, Map<String, Object> after, Map<String, Object> fieldsAfter) {
        Map<String, Object> result = new TreeMap<>();
        for (Map.Entry<String, Object> e : after.entrySet()) {
            Object old = before.get(e.getKey());
            if (normalised(e.getValue()).equals(normalised(old))) {
                continue;
            }
            Object sub = fieldsAfter.get("f:" + e.getKey());
            if (old instanceof Map<?, ?> o && e.getValue() instanceof Map<?, ?> n && sub instanceof Map<?, ?> s) {
                result.put("f:" + e.getKey(), diff((Map<String, Object>) o, (Map<String, Object>) n, (Map<String, Object>) s));
            } else {
                result.put("f:" + e.getKey(), sub == null ? new TreeMap<>() : sub);
            }
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> union(Map<String, Object> a, Map<String, Object> b) {
        Map<String, Object> result = new TreeMap<>(a);
        b.forEach((k, v) -> {
            Object existing = result.get(k);
            if (existing instanceof Map<?, ?> x && v instanceof Map<?, ?> y) {
                result.put(k, union((Map<String, Object>) x, (Map<String, Object>) y));
            } else {
                result.put(k, v);
            }
        });
        return result;
    }

    // ---- patches --------------------------------------------------------------------------

    /** RFC 7386 JSON merge patch. */
    @SuppressWarnings("unchecked")
    static Object mergePatch(Object target, Object patch) {
        if (!(patch instanceof Map<?, ?> patchMap)) {
            return patch;
        }
        Map<String, Object> result = target instanceof Map<?, ?> t ? new LinkedHashMap<>((Map<String, Object>) t)
                : new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : ((Map<String, Object>) patchMap).entrySet()) {
            if (e.getValue() == null) {
                result.remove(e.getKey());
            } else {
                result.put(e.getKey(), mergePatch(result.get(e.getKey()), e.getValue()));
            }
        }
        return result;
    }

    /** RFC 6902 JSON patch: add, remove, replace, test, move, copy. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> jsonPatch(Map<String, Object> target, Object patch) {
        if (!(patch instanceof List<?> ops)) {
            throw ApiError.badRequest("a JSON patch must be an array of operations");
        }
        Object doc = GoJson.copy(target);
        for (Object o : ops) {
            if (!(o instanceof Map<?, ?> op)) {
                throw ApiError.badRequest("a JSON patch operation must be an object: " + o);
            }
            String kind = String.valueOf(op.get("op"));
            String path = String.valueOf(op.get("path"));
            switch (kind) {
                case "add" -> doc = add(doc, pointer(path), op.get("value"));
                case "remove" -> {
                    remove(doc, pointer(path));
                }
                case "replace" -> {
                    remove(doc, pointer(path));
                    doc = add(doc, pointer(path), op.get("value"));
                }
                case "test" -> {
                    Object actual = get(doc, pointer(path));
                    if (!normalised(actual).equals(normalised(op.get("value")))) {
                        throw new ApiError(422, "Invalid", "the server rejected our request due to an error in our "
                                + "request: testing value " + path + " failed", null);
                    }
                }
                case "move", "copy" -> {
                    List<String> from = pointer(String.valueOf(op.get("from")));
                    Object value = get(doc, from);
                    if (kind.equals("move")) {
                        remove(doc, from);
                    }
                    doc = add(doc, pointer(path), value);
                }
                default -> throw ApiError.badRequest("unexpected JSON patch operation " + kind);
            }
        }
        if (!(doc instanceof Map<?, ?>)) {
            throw ApiError.badRequest("the JSON patch did not leave an object");
        }
        return (Map<String, Object>) doc;
    }

    private static List<String> pointer(String path) {
        if (path.isEmpty()) {
            return List.of();
        }
        if (!path.startsWith("/")) {
            throw ApiError.badRequest("invalid JSON pointer " + path);
        }
        List<String> parts = new ArrayList<>();
        for (String part : path.substring(1).split("/", -1)) {
            parts.add(part.replace("~1", "/").replace("~0", "~"));
        }
        return parts;
    }

    @SuppressWarnings("unchecked")
    private static Object get(Object doc, List<String> path) {
        Object current = doc;
        for (String part : path) {
            if (current instanceof Map<?, ?> map && map.containsKey(part)) {
                current = ((Map<String, Object>) map).get(part);
            } else if (current instanceof List<?> list && part.matches("\\d+") && Integer.parseInt(part) < list.size()) {
                current = list.get(Integer.parseInt(part));
            } else {
                throw new ApiError(422, "Invalid", "the server rejected our request due to an error in our request: "
                        + "doc is missing path: /" + String.join("/", path), null);
            }
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    private static Object add(Object doc, List<String> path, Object value) {
        if (path.isEmpty()) {
            return value;
        }
        Object parent = get(doc, path.subList(0, path.size() - 1));
        String last = path.get(path.size() - 1);
        if (parent instanceof Map<?, ?> map) {
            ((Map<String, Object>) map).put(last, value);
        } else if (parent instanceof List<?> list) {
            List<Object> mutable = (List<Object>) list;
            if (last.equals("-")) {
                mutable.add(value);
            } else {
                mutable.add(Integer.parseInt(last), value);
            }
        } else {
            throw new ApiError(422, "Invalid", "the server rejected our request: cannot add at /" + String.join("/", path), null);
        }
        return doc;
    }

    @SuppressWarnings("unchecked")
    private static void remove(Object doc, List<String> path) {
        if (path.isEmpty()) {
            throw ApiError.badRequest("cannot remove the whole document");
        }
        get(doc, path);
        Object parent = get(doc, path.subList(0, path.size() - 1));
        String last = path.get(path.size() - 1);
        if (parent instanceof Map<?, ?> map) {
            ((Map<String, Object>) map).remove(last);
        } else if (parent instanceof List<?> list) {
            ((List<Object>) list).remove(Integer.parseInt(last));
        }
    }
}
