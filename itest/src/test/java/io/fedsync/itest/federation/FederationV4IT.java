package io.fedsync.itest.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.Names;
import io.fedsync.itest.kube.KubeApis;
import io.fedsync.itest.kube.KubeResource;
import io.fedsync.itest.kube.KubeResources;
import io.fedsync.itest.kube.KubeSphereInstall;
import io.fedsync.itest.kube.KubeUsers;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesApi;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code federation.profile: kubesphere-v4} end to end: the jwtSecret read from
 * {@code authentication.issuer.jwtSecret}, the {@code v1beta1} roles pushed, no User copies (v4
 * syncs no users). One {@code bin/fedsyncd} over real etcds with the Kubernetes API stand-in (a
 * test fixture) serving the v1beta1 kinds.
 */
@DisplayName("fedsyncd federating with profile kubesphere-v4 (API stand-ins over real etcds)")
class FederationV4IT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String SECRET = "v4-jwt-" + Names.randomSuffix() + "-0a1b2c3d4e5f";
    private static final KubeResource GLOBAL_ROLES_V1BETA1 =
            KubeResource.cluster(KubeResources.IAM, "v1beta1", "globalroles", "GlobalRole");

    @RegisterExtension
    static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2", "member").build();

    @RegisterExtension
    static final KubeApis KUBE = KubeApis.over(ETCD).resources(KubeResources.kubeSphere().with(GLOBAL_ROLES_V1BETA1)
            .with(KubeResource.cluster(KubeResources.IAM, "v1beta1", "globalrolebindings", "GlobalRoleBinding"))
            .with(KubeResource.cluster(KubeResources.IAM, "v1beta1", "workspaceroles", "WorkspaceRole"))
            .with(KubeResource.cluster(KubeResources.IAM, "v1beta1", "workspacerolebindings", "WorkspaceRoleBinding"))
            .with(KubeResource.cluster(KubeResources.TENANT, "v1beta1", "workspacetemplates", "WorkspaceTemplate"))
            .with(KubeResource.cluster(KubeResources.TENANT, "v1beta1", "workspaces", "Workspace"))).build();

    @TempDir
    Path dir;

    private FedsyncdProcess daemon;

    @BeforeAll
    static void installKubeSphere() {
        for (String c : List.of("host", "host2", "member")) {
            KubeSphereInstall.install(KUBE.apiClient(c),
                    KubeSphereInstall.kubesphereYamlV4(c.startsWith("host") ? "host" : "member", SECRET));
        }
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.kill();
            assertThat(daemon.logText()).doesNotContain(SECRET);
        }
    }

    private static DynamicKubernetesApi globalRoles(String cluster) {
        return KUBE.dynamic(cluster, GLOBAL_ROLES_V1BETA1);
    }

    private static Optional<JsonNode> globalRole(String cluster, String name) {
        var r = globalRoles(cluster).get(name);
        try {
            return r.isSuccess() ? Optional.of(JSON.readTree(r.getObject().getRaw().toString())) : Optional.empty();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @DisplayName("v4: a member whose issuer jwtSecret matches joins; a v1beta1 GlobalRole reaches it once; users stay on the hosts")
    void v4PushesRolesNotUsers() {
        daemon = FedsyncdProcess.builder(dir.resolve("fedsyncd")).nodeId("v4")
                .cluster("host", ETCD.get("host")).cluster("host2", ETCD.get("host2"))
                .kubeconfig("host", KUBE.kubeconfig("host")).kubeconfig("host2", KUBE.kubeconfig("host2"))
                .federation("profile: kubesphere-v4", "resync: 2s").build();
        daemon.start().awaitHealthy(WAIT);
        FedsyncdProcess.Result join = FedsyncdProcess.fedsyncctl(Duration.ofSeconds(60), "--server", daemon.url(""),
                "join", "member", "--kubeconfig", KUBE.kubeconfig("member").toString());
        assertThat(join.exitCode()).as(join.stdout() + join.stderr()).isZero();
        assertThat(join.stdout() + join.stderr()).doesNotContain(SECRET);

        String role = Names.random("role");
        String json = "{\"apiVersion\":\"iam.kubesphere.io/v1beta1\",\"kind\":\"GlobalRole\",\"metadata\":{\"name\":\""
                + role + "\"},\"rules\":[{\"apiGroups\":[\"*\"],\"resources\":[\"users\"],\"verbs\":[\"get\"]}]}";
        assertThat(globalRoles("host").create(new DynamicKubernetesObject(com.google.gson.JsonParser.parseString(json)
                .getAsJsonObject())).isSuccess()).isTrue();
        String user = Names.random("v4user");
        new KubeUsers(KUBE.apiClient("host")).create(user, "u@163.com");

        await().atMost(WAIT).until(() -> globalRole("member", role).isPresent());
        JsonNode copy = globalRole("member", role).orElseThrow();
        assertThat(copy.path("apiVersion").asText()).isEqualTo("iam.kubesphere.io/v1beta1");
        assertThat(copy.path("metadata").path("labels").path("kubefed.io/managed").asText()).isEqualTo("false");
        assertThat(copy.path("rules").get(0).path("verbs").get(0).asText()).isEqualTo("get");

        await().atMost(WAIT).until(() -> new KubeUsers(KUBE.apiClient("host2")).get(user).isPresent());
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10))
                .until(() -> new KubeUsers(KUBE.apiClient("member")).get(user).isEmpty());
        JsonNode clusters = daemon.get("/api/v1/clusters").json();
        assertThat(clusters.path("federation").path("profile").asText()).isEqualTo("kubesphere-v4");
        assertThat(clusters.toString()).doesNotContain(SECRET);
    }
}
