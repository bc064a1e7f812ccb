package io.fedsync.itest.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.fedsync.itest.fixture.Names;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesApi;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesListObject;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import io.kubernetes.client.util.generic.dynamic.Dynamics;

/**
 * One CRUD round of a KubeSphere User through client-java's DynamicKubernetesApi, the same
 * against the API stand-in and against a real apiserver (k3s), so the stand-in is held to
 * what the real one does.
 */
final class UserCrud {

    private UserCrud() {
    }

    static DynamicKubernetesObject user(String name, String email) {
        return Dynamics.newFromJson("{\"apiVersion\":\"iam.kubesphere.io/v1alpha2\",\"kind\":\"User\","
                + "\"metadata\":{\"name\":\"" + name + "\",\"annotations\":{\"kubesphere.io/creator\":\"admin\"}},"
                + "\"spec\":{\"email\":\"" + email + "\",\"lang\":\"zh\"},\"status\":{\"state\":\"Active\"}}");
    }

    static String email(DynamicKubernetesObject object) {
        return object.getRaw().getAsJsonObject("spec").get("email").getAsString();
    }

    /** Create, get, list, update, stale update (409), merge patch, create twice (409), delete, get (404). */
    static void run(ApiClient client) {
        DynamicKubernetesApi users = new DynamicKubernetesApi("iam.kubesphere.io", "v1alpha2", "users", client);
        String name = Names.random("crud");

        KubernetesApiResponse<DynamicKubernetesObject> created = users.create(user(name, name + "@example.com"));
        assertThat(created.isSuccess()).as("create: %s", created.getStatus()).isTrue();
        assertThat(created.getHttpStatusCode()).isEqualTo(200); // client-java reports every success as 200
        DynamicKubernetesObject stored = created.getObject();
        assertThat(stored.getMetadata().getUid()).hasSize(36);
        assertThat(stored.getMetadata().getCreationTimestamp()).isNotNull();
        assertThat(stored.getMetadata().getGeneration()).isEqualTo(1L);
        assertThat(stored.getMetadata().getResourceVersion()).matches("\\d+");
        assertThat(stored.getMetadata().getNamespace()).isNull();

        DynamicKubernetesObject read = users.get(name).getObject();
        assertThat(read.getMetadata().getResourceVersion()).isEqualTo(stored.getMetadata().getResourceVersion());
        assertThat(email(read)).isEqualTo(name + "@example.com");

        DynamicKubernetesListObject list = users.list().getObject();
        assertThat(list.getMetadata().getResourceVersion()).matches("\\d+");
        assertThat(list.getItems()).extracting(o -> o.getMetadata().getName()).contains(name);

        JsonObject spec = read.getRaw().getAsJsonObject("spec");
        spec.addProperty("email", name + "@edited.example.com");
        KubernetesApiResponse<DynamicKubernetesObject> updated = users.update(read);
        assertThat(updated.isSuccess()).as("update: %s", updated.getStatus()).isTrue();
        assertThat(email(updated.getObject())).isEqualTo(name + "@edited.example.com");
        assertThat(updated.getObject().getMetadata().getGeneration()).isEqualTo(2L);
        assertThat(Long.parseLong(updated.getObject().getMetadata().getResourceVersion()))
                .isGreaterThan(Long.parseLong(read.getMetadata().getResourceVersion()));
        assertThat(updated.getObject().getMetadata().getUid()).isEqualTo(stored.getMetadata().getUid());

        // The same stale object again: kube's optimistic concurrency refuses it.
        KubernetesApiResponse<DynamicKubernetesObject> stale = users.update(read);
        assertThat(stale.getHttpStatusCode()).isEqualTo(409);
        assertThat(stale.getStatus().getReason()).isEqualTo("Conflict");
        assertThat(stale.getStatus().getMessage()).contains("the object has been modified");

        KubernetesApiResponse<DynamicKubernetesObject> patched = users.patch(name, V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
                new V1Patch("{\"spec\":{\"lang\":\"en\"},\"metadata\":{\"labels\":{\"team\":\"a\"}}}"));
        assertThat(patched.isSuccess()).as("patch: %s", patched.getStatus()).isTrue();
        assertThat(patched.getObject().getRaw().getAsJsonObject("spec").get("lang").getAsString()).isEqualTo("en");
        assertThat(patched.getObject().getMetadata().getLabels()).containsEntry("team", "a");
        assertThat(email(patched.getObject())).isEqualTo(name + "@edited.example.com");

        KubernetesApiResponse<DynamicKubernetesObject> twice = users.create(user(name, "other@example.com"));
        assertThat(twice.getHttpStatusCode()).isEqualTo(409);
        assertThat(twice.getStatus().getReason()).isEqualTo("AlreadyExists");

        KubernetesApiResponse<DynamicKubernetesObject> deleted = users.delete(name);
        assertThat(deleted.isSuccess()).as("delete: %s", deleted.getStatus()).isTrue();
        KubernetesApiResponse<DynamicKubernetesObject> gone = users.get(name);
        assertThat(gone.getHttpStatusCode()).isEqualTo(404);
        assertThat(gone.getStatus().getReason()).isEqualTo("NotFound");
        assertThat(users.delete(name).getHttpStatusCode()).isEqualTo(404);
    }

    /** For assertions on raw JSON. */
    static JsonObject json(String text) {
        return JsonParser.parseString(text).getAsJsonObject();
    }
}
