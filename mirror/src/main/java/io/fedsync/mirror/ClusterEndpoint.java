package io.fedsync.mirror;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How to reach one cluster's etcd. TLS is used when {@code caFile} is set; client-certificate
 * authentication when {@code certFile} and {@code keyFile} are set too (kubeadm's
 * {@code /etc/kubernetes/pki/etcd/ca.crt}, {@code apiserver-etcd-client.crt/.key}).
 */
public record ClusterEndpoint(String name, List<String> endpoints, Path caFile, Path certFile, Path keyFile) {

    public ClusterEndpoint {
        Objects.requireNonNull(name, "name");
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("cluster " + name + " needs at least one etcd endpoint");
        }
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("cluster " + name + ": certFile and keyFile go together");
        }
    }

    public static ClusterEndpoint plain(String name, String... endpoints) {
        return new ClusterEndpoint(name, List.of(endpoints), null, null, null);
    }

    public boolean tls() {
        return caFile != null;
    }
}
