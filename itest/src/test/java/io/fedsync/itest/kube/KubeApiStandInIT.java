package io.fedsync.itest.kube;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.EtcdProcess;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import io.kubernetes.client.Discovery;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesApi;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import io.kubernetes.client.util.generic.dynamic.Dynamics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Kubernetes API stand-in (a test fixture) over a real etcd process, driven through real
 * HTTP by client-java (DynamicKubernetesApi, CoreV1Api, Discovery, SharedInformerFactory) and
 * checked against the raw bytes in etcd.
 */
@DisplayName("Kubernetes API stand-in over a real etcd")
class KubeApiStandInIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SAMPLE_UID = "a0d54d3f-9f99-4b34-a263-b70e78cd889c";

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host").build();

    @RegisterExtension
    static final KubeApis KUBE = KubeApis.over(ETCD).build();

    /** A second stand-in over the same etcd whose watches end every 2 s (clients re-watch from their last version). */
    @RegisterExtension
    static final KubeApis SHORT_WATCHES = KubeApis.over(ETCD).maxWatch(Duration.ofSeconds(2)).build();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    @DisplayName("API stand-in over a real etcd: a cluster-scoped User created, read, listed, updated, patched and deleted with client-java's DynamicKubernetesApi; 409s and 404s")
    void userCrudThroughClientJava() {
        UserCrud.run(KUBE.apiClient("host"));
    }

    @Test
    @DisplayName("API stand-in over a real etcd: namespaced ConfigMaps by namespace and across namespaces, typed CoreV1Api, stored under /registry/configmaps/<ns>/<name>")
    void namespacedConfigMaps() throws Exception {
        ApiClient client = KUBE.apiClient("host");
        DynamicKubernetesApi namespaces = new DynamicKubernetesApi("", "v1", "namespaces", client);
        DynamicKubernetesApi configMaps = new DynamicKubernetesApi("", "v1", "configmaps", client);
        String ns1 = Names.random("ns");
        String ns2 = Names.random("ns");
        for (String ns : List.of(ns1, ns2)) {
            KubernetesApiResponse<DynamicKubernetesObject> created = namespaces.create(
                    Dynamics.newFromJson("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + ns + "\"}}"));
            assertThat(created.isSuccess()).as("%s", created.getStatus()).isTrue();
        }
        assertThat(Kv.get(ETCD.client("host"), "/registry/namespaces/" + ns1)).isPresent();

        String config = "kubesphere-config";
        for (String ns : List.of(ns1, ns2)) {
            KubernetesApiResponse<DynamicKubernetesObject> created = configMaps.create(Dynamics.newFromJson(
                    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + config + "\",\"namespace\":\""
                            + ns + "\"},\"data\":{\"kubesphere.yaml\":\"authentication:\\n  jwtSecret: s-" + ns + "\\n\"}}"));
            assertThat(created.isSuccess()).as("%s", created.getStatus()).isTrue();
            assertThat(created.getObject().getMetadata().getNamespace()).isEqualTo(ns);
        }

        String stored = Kv.get(ETCD.client("host"), "/registry/configmaps/" + ns1 + "/" + config).orElseThrow();
        assertThat(stored).endsWith("}\n").doesNotContain("resourceVersion").contains("\"namespace\":\"" + ns1 + "\"");

        V1ConfigMap typed = new CoreV1Api(client).readNamespacedConfigMap(config, ns2).execute();
        assertThat(typed.getData()).containsEntry("kubesphere.yaml", "authentication:\n  jwtSecret: s-" + ns2 + "\n");

        assertThat(configMaps.list(ns1).getObject().getItems()).extracting(o -> o.getMetadata().getNamespace())
                .containsOnly(ns1);
        assertThat(configMaps.list().getObject().getItems())
                .extracting(o -> o.getMetadata().getNamespace() + "/" + o.getMetadata().getName())
                .contains(ns1 + "/" + config, ns2 + "/" + config);

        // Core kinds answer a delete with a Status, as kube-apiserver does.
        KubernetesApiResponse<DynamicKubernetesObject> deleted = configMaps.delete(ns1, config);
        assertThat(deleted.isSuccess()).isTrue();
        assertThat(deleted.getStatus().getStatus()).isEqualTo("Success");
        assertThat(configMaps.get(ns1, config).getHttpStatusCode()).isEqualTo(404);
        assertThat(configMaps.get(ns2, config).isSuccess()).isTrue();
    }

    @Test
    @DisplayName("API stand-in over a real etcd: errors are Status objects with kube's code, reason and message")
    void errorsAreStatuses() throws Exception {
        String api = KUBE.api("host").url();
        String users = api + "/apis/iam.kubesphere.io/v1alpha2/users";
        String name = Names.random("err");

        JsonNode missing = expect(send("GET", users + "/" + name, null, null), 404);
        assertThat(missing.path("kind").asText()).isEqualTo("Status");
        assertThat(missing.path("status").asText()).isEqualTo("Failure");
        assertThat(missing.path("reason").asText()).isEqualTo("NotFound");
        assertThat(missing.path("message").asText()).isEqualTo("users.iam.kubesphere.io \"" + name + "\" not found");
        assertThat(missing.at("/details/group").asText()).isEqualTo("iam.kubesphere.io");

        String body = "{\"apiVersion\":\"iam.kubesphere.io/v1alpha2\",\"kind\":\"User\",\"metadata\":{\"name\":\"" + name
                + "\"},\"spec\":{\"email\":\"a@b.c\"}}";
        JsonNode created = expect(send("POST", users, body, null), 201);
        String rv = created.at("/metadata/resourceVersion").asText();
        assertThat(expect(send("POST", users, body, null), 409).path("reason").asText()).isEqualTo("AlreadyExists");

        ObjectNode update = (ObjectNode) created.deepCopy();
        ((ObjectNode) update.path("spec")).put("email", "new@b.c");
        JsonNode updated = expect(send("PUT", users + "/" + name, update.toString(), null), 200);
        assertThat(updated.at("/metadata/generation").asLong()).isEqualTo(2);
        // The same resourceVersion again is stale now.
        JsonNode conflict = expect(send("PUT", users + "/" + name, update.toString(), null), 409);
        assertThat(conflict.path("reason").asText()).isEqualTo("Conflict");
        assertThat(conflict.path("message").asText()).isEqualTo("Operation cannot be fulfilled on users.iam.kubesphere.io \""
                + name + "\": the object has been modified; please apply your changes to the latest version and try again");
        assertThat(rv).isNotEqualTo(updated.at("/metadata/resourceVersion").asText());

        // An update that changes nothing writes nothing: the same resourceVersion comes back.
        JsonNode noop = expect(send("PUT", users + "/" + name, updated.toString(), null), 200);
        assertThat(noop.at("/metadata/resourceVersion").asText()).isEqualTo(updated.at("/metadata/resourceVersion").asText());

        ObjectNode noVersion = (ObjectNode) updated.deepCopy();
        ((ObjectNode) noVersion.path("metadata")).remove("resourceVersion");
        assertThat(expect(send("PUT", users + "/" + name, noVersion.toString(), null), 422).path("reason").asText())
                .isEqualTo("Invalid");
        ObjectNode absent = (ObjectNode) updated.deepCopy();
        ((ObjectNode) absent.path("metadata")).put("name", name + "-absent");
        assertThat(expect(send("PUT", users + "/" + name + "-absent", absent.toString(), null), 404).path("reason").asText())
                .isEqualTo("NotFound");

        String wrongKind = body.replace("\"User\"", "\"Group\"");
        assertThat(expect(send("POST", users, wrongKind, null), 400).path("reason").asText()).isEqualTo("BadRequest");
        assertThat(expect(send("POST", users, "{not json", null), 400).path("reason").asText()).isEqualTo("BadRequest");
        assertThat(expect(send("POST", users, body.replace(name, "Not_A_Name"), null), 422).path("reason").asText())
                .isEqualTo("Invalid");
        assertThat(expect(send("GET", api + "/apis/iam.kubesphere.io/v1alpha2/nosuchkind", null, null), 404)
                .path("reason").asText()).isEqualTo("NotFound");
        assertThat(expect(send("GET", api + "/apis/iam.kubesphere.io/v1alpha2/users/" + name + "/status", null, null), 404)
                .path("kind").asText()).isEqualTo("Status");
        assertThat(expect(send("PATCH", users + "/" + name, "{}", "application/strategic-merge-patch+json"), 415)
                .path("reason").asText()).isEqualTo("UnsupportedMediaType");

        JsonNode jsonPatched = expect(send("PATCH", users + "/" + name,
                "[{\"op\":\"replace\",\"path\":\"/spec/email\",\"value\":\"json@b.c\"}]", "application/json-patch+json"), 200);
        assertThat(jsonPatched.at("/spec/email").asText()).isEqualTo("json@b.c");

        String configMaps = api + "/api/v1/namespaces/ns-a/configmaps";
        String cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\",\"namespace\":\"ns-b\"}}";
        assertThat(expect(send("POST", configMaps, cm, null), 400).path("message").asText())
                .contains("does not match the namespace");

        JsonNode deleted = expect(send("DELETE", users + "/" + name, null, null), 200);
        assertThat(deleted.at("/metadata/name").asText()).isEqualTo(name);
        assertThat(expect(send("DELETE", users + "/" + name, null, null), 404).path("reason").asText()).isEqualTo("NotFound");
    }

    @Test
    @DisplayName("API stand-in over a real etcd: stores what kube-apiserver stores (the shared samples, byte for byte) and serves what others write into etcd")
    void storedBytesAreKubeApiserversBytes() throws Exception {
        Client etcd = ETCD.client("host");
        String users = KUBE.api("host").url() + "/apis/iam.kubesphere.io/v1alpha2/users";
        String name = Names.random("xxp");
        String sample = KubeObjects.sample("user-xxp-created-on-host.json");

        // The sample's YAML, created as kubectl create does (fieldManager kubectl-create).
        String yaml = "{\"apiVersion\":\"iam.kubesphere.io/v1alpha2\",\"kind\":\"User\",\"metadata\":{\"name\":\"" + name
                + "\",\"annotations\":{\"iam.kubesphere.io/globalrole\":\"platform-regular\",\"kubesphere.io/creator\":\"admin\"}},"
                + "\"spec\":{\"email\":\"xxp@163.com\",\"lang\":\"zh\"},\"status\":{\"state\":\"Active\"}}";
        JsonNode created = expect(send("POST", users + "?fieldManager=kubectl-create", yaml, null), 201);
        KeyValue kv = Kv.getKeyValue(etcd, KubeObjects.userKey(name)).orElseThrow();
        String stored = kv.getValue().toString(UTF_8);
        assertThat(created.at("/metadata/resourceVersion").asText()).isEqualTo(Long.toString(kv.getModRevision()));
        assertThat(stored).endsWith("}\n").doesNotContain("resourceVersion").doesNotContain("\n{").hasLineCount(1);

        // What differs between two creations of the same YAML is uid and times only: set the sample's, get the sample.
        JsonNode tree = JSON.readTree(stored);
        String time = tree.at("/metadata/creationTimestamp").asText();
        String asSample = stored.replace("\"name\":\"" + name + "\"", "\"name\":\"xxp\"")
                .replace(tree.at("/metadata/uid").asText(), SAMPLE_UID)
                .replace(time, "2026-11-23T17:19:47Z");
        assertThat(asSample).isEqualTo(sample);

        // kubectl patch --type merge: generation 2, a kubectl-patch managedFields entry owning spec.email.
        send("PATCH", users + "/" + name + "?fieldManager=kubectl-patch", "{\"spec\":{\"email\":\"xxp-2@163.com\"}}",
                "application/merge-patch+json");
        JsonNode edited = JSON.readTree(Kv.get(etcd, KubeObjects.userKey(name)).orElseThrow());
        JsonNode editedSample = JSON.readTree(KubeObjects.sample("user-xxp-edited-on-host.json"));
        assertThat(edited.at("/metadata/generation").asInt()).isEqualTo(editedSample.at("/metadata/generation").asInt());
        assertThat(edited.at("/spec")).isEqualTo(editedSample.at("/spec"));
        assertThat(edited.at("/metadata/managedFields/1/manager").asText()).isEqualTo("kubectl-patch");
        assertThat(edited.at("/metadata/managedFields/1/fieldsV1")).isEqualTo(editedSample.at("/metadata/managedFields/1/fieldsV1"));
        // ... which kubectl-create no longer owns; its other fields stay its own.
        assertThat(edited.at("/metadata/managedFields/0/fieldsV1")).isEqualTo(editedSample.at("/metadata/managedFields/0/fieldsV1"));
        assertThat(edited.at("/metadata/managedFields")).hasSize(2);
        assertThat(edited.fieldNames()).toIterable().containsExactly("apiVersion", "kind", "metadata", "spec", "status");

        // A value written straight into etcd (as fedsync's mirror does) is served as it is, versioned by mod_revision.
        String direct = Names.random("mirrored");
        long revision = Kv.put(etcd, KubeObjects.userKey(direct), sample.replace("\"name\":\"xxp\"", "\"name\":\"" + direct + "\""));
        JsonNode served = expect(send("GET", users + "/" + direct, null, null), 200);
        assertThat(served.at("/metadata/resourceVersion").asText()).isEqualTo(Long.toString(revision));
        assertThat(served.at("/metadata/uid").asText()).isEqualTo(SAMPLE_UID);
        ((ObjectNode) served.path("metadata")).remove("resourceVersion");
        ((ObjectNode) served.path("metadata")).put("name", "xxp");
        assertThat(served).isEqualTo(JSON.readTree(sample));
        assertThat(JSON.readTree(send("GET", users, null, null).body()).path("items").findValuesAsText("name")).contains(direct, name);

        // Garbage under a CR's key breaks LIST of that kind, as on a real apiserver; GET of others still works.
        String broken = Names.random("broken");
        Kv.put(etcd, KubeObjects.userKey(broken), "not json");
        try {
            assertThat(send("GET", users, null, null).statusCode()).isEqualTo(500);
            assertThat(send("GET", users + "/" + direct, null, null).statusCode()).isEqualTo(200);
        } finally {
            Kv.delete(etcd, KubeObjects.userKey(broken));
        }
        assertThat(send("GET", users, null, null).statusCode()).isEqualTo(200);
    }

    @Test
    @DisplayName("API stand-in over a real etcd: a client-java SharedInformer sees adds, updates and deletes made through the API and straight into etcd")
    void informerSeesApiAndEtcdWrites() throws Exception {
        Client etcd = ETCD.client("host");
        String prefix = Names.random("inf") + "-";
        Events events = new Events(prefix);
        SharedInformerFactory factory = new SharedInformerFactory(KUBE.watchingApiClient("host"));
        try {
            SharedIndexInformer<DynamicKubernetesObject> informer = usersInformer(factory, KUBE.watchingApiClient("host"), events);
            factory.startAllRegisteredInformers();
            await().atMost(WAIT).until(informer::hasSynced);

            DynamicKubernetesApi users = KUBE.dynamic("host", KubeResources.USERS);
            String viaApi = prefix + "api";
            DynamicKubernetesObject created = users.create(UserCrud.user(viaApi, "a@x.io")).getObject();
            created.getRaw().getAsJsonObject("spec").addProperty("email", "b@x.io");
            assertThat(users.update(created).isSuccess()).isTrue();

            String viaEtcd = prefix + "etcd";
            Kv.put(etcd, KubeObjects.userKey(viaEtcd), KubeObjects.user(viaEtcd, "c@x.io"));
            Kv.put(etcd, KubeObjects.userKey(viaEtcd), KubeObjects.user(viaEtcd, "d@x.io"));
            Kv.delete(etcd, KubeObjects.userKey(viaEtcd));
            assertThat(users.delete(viaApi).isSuccess()).isTrue();

            await().atMost(WAIT).untilAsserted(() -> assertThat(events.list()).containsExactly(
                    "ADD " + viaApi + " a@x.io", "UPDATE " + viaApi + " b@x.io",
                    "ADD " + viaEtcd + " c@x.io", "UPDATE " + viaEtcd + " d@x.io", "DELETE " + viaEtcd,
                    "DELETE " + viaApi));
            assertThat(informer.getIndexer().list()).extracting(o -> o.getMetadata().getName()).noneMatch(n -> n.startsWith(prefix));
        } finally {
            factory.stopAllRegisteredInformers();
        }
    }

    @Test
    @DisplayName("API stand-in over a real etcd: a watch from a compacted resourceVersion gets one ERROR event, 410 Expired, and ends")
    void watchFromCompactedVersionGets410() throws Exception {
        Client etcd = ETCD.client("host");
        String users = KUBE.api("host").url() + "/apis/iam.kubesphere.io/v1alpha2/users";
        String name = Names.random("old");
        long old = Kv.put(etcd, KubeObjects.userKey(name), KubeObjects.user(name, "1@x.io"));
        Kv.put(etcd, KubeObjects.userKey(name), KubeObjects.user(name, "2@x.io"));
        Kv.put(etcd, KubeObjects.userKey(name), KubeObjects.user(name, "3@x.io"));
        long compacted = ETCD.get("host").compactToCurrent();

        List<String> lines = watchLines(users + "?watch=true&resourceVersion=" + old, Duration.ofSeconds(20));
        assertThat(lines).hasSize(1);
        JsonNode event = JSON.readTree(lines.get(0));
        assertThat(event.path("type").asText()).isEqualTo("ERROR");
        assertThat(event.at("/object/kind").asText()).isEqualTo("Status");
        assertThat(event.at("/object/code").asInt()).isEqualTo(410);
        assertThat(event.at("/object/reason").asText()).isEqualTo("Expired");
        assertThat(event.at("/object/message").asText()).isEqualTo("too old resource version: " + old + " (" + compacted + ")");

        // From the compaction on, it works; with resourceVersion 0 it starts with the current objects as ADDED.
        List<String> fresh = watchLines(users + "?watch=1&resourceVersion=0&timeoutSeconds=2&fieldSelector=metadata.name%3D" + name,
                Duration.ofSeconds(20));
        assertThat(fresh).hasSize(1);
        assertThat(JSON.readTree(fresh.get(0)).at("/object/spec/email").asText()).isEqualTo("3@x.io");
        assertThat(JSON.readTree(fresh.get(0)).path("type").asText()).isEqualTo("ADDED");
    }

    @Test
    @DisplayName("API stand-in over a real etcd: a watch streams ADDED/MODIFIED/DELETED from resourceVersion+1, filters by label, and ends at timeoutSeconds")
    void watchStreamsEventsAndHonoursTimeout() throws Exception {
        Client etcd = ETCD.client("host");
        String users = KUBE.api("host").url() + "/apis/iam.kubesphere.io/v1alpha2/users";
        String team = Names.random("team");
        String a = Names.random("a");
        String b = Names.random("b");
        long start = Kv.put(etcd, "/unrelated/" + Names.randomSuffix(), "x");
        String labelled = "{\"apiVersion\":\"iam.kubesphere.io/v1alpha2\",\"kind\":\"User\",\"metadata\":{\"name\":\"%s\","
                + "\"labels\":{\"team\":\"%s\"}},\"spec\":{\"email\":\"%s\"}}";
        expect(send("POST", users, labelled.formatted(a, team, "1"), null), 201);
        expect(send("POST", users, labelled.formatted(b, "other", "1"), null), 201);
        send("PATCH", users + "/" + a, "{\"spec\":{\"email\":\"2\"}}", "application/merge-patch+json");
        send("PATCH", users + "/" + b, "{\"metadata\":{\"labels\":{\"team\":\"" + team + "\"}}}", "application/merge-patch+json");
        send("PATCH", users + "/" + a, "{\"metadata\":{\"labels\":{\"team\":\"gone\"}}}", "application/merge-patch+json");
        send("DELETE", users + "/" + b, null, null);

        long began = System.nanoTime();
        List<String> lines = watchLines(users + "?watch=true&timeoutSeconds=3&labelSelector=team%3D" + team
                + "&resourceVersion=" + start, Duration.ofSeconds(20));
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isBetween(Duration.ofMillis(2500), Duration.ofSeconds(15));
        List<String> seen = new ArrayList<>();
        for (String line : lines) {
            JsonNode event = JSON.readTree(line);
            seen.add(event.path("type").asText() + " " + event.at("/object/metadata/name").asText() + " "
                    + event.at("/object/spec/email").asText());
        }
        assertThat(seen).containsExactly("ADDED " + a + " 1", "MODIFIED " + a + " 2", "ADDED " + b + " 1",
                "DELETED " + a + " 2", "DELETED " + b + " 1");
        assertThat(KUBE.api("host").openWatchCount()).isZero();

        JsonNode list = JSON.readTree(send("GET", users + "?labelSelector=team%3D" + team, null, null).body());
        assertThat(list.path("kind").asText()).isEqualTo("UserList");
        assertThat(list.path("items")).isEmpty();
        assertThat(list.at("/metadata/resourceVersion").asLong()).isEqualTo(ETCD.get("host").currentRevision());
    }

    @Test
    @DisplayName("API stand-in over a real etcd: after etcd compacts past an informer's version, its watch gets 410, it relists and keeps up")
    void informerRelistsAfterCompaction() throws Exception {
        Client etcd = ETCD.client("host");
        KubeApiStandIn api = SHORT_WATCHES.api("host");
        String prefix = Names.random("relist") + "-";
        Events events = new Events(prefix);
        SharedInformerFactory factory = new SharedInformerFactory(SHORT_WATCHES.watchingApiClient("host"));
        try {
            SharedIndexInformer<DynamicKubernetesObject> informer =
                    usersInformer(factory, SHORT_WATCHES.watchingApiClient("host"), events);
            factory.startAllRegisteredInformers();
            await().atMost(WAIT).until(informer::hasSynced);
            String first = prefix + "first";
            Kv.put(etcd, KubeObjects.userKey(first), KubeObjects.user(first, "1@x.io"));
            await().atMost(WAIT).until(() -> events.list().contains("ADD " + first + " 1@x.io"));
            long listsBefore = api.listCount();

            // Users are quiet now, so the informer re-watches from the same version every 2 s;
            // other keys move etcd on and a compaction makes that version too old.
            await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
                Kv.put(etcd, "/unrelated/" + Names.randomSuffix(), "x");
                Kv.put(etcd, "/unrelated/" + Names.randomSuffix(), "y");
                ETCD.get("host").compactToCurrent();
                return api.expiredWatchCount() > 0;
            });
            await().atMost(WAIT).until(() -> api.listCount() > listsBefore);

            String second = prefix + "second";
            Kv.put(etcd, KubeObjects.userKey(second), KubeObjects.user(second, "2@x.io"));
            Kv.delete(etcd, KubeObjects.userKey(first));
            await().atMost(WAIT).untilAsserted(() -> assertThat(events.list())
                    .containsSubsequence("ADD " + first + " 1@x.io", "ADD " + second + " 2@x.io", "DELETE " + first));
            assertThat(informer.getIndexer().list()).extracting(o -> o.getMetadata().getName())
                    .contains(second).doesNotContain(first);
        } finally {
            factory.stopAllRegisteredInformers();
        }
    }

    @Test
    @DisplayName("API stand-in over a real etcd: an open watch and an informer keep going across an etcd kill -9 and restart")
    void watchSurvivesEtcdRestart() throws Exception {
        EtcdProcess process = ETCD.get("host");
        Client etcd = ETCD.client("host");
        String users = KUBE.api("host").url() + "/apis/iam.kubesphere.io/v1alpha2/users";
        String prefix = Names.random("restart") + "-";
        Events events = new Events(prefix);
        SharedInformerFactory factory = new SharedInformerFactory(KUBE.watchingApiClient("host"));
        long from = process.currentRevision();
        List<String> raw = new CopyOnWriteArrayList<>();
        Thread rawWatch = new Thread(() -> {
            try {
                raw.addAll(watchLines(users + "?watch=true&timeoutSeconds=40&resourceVersion=" + from, Duration.ofSeconds(60)));
            } catch (Exception e) {
                raw.add("FAILED " + e);
            }
        }, "raw-watch");
        try {
            SharedIndexInformer<DynamicKubernetesObject> informer = usersInformer(factory, KUBE.watchingApiClient("host"), events);
            factory.startAllRegisteredInformers();
            await().atMost(WAIT).until(informer::hasSynced);
            rawWatch.start();
            await().atMost(WAIT).until(() -> KUBE.api("host").openWatchCount() >= 2);

            process.kill();
            // While etcd is down, a read fails as a Status (504 or 500), not a hang.
            HttpResponse<String> down = send("GET", users, null, null);
            assertThat(down.statusCode()).isIn(500, 504);
            assertThat(JSON.readTree(down.body()).path("kind").asText()).isEqualTo("Status");
            process.restart();

            String after = prefix + "after";
            await().atMost(WAIT).ignoreExceptions().until(() ->
                    Kv.put(etcd, KubeObjects.userKey(after), KubeObjects.user(after, "back@x.io")) > 0);
            await().atMost(WAIT).until(() -> events.list().contains("ADD " + after + " back@x.io"));
            rawWatch.join(TimeUnit.SECONDS.toMillis(70));
            assertThat(raw.stream().filter(l -> l.contains(after)).collect(Collectors.toList()))
                    .as("raw watch lines %s", raw).hasSize(1);
        } finally {
            factory.stopAllRegisteredInformers();
        }
    }

    @Test
    @DisplayName("API stand-in over a real etcd: discovery for client-java and kubectl, /version, and a kubeconfig Config.fromConfig loads")
    void discoveryAndKubeconfig() throws Exception {
        Path kubeconfig = KUBE.kubeconfig("host");
        assertThat(Files.readString(kubeconfig)).contains("server: " + KUBE.api("host").url()).contains("token:");
        ApiClient client = KUBE.apiClient("host");
        assertThat(client.getBasePath()).isEqualTo(KUBE.api("host").url());

        var found = new Discovery(client).findAll();
        assertThat(found).anySatisfy(r -> {
            assertThat(r.getResourcePlural()).isEqualTo("users");
            assertThat(r.getGroup()).isEqualTo("iam.kubesphere.io");
            assertThat(r.getKind()).isEqualTo("User");
            assertThat(r.getNamespaced()).isFalse();
        });
        assertThat(found).anySatisfy(r -> {
            assertThat(r.getResourcePlural()).isEqualTo("configmaps");
            assertThat(r.getGroup()).isEmpty();
            assertThat(r.getNamespaced()).isTrue();
        });
        // client-java's Discovery reads each group's preferred version only (tenant: v1alpha2, so no workspaces).
        assertThat(found).extracting(r -> r.getResourcePlural()).contains("workspacetemplates", "clusters",
                "globalroles", "globalrolebindings", "workspaceroles", "workspacerolebindings", "groups", "groupbindings",
                "namespaces");

        String api = KUBE.api("host").url();
        JsonNode v1alpha1 = JSON.readTree(send("GET", api + "/apis/tenant.kubesphere.io/v1alpha1", null, null).body());
        assertThat(v1alpha1.path("kind").asText()).isEqualTo("APIResourceList");
        assertThat(v1alpha1.path("resources").findValuesAsText("name")).containsExactly("workspaces");
        JsonNode core = JSON.readTree(send("GET", api + "/api/v1", null, null).body());
        assertThat(core.path("resources").findValuesAsText("name")).containsExactly("namespaces", "configmaps");
        JsonNode version = JSON.readTree(send("GET", api + "/version", null, null).body());
        assertThat(version.path("gitVersion").asText()).isEqualTo(KubeApiStandIn.GIT_VERSION);
        JsonNode tenant = JSON.readTree(send("GET", api + "/apis/tenant.kubesphere.io", null, null).body());
        assertThat(tenant.path("versions").findValuesAsText("version")).containsExactly("v1alpha2", "v1alpha1");
        assertThat(send("GET", api + "/apis/nosuch.io/v1", null, null).statusCode()).isEqualTo(404);
    }

    @Test
    @DisplayName("API stand-in over a real etcd: runs as its own process (main) and prints its URL")
    void runsAsItsOwnProcess() throws Exception {
        Path kubeconfig = Files.createTempFile("stand-in-", ".kubeconfig");
        Path classes = Paths.get("target/test-classes").toAbsolutePath();
        Path lib = Paths.get("target/lib").toAbsolutePath();
        assertThat(lib).as("target/lib (mvn package copies runtime dependencies there)").isDirectory();
        Process process = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", classes + java.io.File.pathSeparator + lib + "/*",
                KubeApiStandIn.class.getName(), ETCD.get("host").endpoint(), "127.0.0.1:0", "--kubeconfig", kubeconfig.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            java.util.concurrent.BlockingQueue<String> stdout = new java.util.concurrent.LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        stdout.add(line);
                    }
                } catch (java.io.IOException e) {
                    stdout.add("READ FAILED " + e);
                }
            }, "stand-in-stdout");
            reader.setDaemon(true);
            reader.start();
            String url = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (url == null && System.nanoTime() < deadline) {
                String line = stdout.poll(1, TimeUnit.SECONDS);
                if (line != null && line.startsWith("KUBE_API_STAND_IN_URL=")) {
                    url = line.substring("KUBE_API_STAND_IN_URL=".length());
                }
            }
            assertThat(url).startsWith("http://127.0.0.1:");
            assertThat(Files.readString(kubeconfig)).contains("server: " + url);
            String name = Names.random("proc");
            Kv.put(ETCD.client("host"), KubeObjects.userKey(name), KubeObjects.user(name, "p@x.io"));
            DynamicKubernetesApi users = new DynamicKubernetesApi("iam.kubesphere.io", "v1alpha2", "users",
                    io.kubernetes.client.util.Config.fromConfig(kubeconfig.toString()));
            assertThat(UserCrud.email(users.get(name).getObject())).isEqualTo("p@x.io");
        } finally {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the stand-in process did not end on SIGTERM");
            }
            Files.deleteIfExists(kubeconfig);
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    /** Informer events on users whose name starts with a prefix, as "ADD name email" lines. */
    private static final class Events implements ResourceEventHandler<DynamicKubernetesObject> {
        private final String prefix;
        private final List<String> events = Collections.synchronizedList(new ArrayList<>());

        Events(String prefix) {
            this.prefix = prefix;
        }

        List<String> list() {
            synchronized (events) {
                return List.copyOf(events);
            }
        }

        private boolean ours(DynamicKubernetesObject o) {
            return o.getMetadata().getName().startsWith(prefix);
        }

        @Override
        public void onAdd(DynamicKubernetesObject obj) {
            if (ours(obj)) {
                events.add("ADD " + obj.getMetadata().getName() + " " + UserCrud.email(obj));
            }
        }

        @Override
        public void onUpdate(DynamicKubernetesObject oldObj, DynamicKubernetesObject newObj) {
            if (ours(newObj)) {
                events.add("UPDATE " + newObj.getMetadata().getName() + " " + UserCrud.email(newObj));
            }
        }

        @Override
        public void onDelete(DynamicKubernetesObject obj, boolean deletedFinalStateUnknown) {
            if (ours(obj)) {
                events.add("DELETE " + obj.getMetadata().getName());
            }
        }
    }

    private static SharedIndexInformer<DynamicKubernetesObject> usersInformer(SharedInformerFactory factory,
            ApiClient client, Events events) {
        DynamicKubernetesApi users = new DynamicKubernetesApi("iam.kubesphere.io", "v1alpha2", "users", client);
        SharedIndexInformer<DynamicKubernetesObject> informer =
                factory.sharedIndexInformerFor(users, DynamicKubernetesObject.class, 0);
        informer.addEventHandler(events);
        return informer;
    }

    private HttpResponse<String> send(String method, String url, String body, String contentType) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .header("User-Agent", "KubeApiStandInIT/1");
        if (body != null) {
            request.header("Content-Type", contentType != null ? contentType
                    : method.equals("PATCH") ? "application/merge-patch+json" : "application/json");
            request.method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode expect(HttpResponse<String> response, int code) throws Exception {
        assertThat(response.statusCode()).as("%s %s -> %s", response.request().method(), response.request().uri(),
                response.body()).isEqualTo(code);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
        return JSON.readTree(response.body());
    }

    /** Every line of a watch, until the server ends it (or {@code max} passes: then it fails). */
    private List<String> watchLines(String url, Duration max) throws Exception {
        HttpResponse<java.util.stream.Stream<String>> response = http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(max).GET().build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        try (var lines = response.body()) {
            return lines.filter(l -> !l.isBlank()).collect(Collectors.toList());
        }
    }
}
