package io.fedsync.federation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Kubeconfig files for tests against an HTTP server on loopback: one cluster, one context, a bearer token. */
final class TestKubeconfigs {

    private TestKubeconfigs() {
    }

    /** Writes {@code file}: the cluster at {@code serverUrl}, reached with {@code token}. */
    static Path withToken(Path file, String serverUrl, String token) throws IOException {
        return Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: c
                  cluster: {server: %s}
                contexts:
                - name: c
                  context: {cluster: c, user: u}
                current-context: c
                users:
                - name: u
                  user: {token: %s}
                """.formatted(serverUrl, token));
    }
}
