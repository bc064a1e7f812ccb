package io.fedsync.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.conflict.ConflictRecord;
import io.fedsync.conflict.ConflictSide;
import io.fedsync.conflict.ConflictState;
import io.fedsync.conflict.ConflictType;
import io.fedsync.conflict.VersionVector;
import io.fedsync.conflict.WriteTime;
import io.fedsync.daemon.FakeMirrorService;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** GET /api/v1/conflicts: the kind filter, limit and continue, the order of pages. */
class ConflictPageTest {

    private static Map<String, List<String>> query(String... nameValue) {
        Map<String, List<String>> q = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            q.computeIfAbsent(nameValue[i], k -> new ArrayList<>()).add(nameValue[i + 1]);
        }
        return q;
    }

    private static ConflictRecord at(String id, String key, Instant detectedAt) {
        ConflictRecord r = FakeMirrorService.open(id, key, ConflictType.CONCURRENT_UPDATE, "host", "host2");
        return new ConflictRecord(r.id(), r.key(), r.type(), r.state(), r.clusters(), r.sides(), r.differingPaths(),
                detectedAt, detectedAt, null);
    }

    private static ConflictRecord user(String id, String key, String kind) {
        byte[] value = ("{\"apiVersion\":\"iam.kubesphere.io/v1alpha2\",\"kind\":\"" + kind
                + "\",\"metadata\":{\"name\":\"x\"}}").getBytes(StandardCharsets.UTF_8);
        List<ConflictSide> sides = List.of(
                new ConflictSide("host", null, true, VersionVector.of(Map.of("host", 1L)), 3, WriteTime.UNKNOWN),
                new ConflictSide("host2", value, false, VersionVector.of(Map.of("host2", 1L)), 4, WriteTime.UNKNOWN));
        return new ConflictRecord(id, key, ConflictType.UPDATE_VS_DELETE, ConflictState.OPEN, List.of("host", "host2"),
                sides, List.of(""), FakeMirrorService.T0, FakeMirrorService.T0, null);
    }

    private static List<String> ids(ObjectNode page) {
        return page.get("items").findValuesAsText("id");
    }

    @Test
    void resourceAndGroupComeFromTheKey() {
        assertThat(ConflictKind.ofKey("/registry/iam.kubesphere.io/users/alice"))
                .isEqualTo(new ConflictKind("iam.kubesphere.io", "users", null));
        assertThat(ConflictKind.ofKey("/registry/iam.kubesphere.io/rolebindings/ns1/rb"))
                .isEqualTo(new ConflictKind("iam.kubesphere.io", "rolebindings", null));
        assertThat(ConflictKind.ofKey("/registry/secrets/kubesphere-system/s")).isEqualTo(new ConflictKind("", "secrets", null));
        assertThat(ConflictKind.ofKey("/fedsync/x")).isEqualTo(new ConflictKind(null, null, null));
        assertThat(ConflictKind.ofKey("hex:00ff")).isEqualTo(new ConflictKind(null, null, null));
        assertThat(ConflictKind.ofKey("/registry/")).isEqualTo(new ConflictKind(null, null, null));
    }

    @Test
    void kindMatchesTheResourceTheGroupQualifiedResourceOrTheKindOfASide() {
        ConflictRecord u = user("u", "/registry/iam.kubesphere.io/users/alice", "User");
        for (String yes : List.of("users", "Users", "users.iam.kubesphere.io", "User", "user")) {
            assertThat(ConflictKind.matches(u, yes)).as(yes).isTrue();
        }
        for (String no : List.of("globalroles", "GlobalRole", "users.tenant.kubesphere.io", "iam.kubesphere.io")) {
            assertThat(ConflictKind.matches(u, no)).as(no).isFalse();
        }
        assertThat(ConflictKind.of(u)).as("the deleted side is skipped")
                .isEqualTo(new ConflictKind("iam.kubesphere.io", "users", "User"));
        ConflictRecord notJson = FakeMirrorService.open("n", "/registry/iam.kubesphere.io/users/bob",
                ConflictType.CONCURRENT_UPDATE, "host");
        assertThat(ConflictKind.of(notJson).kind()).isNull();
    }

    @Test
    void theKindFilterAndTheItemsNameTheirKind() {
        List<ConflictRecord> all = List.of(user("u", "/registry/iam.kubesphere.io/users/alice", "User"),
                user("g", "/registry/iam.kubesphere.io/globalroles/admin", "GlobalRole"),
                user("w", "/registry/tenant.kubesphere.io/workspaces/w1", "Workspace"));
        assertThat(ids(ConflictPage.parse(query("kind", "users")).answer(all))).containsExactly("u");
        assertThat(ids(ConflictPage.parse(query("kind", "GlobalRole")).answer(all))).containsExactly("g");
        assertThat(ids(ConflictPage.parse(query("kind", "workspaces.tenant.kubesphere.io", "state", "open"))
                .answer(all))).containsExactly("w");
        JsonNode item = ConflictPage.parse(query()).answer(all).get("items").get(1); // g, u, w: one instant, by id
        assertThat(item.get("resource").asText()).isEqualTo("users");
        assertThat(item.get("kind").asText()).isEqualTo("User");
        assertThatThrownBy(() -> ConflictPage.parse(query("kind", ""))).hasMessageContaining("'kind' is empty");
    }

    @Test
    void limitIsParsedAndBounded() {
        assertThat(ConflictPage.parse(query()).limit()).isEqualTo(ConflictPage.DEFAULT_LIMIT);
        assertThat(ConflictPage.parse(query("limit", "1")).limit()).isEqualTo(1);
        assertThat(ConflictPage.parse(query("limit", "1000")).limit()).isEqualTo(1000);
        for (String bad : List.of("0", "-1", "1001", "ten", "", "1.5", "99999999999999999999", " 5")) {
            assertThatThrownBy(() -> ConflictPage.parse(query("limit", bad))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("query parameter 'limit' must be a whole number from 1 to 1000");
        }
        assertThatThrownBy(() -> ConflictPage.parse(query("limit", "5", "limit", "6")))
                .hasMessageContaining("more than once");
        assertThatThrownBy(() -> ConflictPage.parse(query("limt", "5")))
                .hasMessageContaining("unknown query parameter 'limt'").hasMessageContaining("limit, continue");
    }

    @Test
    void badContinueTokensAreRefused() {
        String good = ConflictPage.encode(new ConflictPage.Position(FakeMirrorService.T0, "a1"), ConflictFilter.ALL);
        assertThat(ConflictPage.parse(query("continue", good)).after())
                .isEqualTo(new ConflictPage.Position(FakeMirrorService.T0, "a1"));
        for (String bad : List.of("", "%%%", "bm9wZQ", "Zm9v" + good, "YzEKeAo",
                java.util.Base64.getUrlEncoder().encodeToString("c1\nabc\nx\n0\nid".getBytes(StandardCharsets.UTF_8)))) {
            assertThatThrownBy(() -> ConflictPage.parse(query("continue", bad))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'continue'");
        }
        assertThatThrownBy(() -> ConflictPage.parse(query("continue", good, "state", "open")))
                .hasMessageContaining("issued for other filters");
    }

    @Test
    void pagesCoverEveryRecordOnceInDetectionOrderThenId() {
        List<ConflictRecord> all = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            // three records per instant: ties are broken by id
            all.add(at(String.format("id%02d", i), "/registry/iam.kubesphere.io/users/u" + i,
                    FakeMirrorService.T0.plusSeconds(i / 3)));
        }
        List<String> expected = all.stream().map(ConflictRecord::id).toList();
        Collections.shuffle(all, new Random(7));
        for (int limit : List.of(1, 2, 3, 7, 24, 25, 26, 1000)) {
            List<String> seen = new ArrayList<>();
            String token = null;
            int pages = 0;
            do {
                ObjectNode page = ConflictPage.parse(token == null ? query("limit", "" + limit)
                        : query("limit", "" + limit, "continue", token)).answer(all);
                pages++;
                seen.addAll(ids(page));
                JsonNode meta = page.get("metadata");
                assertThat(meta.get("total").asInt()).isEqualTo(25);
                assertThat(meta.get("remainingItemCount").asInt()).isEqualTo(25 - seen.size());
                token = meta.hasNonNull("continue") ? meta.get("continue").asText() : null;
                assertThat(token == null).as("continue only while more remain").isEqualTo(seen.size() == 25);
            } while (token != null);
            assertThat(seen).as("limit %d", limit).isEqualTo(expected);
            assertThat(pages).isEqualTo((25 + limit - 1) / limit);
        }
        ObjectNode none = ConflictPage.parse(query()).answer(List.of());
        assertThat(none.toString()).isEqualTo("{\"items\":[],\"metadata\":{\"total\":0,\"remainingItemCount\":0}}");
    }

    @Test
    void theOrderHoldsWhileConflictsAreAddedBetweenPages() {
        List<ConflictRecord> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            all.add(at("old" + i, "/registry/iam.kubesphere.io/users/o" + i, FakeMirrorService.T0.plusSeconds(i)));
        }
        List<String> seen = new ArrayList<>();
        ObjectNode first = ConflictPage.parse(query("limit", "4")).answer(all);
        seen.addAll(ids(first));
        // Detected meanwhile: one later than everything, one at the same instant as the page's last record
        // but with a smaller id (sorted before the token's position: not shown, nothing repeated).
        all.add(0, at("new-late", "/registry/iam.kubesphere.io/users/n1", FakeMirrorService.T0.plusSeconds(100)));
        all.add(at("a-tie", "/registry/iam.kubesphere.io/users/n2", FakeMirrorService.T0.plusSeconds(3)));
        String token = first.get("metadata").get("continue").asText();
        while (token != null) {
            ObjectNode page = ConflictPage.parse(query("limit", "4", "continue", token)).answer(all);
            seen.addAll(ids(page));
            token = page.get("metadata").hasNonNull("continue") ? page.get("metadata").get("continue").asText() : null;
        }
        assertThat(seen).containsExactly("old0", "old1", "old2", "old3", "old4", "old5", "old6", "old7", "old8",
                "old9", "new-late");
    }
}
