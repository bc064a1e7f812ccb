package io.fedsync.itest.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedsync.itest.fixture.KubeObjects;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesApi;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import java.util.List;
import java.util.Optional;

/** KubeSphere users (iam.kubesphere.io/v1alpha2) through a cluster's Kubernetes API, as kubectl would. */
public final class KubeUsers {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DynamicKubernetesApi api;

    public KubeUsers(ApiClient client) {
        this.api = new DynamicKubernetesApi("iam.kubesphere.io", "v1alpha2", "users", client);
    }

    /** Creates the user as from a console form: the API server sets its uid and time. */
    public void create(String name, String email) {
        ObjectNode u = (ObjectNode) read(KubeObjects.user(name, email));
        ObjectNode meta = (ObjectNode) u.path("metadata");
        List.of("uid", "creationTimestamp", "managedFields", "generation", "resourceVersion").forEach(meta::remove);
        var r = api.create(new DynamicKubernetesObject(com.google.gson.JsonParser.parseString(u.toString())
                .getAsJsonObject()));
        if (!r.isSuccess()) {
            throw new IllegalStateException("create user " + name + ": " + r.getHttpStatusCode() + " " + r.getStatus());
        }
    }

    /** Sets the email of the user as it is stored now (an update at its resourceVersion). */
    public void setEmail(String name, String email) {
        ObjectNode o = get(name).orElseThrow(() -> new IllegalStateException("no user " + name)).deepCopy();
        ((ObjectNode) o.path("spec")).put("email", email);
        var r = api.update(new DynamicKubernetesObject(com.google.gson.JsonParser.parseString(o.toString())
                .getAsJsonObject()));
        if (!r.isSuccess()) {
            throw new IllegalStateException("update user " + name + ": " + r.getHttpStatusCode() + " " + r.getStatus());
        }
    }

    public void delete(String name) {
        api.delete(name);
    }

    public Optional<JsonNode> get(String name) {
        var r = api.get(name);
        return r.isSuccess() ? Optional.of(read(r.getObject().getRaw().toString())) : Optional.empty();
    }

    /** The user's email, or "(absent)". */
    public String email(String name) {
        return get(name).map(n -> n.path("spec").path("email").asText()).orElse("(absent)");
    }

    private static JsonNode read(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
