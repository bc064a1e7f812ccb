package io.fedsync.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.mirror.ResolveAction;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResolveBodyTest {

    private static ResolveAction parse(String body) {
        return ResolveBody.parse(body.getBytes(StandardCharsets.UTF_8));
    }

    private static void refused(String body, String... says) {
        assertThatThrownBy(() -> parse(body)).isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll(says);
    }

    @Test
    void eachOfTheThreeForms() {
        assertThat(parse("{\"winner\": \"host2\"}")).isEqualTo(ResolveAction.winner("host2"));
        assertThat(parse("{\"delete\": true}")).isInstanceOf(ResolveAction.Delete.class);
        ResolveAction v = parse("{\"value\": {\"kind\": \"User\", \"metadata\": {\"name\": \"xxp\"}}}");
        assertThat(v).isInstanceOf(ResolveAction.Value.class);
        assertThat(new String(((ResolveAction.Value) v).value(), StandardCharsets.UTF_8))
                .as("compact, with the newline kube-apiserver ends its objects with")
                .isEqualTo("{\"kind\":\"User\",\"metadata\":{\"name\":\"xxp\"}}\n");
    }

    @Test
    void anythingElseIs400SayingWhatToSend() {
        refused("", "empty", "exactly one of");
        refused("{\"winner\": ", "not JSON");
        refused("[\"host\"]", "must be a JSON object");
        refused("{}", "nothing asked");
        refused("{\"winner\": \"host\", \"delete\": true}", "both winner and delete");
        refused("{\"winer\": \"host\"}", "unknown field 'winer'");
        refused("{\"winner\": 3}", "name of a cluster");
        refused("{\"winner\": \"\"}", "name of a cluster");
        refused("{\"value\": \"text\"}", "value must be a JSON object");
        refused("{\"delete\": false}", "delete must be true");
        refused("{\"winner\": \"a\", \"winner\": \"b\"}", "not JSON");
    }
}
