package io.fedsync.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.raft.api.json.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How fedsyncctl prints conflicts: table, wide, json, yaml; colour on and off. */
class FedsyncctlRenderTest {

    private static final String RED = "\u001B[31m";
    private static final String GREEN = "\u001B[32m";
    private static final String RESET = "\u001B[0m";

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    private static final String OPEN = """
            {"id":"c1","key":"/registry/iam.kubesphere.io/users/xxp","type":"concurrent-update","state":"open",
             "clusters":["host","host2"],"detectedAt":"2025-01-02T03:04:05Z","updatedAt":"2025-01-02T03:04:05Z",
             "resource":"users","kind":"User",
             "sides":[{"cluster":"host","tombstone":false,"vector":{"host":2},"revision":10,"writeTime":null},
                      {"cluster":"host2","tombstone":false,"vector":{"host":1,"host2":1},"revision":12,"writeTime":null}],
             "differingPaths":["/spec/email"],"resolution":null,
             "diff":[{"path":"/spec/email","values":{"host":"a@163.com","host2":"b@163.com"}}]}
            """;

    private static final String RESOLVED = """
            {"id":"d2","key":"/registry/iam.kubesphere.io/globalroles/admin","type":"update-vs-delete",
             "state":"resolved","clusters":["host","host2"],"detectedAt":"2025-01-02T03:05:00Z",
             "resource":"globalroles","kind":null,
             "sides":[{"cluster":"host","tombstone":true,"vector":{"host":3},"revision":20},
                      {"cluster":"host2","tombstone":false,"vector":{"host2":4},"revision":21}],
             "resolution":{"winner":"host2","by":"api","at":"2025-01-02T03:06:00Z","reason":"api: winner","how":"winner"}}
            """;

    private JsonNode items() throws Exception {
        return json("[" + OPEN + "," + RESOLVED + "]");
    }

    @Test
    void aTableOfConflicts() throws Exception {
        assertThat(Fedsyncctl.conflictsTable(items(), false)).isEqualTo("""
                ID  STATE     TYPE               CLUSTERS    KEY                                            DETECTED
                c1  open      concurrent-update  host,host2  /registry/iam.kubesphere.io/users/xxp          2025-01-02T03:04:05Z
                d2  resolved  update-vs-delete   host,host2  /registry/iam.kubesphere.io/globalroles/admin  2025-01-02T03:05:00Z
                """);
    }

    @Test
    void wideAddsKindRevisionsVectorsAndTheOutcome() throws Exception {
        String wide = Fedsyncctl.conflictsTable(items(), true);
        String[] lines = wide.split("\n");
        assertThat(lines[0].split("\\s{2,}")).containsExactly("ID", "STATE", "TYPE", "KIND", "CLUSTERS", "KEY",
                "DETECTED", "REVISIONS", "VECTORS", "RESOLUTION", "BY", "RESOLVED");
        assertThat(lines[1].split("\\s{2,}")).containsExactly("c1", "open", "concurrent-update", "User", "host,host2",
                "/registry/iam.kubesphere.io/users/xxp", "2025-01-02T03:04:05Z", "host=10,host2=12",
                "host{host:2} host2{host:1,host2:1}", "-", "-", "-");
        assertThat(lines[2].split("\\s{2,}")).containsExactly("d2", "resolved", "update-vs-delete", "globalroles",
                "host,host2", "/registry/iam.kubesphere.io/globalroles/admin", "2025-01-02T03:05:00Z",
                "host=20(deleted),host2=21", "host{host:3} host2{host2:4}", "host2 wins", "api", "2025-01-02T03:06:00Z");
    }

    @Test
    void jsonAndYamlAreTheAnswerAsItIs() throws Exception {
        JsonNode body = json("{\"items\":[" + OPEN + "],\"metadata\":{\"total\":1,\"remainingItemCount\":0}}");
        String asJson = Fedsyncctl.render(body, Fedsyncctl.Format.json, null);
        assertThat(Json.MAPPER.readTree(asJson)).isEqualTo(body);
        String asYaml = Fedsyncctl.render(body, Fedsyncctl.Format.yaml, null);
        assertThat(new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(asYaml)).isEqualTo(body);
        assertThat(asYaml).contains("total: 1", "kind: \"User\"");
    }

    @Test
    void theDiffWithoutColour() throws Exception {
        String plain = Fedsyncctl.describe(json(OPEN), false);
        assertThat(plain).doesNotContain("\u001B").contains("KIND:      User (users)", """
                FIELD        HOST       HOST2
                /spec/email  a@163.com  b@163.com
                """);
    }

    @Test
    void theDiffInColourOneColourPerSideAndStillAligned() throws Exception {
        String coloured = Fedsyncctl.describe(json(OPEN), true);
        assertThat(coloured).contains(RED + "a@163.com" + RESET, GREEN + "b@163.com" + RESET,
                RED + "HOST" + RESET, GREEN + "HOST2" + RESET, RED + "host" + RESET);
        String stripped = coloured.replaceAll("\u001B\\[[0-9;]*m", "");
        assertThat(stripped).isEqualTo(Fedsyncctl.describe(json(OPEN), false));
    }

    @Test
    void colourOnlyOnATerminalWithoutNoColourUnlessAsked() {
        assertThat(Fedsyncctl.colour(Fedsyncctl.ColorMode.auto, true, Map.of())).isTrue();
        assertThat(Fedsyncctl.colour(Fedsyncctl.ColorMode.auto, false, Map.of())).isFalse();
        assertThat(Fedsyncctl.colour(Fedsyncctl.ColorMode.auto, true, Map.of("NO_COLOR", "1"))).isFalse();
        assertThat(Fedsyncctl.colour(Fedsyncctl.ColorMode.auto, true, Map.of("NO_COLOR", ""))).isTrue();
        assertThat(Fedsyncctl.colour(Fedsyncctl.ColorMode.always, false, Map.of("NO_COLOR", "1"))).isTrue();
        assertThat(Fedsyncctl.colour(Fedsyncctl.ColorMode.never, true, Map.of())).isFalse();
    }

    @Test
    void tableWidthsIgnoreColourSequences() {
        assertThat(Table.visible(RED + "abc" + RESET)).isEqualTo(3);
        assertThat(new Table("A", "B").row(RED + "x" + RESET, "y").row("long", "z").toString())
                .isEqualTo("A     B\n" + RED + "x" + RESET + "     y\nlong  z\n");
    }
}
