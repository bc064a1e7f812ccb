package io.fedsync.itest.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.Config;
import io.kubernetes.client.util.generic.KubernetesApiResponse;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesApi;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import io.kubernetes.client.util.generic.dynamic.Dynamics;
import java.io.StringReader;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The stand-in's User CRUD round ({@link UserCrud}) against a real kube-apiserver: k3s in
 * Docker through Testcontainers, with the KubeSphere users CRD installed. Where there is no
 * Docker engine (these build machines), JUnit reports it skipped: "Docker is not available".
 */
@Testcontainers(disabledWithoutDocker = true)
@DisplayName("Real kube-apiserver (k3s in Docker via Testcontainers) — skipped without Docker")
class UserCrudK3sIT {

    /** The version the shared samples were captured with. */
    @Container
    static final K3sContainer K3S = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.26.1-k3s1"));

    private static final String USERS_CRD = """
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
             "metadata":{"name":"users.iam.kubesphere.io"},
             "spec":{"group":"iam.kubesphere.io","scope":"Cluster",
               "names":{"plural":"users","singular":"user","kind":"User","listKind":"UserList"},
               "versions":[{"name":"v1alpha2","served":true,"storage":true,
                 "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}
            """;

    @Test
    @DisplayName("real kube-apiserver (k3s): the same User CRUD round as the API stand-in, through client-java")
    void userCrudOnK3s() throws Exception {
        ApiClient client = Config.fromConfig(new StringReader(K3S.getKubeConfigYaml()));
        DynamicKubernetesApi crds = new DynamicKubernetesApi("apiextensions.k8s.io", "v1", "customresourcedefinitions", client);
        KubernetesApiResponse<DynamicKubernetesObject> created = crds.create(Dynamics.newFromJson(USERS_CRD));
        assertThat(created.isSuccess()).as("%s", created.getStatus()).isTrue();
        DynamicKubernetesApi users = new DynamicKubernetesApi("iam.kubesphere.io", "v1alpha2", "users", client);
        await().atMost(Duration.ofSeconds(60)).until(() -> users.list().isSuccess());

        UserCrud.run(client);
    }
}
