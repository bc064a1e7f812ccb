package io.fedsync.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.daemon.config.ConfigLoader;
import io.fedsync.daemon.config.DaemonConfig;
import io.fedsync.daemon.state.StateStoreException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonTest {

    @TempDir
    Path dir;

    private DaemonConfig config() throws IOException {
        return ConfigLoader.load(Files.writeString(dir.resolve("fedsync.yaml"), """
                node:
                  id: a
                  dataDir: %s
                http:
                  listen: 127.0.0.1:0
                clusters:
                  - name: host
                    etcd:
                      endpoints: [http://127.0.0.1:2379]
                  - name: host2
                    etcd:
                      endpoints: [http://127.0.0.1:22379]
                """.formatted(dir.resolve("data"))));
    }

    @Test
    void runsTheMirrorWithTheStoreAndServesTheApi() throws Exception {
        FakeMirrorService mirror = new FakeMirrorService();
        AtomicReference<Object> storeSeen = new AtomicReference<>();
        DaemonConfig config = config();

        try (Daemon daemon = Daemon.start(config, (settings, store) -> {
            storeSeen.set(store);
            assertThat(settings).isEqualTo(config.mirror());
            return mirror;
        })) {
            assertThat(mirror.started).isTrue();
            assertThat(dir.resolve("data/fedsyncd.lock")).exists();
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://" + daemon.httpAddress() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(storeSeen.get()).isNotNull();
        }
        assertThat(mirror.closed).isTrue();
    }

    @Test
    void aSecondDaemonOnTheSameDataDirFailsCleanly() throws Exception {
        DaemonConfig config = config();
        FakeMirrorService second = new FakeMirrorService();
        try (Daemon first = Daemon.start(config, (s, st) -> new FakeMirrorService())) {
            assertThatThrownBy(() -> Daemon.start(config, (s, st) -> second))
                    .isInstanceOf(StateStoreException.class)
                    .hasMessageContaining("is in use by another fedsyncd");
            assertThat(second.started).isFalse();
            assertThat(first.mirror().healthy()).as("the running daemon is untouched").isTrue();
        }
    }

    @Test
    void aFailedStartClosesWhatItOpened() throws Exception {
        DaemonConfig config = config();
        FakeMirrorService failing = new FakeMirrorService();
        failing.failOnStart = new DaemonException("cluster host: cannot connect");

        assertThatThrownBy(() -> Daemon.start(config, (s, st) -> failing)).hasMessage("cluster host: cannot connect");

        assertThat(failing.closed).isTrue();
        // The lock and the port were released: a new start works.
        try (Daemon again = Daemon.start(config, (s, st) -> new FakeMirrorService())) {
            assertThat(again.mirror()).isNotNull();
        }
    }

    @Test
    void closeIsIdempotentAndReleasesAwaitStop() throws Exception {
        Daemon daemon = Daemon.start(config(), (s, st) -> new FakeMirrorService());
        Thread waiter = new Thread(() -> {
            try {
                daemon.awaitStop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        daemon.close();
        daemon.close();
        waiter.join(5000);
        assertThat(waiter.isAlive()).isFalse();
    }
}
