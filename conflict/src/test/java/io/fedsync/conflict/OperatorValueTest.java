package io.fedsync.conflict;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OperatorValueTest {

    private static byte[] user(String apiVersion, String kind, String name, String email) {
        return ("{\"apiVersion\":\"" + apiVersion + "\",\"kind\":\"" + kind + "\",\"metadata\":{\"name\":\"" + name
                + "\"},\"spec\":{\"email\":\"" + email + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    private static ConflictSide side(String cluster, byte[] value) {
        return new ConflictSide(cluster, value, value == null, VersionVector.of(Map.of(cluster, 1L)), 5,
                WriteTime.UNKNOWN);
    }

    private static final List<ConflictSide> SIDES = List.of(
            side("host", user("iam.kubesphere.io/v1alpha2", "User", "xxp", "a@163.com")),
            side("host2", user("iam.kubesphere.io/v1alpha2", "User", "xxp", "b@163.com")));

    @Test
    void theSameObjectWithOtherContentIsAccepted() {
        assertThat(OperatorValue.problem(SIDES, user("iam.kubesphere.io/v1alpha2", "User", "xxp", "c@163.com")))
                .isEmpty();
        assertThat(OperatorValue.problem(SIDES, user("iam.kubesphere.io/v1beta1", "User", "xxp", "c@163.com")))
                .as("another version of the same group").isEmpty();
    }

    @Test
    void anotherKindNameOrGroupIsRefusedNamingWhat() {
        assertThat(OperatorValue.problem(SIDES, user("iam.kubesphere.io/v1alpha2", "GlobalRole", "xxp", "c")))
                .hasValueSatisfying(p -> assertThat(p).contains("kind 'GlobalRole' is not 'User'"));
        assertThat(OperatorValue.problem(SIDES, user("iam.kubesphere.io/v1alpha2", "User", "other", "c")))
                .hasValueSatisfying(p -> assertThat(p).contains("metadata.name 'other' is not 'xxp'"));
        assertThat(OperatorValue.problem(SIDES, user("tenant.kubesphere.io/v1alpha2", "User", "xxp", "c")))
                .hasValueSatisfying(p -> assertThat(p).contains("apiVersion group"));
        assertThat(OperatorValue.problem(SIDES, "[1]".getBytes(StandardCharsets.UTF_8)))
                .hasValue("the value is not a JSON object");
    }

    @Test
    void aDeletedSideSetsNoExpectation() {
        List<ConflictSide> sides = List.of(side("host", null),
                side("host2", user("iam.kubesphere.io/v1alpha2", "User", "xxp", "b@163.com")));
        assertThat(OperatorValue.problem(sides, user("iam.kubesphere.io/v1alpha2", "User", "xxp", "c"))).isEmpty();
        assertThat(OperatorValue.problem(sides, user("iam.kubesphere.io/v1alpha2", "User", "yyp", "c"))).isPresent();
    }
}
