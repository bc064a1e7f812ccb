package io.fedsync.itest.kube;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.util.Config;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the federation reads of a KubeSphere cluster, as ks-installer leaves it (v3 layout): the
 * {@code kube-system} namespace (its uid identifies the cluster) and
 * {@code kubesphere-system/kubesphere-config} whose {@code kubesphere.yaml} holds
 * {@code authentication.jwtSecret} and {@code multicluster.clusterRole}. A test fixture.
 */
public final class KubeSphereInstall {

    public static final String NAMESPACE = "kubesphere-system";
    public static final String CONFIG_MAP = "kubesphere-config";

    private KubeSphereInstall() {
    }

    /** {@code kubesphere.yaml} with this role and secret (the secret quoted, as a YAML string). */
    public static String kubesphereYaml(String clusterRole, String jwtSecret) {
        return "authentication:\n  authenticateRateLimiterMaxTries: 10\n  jwtSecret: \"" + jwtSecret + "\"\n"
                + "multicluster:\n  clusterRole: " + clusterRole + "\n";
    }

    /** KubeSphere v4's {@code kubesphere.yaml}: the secret under {@code authentication.issuer}. */
    public static String kubesphereYamlV4(String clusterRole, String jwtSecret) {
        return "authentication:\n  issuer:\n    jwtSecret: \"" + jwtSecret + "\"\n"
                + "multicluster:\n  clusterRole: " + clusterRole + "\n";
    }

    /** Creates the namespaces and the ConfigMap on the cluster {@code client} talks to. */
    public static void install(ApiClient client, String clusterRole, String jwtSecret) {
        install(client, kubesphereYaml(clusterRole, jwtSecret));
    }

    /** {@link #install(ApiClient, String, String)} with a {@code kubesphere.yaml} of the caller's. */
    public static void install(ApiClient client, String kubesphereYaml) {
        try {
            CoreV1Api core = new CoreV1Api(client);
            for (String ns : List.of("kube-system", NAMESPACE)) {
                core.createNamespace(new V1Namespace().apiVersion("v1").kind("Namespace")
                        .metadata(new V1ObjectMeta().name(ns))).execute();
            }
            core.createNamespacedConfigMap(NAMESPACE, new V1ConfigMap().apiVersion("v1").kind("ConfigMap")
                    .metadata(new V1ObjectMeta().name(CONFIG_MAP).namespace(NAMESPACE))
                    .data(Map.of("kubesphere.yaml", kubesphereYaml))).execute();
        } catch (Exception e) {
            // Never the secret in the message: only the cluster's answer.
            throw new IllegalStateException("cannot install kubesphere-config: " + e.getClass().getSimpleName(), e);
        }
    }

    /** {@link #install} on the cluster a kubeconfig names. */
    public static void install(Path kubeconfig, String clusterRole, String jwtSecret) {
        try {
            install(Config.fromConfig(kubeconfig.toString()), clusterRole, jwtSecret);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Replaces the ConfigMap's {@code kubesphere.yaml} (an operator changing the secret). */
    public static void setJwtSecret(ApiClient client, String clusterRole, String jwtSecret) {
        try {
            CoreV1Api core = new CoreV1Api(client);
            V1ConfigMap cm = core.readNamespacedConfigMap(CONFIG_MAP, NAMESPACE).execute();
            cm.setData(Map.of("kubesphere.yaml", kubesphereYaml(clusterRole, jwtSecret)));
            core.replaceNamespacedConfigMap(CONFIG_MAP, NAMESPACE, cm).execute();
        } catch (Exception e) {
            throw new IllegalStateException("cannot change kubesphere-config: " + e.getClass().getSimpleName(), e);
        }
    }
}
