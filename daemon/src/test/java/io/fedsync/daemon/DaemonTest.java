package io.fedsync.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.daemon.config.ConfigLoader;
import io.fedsync.daemon.config.DaemonConfig;
import io.fedsync.daemon.state.StateStoreException;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonTest {

    @TempDir
    Path dir;

    private DaemonConfig config() throws IOException {
        writeConfig();
        return ConfigLoader.load(dir.resolve("fedsync.yaml"));
    }

    private void writeConfig() throws IOException {
        Files.writeString(dir.resolve("fedsync.yaml"), """
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
                """.formatted(dir.resolve("data")));
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

    /**
     * A start that fails while a probe is being answered: the probe's mirror call returns after
     * the HTTP API is gone. That once killed a Vert.x worker thread with "RejectedExecutionException:
     * event executor terminated" and a stack trace on stderr ahead of fedsyncd's one-line error.
     */
    @Test
    void aFailedStartWithARequestInFlightStopsInOrderWithoutStrayExceptions() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        writeConfig();
        Path file = Files.writeString(dir.resolve("fedsync.yaml"), Files.readString(dir.resolve("fedsync.yaml"))
                .replace("127.0.0.1:0", "127.0.0.1:" + port));
        DaemonConfig config = ConfigLoader.load(file);
        List<String> uncaught = new CopyOnWriteArrayList<>();
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(t.getName() + ": " + e));
        try {
            CountDownLatch inFlight = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicReference<CompletableFuture<HttpResponse<String>>> probe = new AtomicReference<>();
            FakeMirrorService failing = new FakeMirrorService();
            failing.onHealthy = () -> {
                inFlight.countDown();
                awaitIgnoringInterrupts(release);
            };
            failing.onStart = () -> {
                probe.set(HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString()));
                awaitIgnoringInterrupts(inFlight);
            };
            failing.failOnStart = new IllegalArgumentException("cluster host: cannot use its TLS files");

            assertThatThrownBy(() -> Daemon.start(config, (s, st) -> failing))
                    .isInstanceOf(DaemonException.class)
                    .hasMessage("cannot start the mirror: cluster host: cannot use its TLS files");
            release.countDown();

            // The probe got an answer or a closed connection; it does not hang.
            await().atMost(Duration.ofSeconds(20)).until(() -> probe.get().isDone());
            // Every HTTP worker finished what it was doing, and nothing escaped any thread.
            await().atMost(Duration.ofSeconds(20)).until(() -> Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().startsWith("fedsyncd-http-") || t.getName().startsWith("vert.x-")));
            assertThat(uncaught).isEmpty();
            assertThat(failing.closed).isTrue();
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
    }

    private static void awaitIgnoringInterrupts(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                if (latch.await(30, TimeUnit.SECONDS)) {
                    break;
                }
                throw new AssertionError("latch not released within 30 s");
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
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
