package io.fedsync.conflict;

import static io.fedsync.conflict.Fixtures.bytes;
import static io.fedsync.conflict.Fixtures.createdOnHost;
import static io.fedsync.conflict.Fixtures.createdOnHost2;
import static io.fedsync.conflict.Fixtures.editedOnHost;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ObjectNormaliserTest {

    private final ObjectNormaliser k8s = ObjectNormaliser.kubernetesDefaults();

    private static String user(String metadataExtra, String spec) {
        return "{\"apiVersion\":\"iam.kubesphere.io/v1alpha2\",\"kind\":\"User\",\"metadata\":{\"name\":\"xxp\""
                + metadataExtra + "},\"spec\":" + spec + "}";
    }

    private static String user(String metadataExtra) {
        return user(metadataExtra, "{\"email\":\"xxp@163.com\"}");
    }

    private boolean eq(String a, String b) {
        return k8s.semanticallyEqual(bytes(a), bytes(b));
    }

    @Nested
    class Samples {

        @Test
        void samplesLoadAndAreJsonObjects() {
            assertThat(ObjectNormaliser.parseObject(createdOnHost())).isPresent();
            assertThat(ObjectNormaliser.parseObject(createdOnHost2())).isPresent();
            assertThat(ObjectNormaliser.parseObject(editedOnHost())).isPresent();
        }

        @Test
        void sameUserCreatedOnBothHostsIsByteDifferentButSemanticallyEqual() {
            byte[] host = createdOnHost();
            byte[] host2 = createdOnHost2();
            assertThat(Arrays.equals(host, host2)).as("the samples really differ byte for byte").isFalse();
            assertThat(k8s.semanticallyEqual(host, host2)).isTrue();
            assertThat(k8s.semanticallyEqual(host2, host)).isTrue();
            assertThat(k8s.differingPaths(host, host2)).isEmpty();
            assertThat(k8s.normalise(host)).isEqualTo(k8s.normalise(host2));
            assertThat(k8s.normalise(host).hashCode()).isEqualTo(k8s.normalise(host2).hashCode());
        }

        @Test
        void createdSamplesDifferOnlyInUidCreationTimestampAndManagedFields() {
            ObjectNormaliser nothingIgnored = new ObjectNormaliser(List.of());
            assertThat(nothingIgnored.semanticallyEqual(createdOnHost(), createdOnHost2())).isFalse();
            assertThat(nothingIgnored.differingPaths(createdOnHost(), createdOnHost2())).containsExactly(
                    "/metadata/creationTimestamp", "/metadata/managedFields", "/metadata/uid");
        }

        @Test
        void editedEmailIsARealDifference() {
            assertThat(k8s.semanticallyEqual(createdOnHost(), editedOnHost())).isFalse();
            assertThat(k8s.semanticallyEqual(editedOnHost(), createdOnHost())).isFalse();
            assertThat(k8s.normalise(createdOnHost())).isNotEqualTo(k8s.normalise(editedOnHost()));
            List<String> paths = k8s.differingPaths(createdOnHost(), editedOnHost());
            assertThat(paths).containsExactly("/spec/email");
            assertThat(paths).doesNotContain("/metadata/uid", "/metadata/generation", "/metadata/managedFields",
                    "/metadata/creationTimestamp", "", "/");
            assertThat(k8s.differingPaths(editedOnHost(), createdOnHost())).containsExactly("/spec/email");
        }

        @Test
        void editedVersusTheOtherHostsCreationDiffersOnlyInEmailToo() {
            assertThat(k8s.differingPaths(createdOnHost2(), editedOnHost())).containsExactly("/spec/email");
        }

        @Test
        void aValueEqualsItself() {
            byte[] a = createdOnHost();
            assertThat(k8s.semanticallyEqual(a, a.clone())).isTrue();
            assertThat(k8s.differingPaths(a, a.clone())).isEmpty();
        }

        @Test
        void normaliseDoesNotTouchTheStoredBytes() {
            byte[] a = createdOnHost();
            byte[] copy = a.clone();
            k8s.normalise(a);
            k8s.semanticallyEqual(a, createdOnHost2());
            k8s.differingPaths(a, editedOnHost());
            assertThat(a).isEqualTo(copy);
        }

        @Test
        void normalisedFormDropsServerSetFieldsOnly() {
            var json = k8s.normalise(createdOnHost()).json();
            assertThat(json).isNotNull();
            assertThat(json.at("/metadata").has("uid")).isFalse();
            assertThat(json.at("/metadata").has("creationTimestamp")).isFalse();
            assertThat(json.at("/metadata").has("managedFields")).isFalse();
            assertThat(json.at("/metadata").has("generation")).isFalse();
            assertThat(json.at("/metadata/name").asText()).isEqualTo("xxp");
            assertThat(json.at("/metadata/annotations/kubesphere.io~1creator").asText()).isEqualTo("admin");
            assertThat(json.at("/spec/email").asText()).isEqualTo("xxp@163.com");
            assertThat(json.at("/status/state").asText()).isEqualTo("Active");
        }
    }

    @Nested
    class NonJsonValues {

        private final byte[] protobuf = {'k', '8', 's', 0, 0x0a, 0x0b, 'v', '1', 0x12, 0x03, 'P', 'o', 'd', 0x1a,
                (byte) 0xff, (byte) 0x80};

        @Test
        void protobufLikeBytesAreComparedByteForByte() {
            assertThat(k8s.semanticallyEqual(protobuf, protobuf.clone())).isTrue();
            assertThat(k8s.differingPaths(protobuf, protobuf.clone())).isEmpty();
            byte[] other = protobuf.clone();
            other[other.length - 1] = 0x7f;
            assertThat(k8s.semanticallyEqual(protobuf, other)).isFalse();
            assertThat(k8s.differingPaths(protobuf, other)).containsExactly("");
            assertThat(k8s.normalise(protobuf).json()).isNull();
            assertThat(k8s.normalise(protobuf).raw()).isEqualTo(protobuf);
        }

        @Test
        void plainStrings() {
            assertThat(eq("hello", "hello")).isTrue();
            assertThat(eq("hello", "hello ")).isFalse();
            assertThat(eq("hello", "Hello")).isFalse();
            assertThat(k8s.differingPaths(bytes("hello"), bytes("world"))).containsExactly("");
        }

        @Test
        void invalidJsonIsComparedByteForByte() {
            assertThat(eq("{not json", "{not json")).isTrue();
            assertThat(eq("{not json", "{not  json")).isFalse();
            assertThat(eq("{\"a\":1", "{\"a\": 1")).isFalse();
            assertThat(k8s.normalise(bytes("{not json")).json()).isNull();
            assertThat(ObjectNormaliser.parseObject(bytes("{not json"))).isEmpty();
        }

        @Test
        void jsonArraysAreNotObjectsAndAreComparedByteForByte() {
            assertThat(eq("[1,2]", "[1,2]")).isTrue();
            assertThat(eq("[1,2]", "[1, 2]")).as("JSON-equal, but not a JSON object").isFalse();
            assertThat(eq("[{\"a\":1}]", "[ {\"a\":1} ]")).isFalse();
            assertThat(k8s.normalise(bytes("[1,2]")).json()).isNull();
            assertThat(k8s.differingPaths(bytes("[1,2]"), bytes("[1, 2]"))).containsExactly("");
        }

        @Test
        void jsonScalarsAreComparedByteForByte() {
            assertThat(eq("\"x\"", " \"x\"")).isFalse();
            assertThat(eq("42", "42")).isTrue();
            assertThat(eq("null", "null ")).isFalse();
        }

        @Test
        void emptyValues() {
            assertThat(k8s.semanticallyEqual(new byte[0], new byte[0])).isTrue();
            assertThat(k8s.semanticallyEqual(new byte[0], bytes("{}"))).isFalse();
            assertThat(k8s.semanticallyEqual(bytes("   "), bytes(" "))).isFalse();
            assertThat(k8s.normalise(new byte[0]).json()).isNull();
        }

        @Test
        void aJsonObjectNeverEqualsANonJsonValue() {
            assertThat(eq("{\"a\":1}", "[{\"a\":1}]")).isFalse();
            assertThat(eq("{\"a\":1}", "{\"a\":1")).isFalse();
            assertThat(k8s.differingPaths(bytes("{\"a\":1}"), bytes("hello"))).containsExactly("");
            assertThat(k8s.differingPaths(bytes("hello"), bytes("{\"a\":1}"))).containsExactly("");
            assertThat(k8s.normalise(bytes("{\"a\":1}"))).isNotEqualTo(k8s.normalise(bytes("hello")));
            assertThat(k8s.normalise(bytes("hello"))).isNotEqualTo(k8s.normalise(bytes("{\"a\":1}")));
        }

        @Test
        void rawBytesAreACopy() {
            byte[] v = bytes("hello");
            ObjectNormaliser.Normalised n = k8s.normalise(v);
            v[0] = 'j';
            assertThat(new String(n.raw(), StandardCharsets.UTF_8)).isEqualTo("hello");
            assertThat(n.toString()).isEqualTo("<5 bytes>");
        }

        @Test
        void duplicateKeysMakeAValueNonJsonInsteadOfCrashing() {
            String dup = "{\"a\":1,\"a\":2}";
            assertThatCode(() -> k8s.normalise(bytes(dup))).doesNotThrowAnyException();
            assertThat(k8s.normalise(bytes(dup)).json()).isNull();
            assertThat(ObjectNormaliser.parseObject(bytes(dup))).isEmpty();
            // Byte compare: equal to itself, not to either "resolution" of the duplicate.
            assertThat(eq(dup, dup)).isTrue();
            assertThat(eq(dup, "{\"a\":2}")).isFalse();
            assertThat(eq(dup, "{\"a\":1}")).isFalse();
            assertThat(eq(dup, "{\"a\":1, \"a\":2}")).isFalse();
            assertThat(k8s.differingPaths(bytes(dup), bytes("{\"a\":2}"))).containsExactly("");
        }

        @Test
        void duplicateKeysNestedInMetadataAreAlsoNonJson() {
            String dup = user(",\"uid\":\"1\",\"uid\":\"2\"");
            assertThat(k8s.normalise(bytes(dup)).json()).isNull();
            assertThat(eq(dup, user(""))).isFalse();
        }

        /**
         * A value with bytes after the closing brace is not a JSON object (kube-apiserver cannot
         * decode it): it must be compared byte for byte, not silently equated with its first
         * object, or a corrupt value would "converge" with a good one and never be repaired.
         */
        @Test
        void trailingContentAfterTheObjectMakesItNonJson() {
            assertThat(ObjectNormaliser.parseObject(bytes("{\"a\":1} garbage"))).isEmpty();
            assertThat(eq("{\"a\":1}", "{\"a\":1} garbage")).isFalse();
            assertThat(eq("{\"a\":1}", "{\"a\":1}{\"a\":2}")).isFalse();
            assertThat(k8s.differingPaths(bytes("{\"a\":1}"), bytes("{\"a\":1}{\"a\":2}"))).containsExactly("");
        }

        @Test
        void trailingWhitespaceIsStillJson() {
            assertThat(ObjectNormaliser.parseObject(bytes("{\"a\":1}\n"))).isPresent();
            assertThat(eq("{\"a\":1}\n", "{\"a\":1}")).isTrue();
        }
    }

    @Nested
    class JsonComparison {

        @Test
        void keyOrderAndWhitespaceDoNotMatter() {
            assertThat(eq("{\"a\":1,\"b\":{\"c\":2,\"d\":3}}", " \n\t{ \"b\" : { \"d\":3, \"c\":2 },\n \"a\": 1 }\n"))
                    .isTrue();
        }

        @Test
        void stringEscapesDoNotMatter() {
            assertThat(eq("{\"a\":\"é\"}", "{\"a\":\"\\u00e9\"}")).isTrue();
            assertThat(eq("{\"a\":\"x/y\"}", "{\"a\":\"x\\/y\"}")).isTrue();
        }

        @Test
        void arrayOrderMatters() {
            assertThat(eq("{\"a\":[1,2]}", "{\"a\":[2,1]}")).isFalse();
            assertThat(k8s.differingPaths(bytes("{\"a\":[1,2]}"), bytes("{\"a\":[2,1]}"))).containsExactly("/a");
        }

        @Test
        void nullIsNotAbsentOutsideTheEmptyMeansAbsentFields() {
            assertThat(eq("{\"a\":1,\"b\":null}", "{\"a\":1}")).isFalse();
            assertThat(k8s.differingPaths(bytes("{\"a\":1,\"b\":null}"), bytes("{\"a\":1}"))).containsExactly("/b");
        }

        @ParameterizedTest
        @ValueSource(strings = {"annotations", "labels"})
        void emptyMapsEqualAbsentOnes(String field) {
            assertThat(eq(user(",\"" + field + "\":{}"), user(""))).isTrue();
            assertThat(k8s.differingPaths(bytes(user(",\"" + field + "\":{}")), bytes(user("")))).isEmpty();
            assertThat(eq(user(",\"" + field + "\":{\"x\":\"y\"}"), user(""))).isFalse();
            assertThat(k8s.differingPaths(bytes(user(",\"" + field + "\":{\"x\":\"y\"}")), bytes(user(""))))
                    .containsExactly("/metadata/" + field);
        }

        @ParameterizedTest
        @ValueSource(strings = {"finalizers", "ownerReferences"})
        void emptyListsEqualAbsentOnes(String field) {
            assertThat(eq(user(",\"" + field + "\":[]"), user(""))).isTrue();
            assertThat(eq(user(",\"" + field + "\":[\"x\"]"), user(""))).isFalse();
        }

        @Test
        void emptyMapsElsewhereStillCount() {
            assertThat(eq(user("", "{}"), "{\"apiVersion\":\"iam.kubesphere.io/v1alpha2\",\"kind\":\"User\","
                    + "\"metadata\":{\"name\":\"xxp\"}}")).isFalse();
        }

        @Test
        void lastAppliedConfigurationAnnotationIsIgnored() {
            String lastApplied = "\"kubectl.kubernetes.io/last-applied-configuration\":\"{\\\"kind\\\":\\\"User\\\"}\\n\"";
            String withIt = user(",\"annotations\":{\"kubesphere.io/creator\":\"admin\"," + lastApplied + "}");
            String withOther = user(",\"annotations\":{\"kubesphere.io/creator\":\"admin\","
                    + lastApplied.replace("User", "Group") + "}");
            String without = user(",\"annotations\":{\"kubesphere.io/creator\":\"admin\"}");
            assertThat(eq(withIt, without)).isTrue();
            assertThat(eq(withIt, withOther)).isTrue();
            assertThat(k8s.differingPaths(bytes(withIt), bytes(without))).isEmpty();
        }

        @Test
        void onlyTheLastAppliedAnnotationLeftMeansNoAnnotations() {
            String onlyLastApplied = user(",\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"}");
            assertThat(eq(onlyLastApplied, user(""))).isTrue();
            assertThat(eq(onlyLastApplied, user(",\"annotations\":{}"))).isTrue();
        }

        @Test
        void otherAnnotationsMatterAndArePointedAtWithEscapes() {
            String a = user(",\"annotations\":{\"kubesphere.io/creator\":\"admin\"}");
            String b = user(",\"annotations\":{\"kubesphere.io/creator\":\"root\"}");
            assertThat(eq(a, b)).isFalse();
            assertThat(k8s.differingPaths(bytes(a), bytes(b))).containsExactly("/metadata/annotations/kubesphere.io~1creator");
        }

        @Test
        void tildeInKeysIsEscaped() {
            assertThat(k8s.differingPaths(bytes("{\"m~n\":1,\"a/b~c\":1}"), bytes("{\"m~n\":2,\"a/b~c\":2}")))
                    .containsExactly("/a~1b~0c", "/m~0n");
        }

        @ParameterizedTest
        @ValueSource(strings = {
                ",\"uid\":\"9a3562d0-9cd7-4d6b-b4e1-0213a4e15ef2\"",
                ",\"resourceVersion\":\"12345\"",
                ",\"creationTimestamp\":\"2026-11-23T17:19:48Z\"",
                ",\"generation\":7",
                ",\"managedFields\":[{\"manager\":\"kubectl-patch\",\"time\":\"2026-11-23T17:19:48Z\"}]",
                ",\"selfLink\":\"/apis/iam.kubesphere.io/v1alpha2/users/xxp\"",
        })
        void eachDefaultServerSetFieldIsIgnored(String field) {
            assertThat(eq(user(field), user(""))).isTrue();
            assertThat(k8s.differingPaths(bytes(user(field)), bytes(user("")))).isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {
                ",\"namespace\":\"default\"",
                ",\"labels\":{\"app\":\"x\"}",
                ",\"finalizers\":[\"finalizers.kubesphere.io/users\"]",
                ",\"deletionTimestamp\":\"2026-11-23T17:19:48Z\"",
        })
        void otherMetadataFieldsMatter(String field) {
            assertThat(eq(user(field), user(""))).isFalse();
            assertThat(k8s.differingPaths(bytes(user(field)), bytes(user("")))).hasSize(1)
                    .allMatch(p -> p.startsWith("/metadata/"));
        }

        @Test
        void ignoredFieldsAreOnlyIgnoredWhereTheyArePointedAt() {
            // a "uid" inside spec is user data, not the server-set metadata.uid
            assertThat(eq(user("", "{\"uid\":\"1\"}"), user("", "{\"uid\":\"2\"}"))).isFalse();
            assertThat(k8s.differingPaths(bytes(user("", "{\"uid\":\"1\"}")), bytes(user("", "{\"uid\":\"2\"}"))))
                    .containsExactly("/spec/uid");
        }

        @Test
        void oddShapesDoNotCrash() {
            assertThat(eq("{\"metadata\":\"not an object\"}", "{\"metadata\":\"not an object\"}")).isTrue();
            assertThat(eq("{\"metadata\":\"x\"}", "{\"metadata\":\"y\"}")).isFalse();
            assertThat(eq("{\"metadata\":[1,2]}", "{\"metadata\":[1,2] }")).isTrue();
            assertThat(eq("{\"metadata\":{\"annotations\":\"flat\"}}", "{\"metadata\":{}}")).isFalse();
            assertThat(eq("{}", "{ }")).isTrue();
        }

        @Test
        void differingPathsListsMissingAndNestedDifferencesSorted() {
            String a = "{\"spec\":{\"email\":\"a\",\"lang\":\"zh\"},\"z\":1,\"only\":{\"x\":1}}";
            String b = "{\"spec\":{\"email\":\"b\",\"lang\":\"zh\",\"extra\":true},\"z\":2}";
            assertThat(k8s.differingPaths(bytes(a), bytes(b)))
                    .containsExactly("/only", "/spec/email", "/spec/extra", "/z");
            assertThat(k8s.differingPaths(bytes(b), bytes(a)))
                    .containsExactly("/only", "/spec/email", "/spec/extra", "/z");
        }

        @Test
        void typeChangeIsReportedAtTheField() {
            assertThat(k8s.differingPaths(bytes("{\"spec\":{\"a\":1}}"), bytes("{\"spec\":\"a\"}")))
                    .containsExactly("/spec");
        }

        @Test
        void semanticallyEqualAgreesWithDifferingPaths() {
            List<String> values = List.of(user(""), user(",\"uid\":\"1\""), user(",\"labels\":{}"),
                    user(",\"labels\":{\"a\":\"b\"}"), user("", "{\"email\":\"other\"}"), "hello", "[1]", "{bad",
                    "{\"a\":1,\"a\":1}", new String(createdOnHost(), StandardCharsets.UTF_8),
                    new String(createdOnHost2(), StandardCharsets.UTF_8),
                    new String(editedOnHost(), StandardCharsets.UTF_8));
            for (String a : values) {
                for (String b : values) {
                    boolean equal = eq(a, b);
                    assertThat(equal).as(a + " vs " + b).isEqualTo(eq(b, a));
                    assertThat(k8s.differingPaths(bytes(a), bytes(b)).isEmpty()).as(a + " vs " + b).isEqualTo(equal);
                }
            }
        }
    }

    @Nested
    class CustomIgnoreList {

        @Test
        void onlyUidIgnoredMakesCreationTimestampMatter() {
            ObjectNormaliser onlyUid = new ObjectNormaliser(List.of("/metadata/uid"));
            assertThat(onlyUid.semanticallyEqual(createdOnHost(), createdOnHost2())).isFalse();
            assertThat(onlyUid.differingPaths(createdOnHost(), createdOnHost2()))
                    .contains("/metadata/creationTimestamp")
                    .doesNotContain("/metadata/uid");
            assertThat(onlyUid.semanticallyEqual(bytes(user(",\"uid\":\"1\"")), bytes(user(",\"uid\":\"2\""))))
                    .isTrue();
            assertThat(onlyUid.semanticallyEqual(bytes(user(",\"creationTimestamp\":\"2026-11-23T17:19:47Z\"")),
                    bytes(user(",\"creationTimestamp\":\"2026-11-23T17:19:48Z\"")))).isFalse();
        }

        @Test
        void emptyIgnoreListComparesEverythingButStillTreatsEmptyMapsAsAbsent() {
            ObjectNormaliser none = new ObjectNormaliser(List.of());
            assertThat(none.semanticallyEqual(bytes(user(",\"uid\":\"1\"")), bytes(user(",\"uid\":\"2\"")))).isFalse();
            assertThat(none.semanticallyEqual(bytes(user(",\"annotations\":{}")), bytes(user("")))).isTrue();
        }

        @Test
        void topLevelFieldCanBeIgnored() {
            ObjectNormaliser noStatus = new ObjectNormaliser(List.of("/status"));
            assertThat(noStatus.semanticallyEqual(bytes("{\"a\":1,\"status\":{\"s\":1}}"), bytes("{\"a\":1}")))
                    .isTrue();
            assertThat(noStatus.semanticallyEqual(bytes("{\"a\":1,\"status\":1}"), bytes("{\"a\":2}"))).isFalse();
        }

        @Test
        void escapedPointersMatchKeysWithSlashAndTilde() {
            ObjectNormaliser n = new ObjectNormaliser(
                    List.of("/metadata/annotations/example.com~1note", "/metadata/labels/a~0b"));
            String with = user(",\"annotations\":{\"example.com/note\":\"x\",\"keep\":\"1\"},\"labels\":{\"a~b\":\"z\"}");
            String without = user(",\"annotations\":{\"keep\":\"1\"}");
            assertThat(n.semanticallyEqual(bytes(with), bytes(without))).isTrue();
        }

        @Test
        void pointersIntoMissingOrNonObjectParentsAreHarmless() {
            ObjectNormaliser n = new ObjectNormaliser(List.of("/metadata/nothing/here", "/spec/0", "/a/b"));
            assertThat(n.semanticallyEqual(bytes("{\"a\":[1],\"spec\":[1]}"), bytes("{\"a\":[1],\"spec\":[1]}")))
                    .isTrue();
            assertThat(n.semanticallyEqual(bytes("{\"a\":[1]}"), bytes("{\"a\":[2]}"))).isFalse();
        }

        @Test
        void badPointerIsRejectedWithAMessageNamingIt() {
            assertThatThrownBy(() -> new ObjectNormaliser(List.of("/metadata/uid", "metadata.uid")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("metadata.uid")
                    .hasMessageContaining("JSON pointer");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "uid", "metadata/uid"})
        void otherNonPointersAreRejected(String bad) {
            assertThatThrownBy(() -> new ObjectNormaliser(List.of(bad)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }

        @Test
        void defaultsAreTheDocumentedServerSetFields() {
            assertThat(ObjectNormaliser.DEFAULT_IGNORED_FIELDS).contains("/metadata/uid",
                    "/metadata/resourceVersion", "/metadata/creationTimestamp", "/metadata/generation",
                    "/metadata/managedFields", "/metadata/selfLink",
                    "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration");
            assertThatCode(() -> new ObjectNormaliser(ObjectNormaliser.DEFAULT_IGNORED_FIELDS))
                    .doesNotThrowAnyException();
        }
    }
}
