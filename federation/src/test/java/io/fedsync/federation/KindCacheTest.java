package io.fedsync.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KindCache} (list, then watch; watch again from the last version; list again after a 410)
 * against a real HTTP server on loopback playing kube-apiserver's list and watch of one kind (a
 * test double of the wire, like {@link KubeClusterHttpTest}'s; the federation ITs run the cache
 * against the API stand-in over a real etcd). The server keeps a history of events with
 * increasing resourceVersions, streams them to each watch from the version asked for as
 * newline-delimited JSON, answers a 410 ERROR event for a version older than its compaction,
 * and ends its open watches on demand (as kube-apiserver does at a watch's timeoutSeconds).
 */
class KindCacheTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "host-bearer-" + "c0ffee".repeat(6);
    private static final FederatedKind.Target USERS = new FederatedKind.Target("iam.kubesphere.io", "v1alpha2", "users",
            "User");
    private static final String PATH = "/apis/iam.kubesphere.io/v1alpha2/users";

    /** The fake apiserver's state; guarded by itself. */
    private final Object lock = new Object();
    private long revision = 10;
    private final Map<String, ObjectNode> objects = new TreeMap<>();
    /** Every event so far, in order: type, the object, at its resourceVersion. */
    private final List<ObjectNode> history = new ArrayList<>();
    /** A watch from a version below this gets a 410 ERROR event. */
    private long compactedBelow;
    /** Bumped to end every open watch. */
    private int watchGeneration;
    /** Answers to the next requests before the normal ones (status codes). */
    private final java.util.Deque<Integer> failNext = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    private final List<String> told = new CopyOnWriteArrayList<>();
    private HttpServer server;
    private ExecutorService executor;
    private KindCache cache;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        if (cache != null) {
            cache.close();
        }
        synchronized (lock) {
            watchGeneration++;
            lock.notifyAll();
        }
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- the fake apiserver ------------------------------------------------------------------

    private void handle(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getRawPath();
        Map<String, String> q = query(x.getRequestURI().getRawQuery());
        requests.add(x.getRequestMethod() + " " + path + (q.containsKey("watch") ? " watch from "
                + q.get("resourceVersion") : " list"));
        authorizations.add(String.valueOf(x.getRequestHeaders().getFirst("Authorization")));
        Integer fail = failNext.poll();
        if (fail != null) {
            send(x, fail, "{\"kind\":\"Status\",\"code\":" + fail + ",\"reason\":\"ServiceUnavailable\"}");
            return;
        }
        if (!path.equals(PATH)) {
            send(x, 404, "{\"kind\":\"Status\",\"code\":404}");
            return;
        }
        if ("true".equals(q.get("watch"))) {
            watch(x, Long.parseLong(q.get("resourceVersion")));
            return;
        }
        ObjectNode list = JSON.createObjectNode();
        list.put("kind", "UserList");
        ArrayNode items = list.putArray("items");
        synchronized (lock) {
            list.putObject("metadata").put("resourceVersion", Long.toString(revision));
            objects.values().forEach(items::add);
        }
        send(x, 200, JSON.writeValueAsString(list));
    }

    private void watch(HttpExchange x, long from) throws IOException {
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(200, 0);
        try (OutputStream out = x.getResponseBody()) {
            int generation;
            int next;
            synchronized (lock) {
                generation = watchGeneration;
                if (from < compactedBelow) {
                    out.write(("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\","
                            + "\"message\":\"too old resource version: " + from + "\"}}\n").getBytes(StandardCharsets.UTF_8));
                    return;
                }
                next = 0;
                while (next < history.size() && history.get(next).path("object").path("metadata")
                        .path("resourceVersion").asLong() <= from) {
                    next++;
                }
            }
            while (true) {
                List<ObjectNode> batch = new ArrayList<>();
                synchronized (lock) {
                    while (next >= history.size() && generation == watchGeneration) {
                        lock.wait(200);
                    }
                    if (generation != watchGeneration) {
                        return;
                    }
                    while (next < history.size()) {
                        batch.add(history.get(next++));
                    }
                }
                for (ObjectNode e : batch) {
                    out.write((JSON.writeValueAsString(e) + "\n").getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away
        }
    }

    private static void send(HttpExchange x, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(code, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw != null) {
            for (String p : raw.split("&")) {
                int eq = p.indexOf('=');
                q.put(URLDecoder.decode(p.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return q;
    }

    /** Creates or changes a user on the server (an event for open watches, unless {@code quietly}). */
    private void put(String name, String email, boolean quietly) {
        synchronized (lock) {
            String type = objects.containsKey(name) ? "MODIFIED" : "ADDED";
            ObjectNode u = JSON.createObjectNode();
            u.put("apiVersion", "iam.kubesphere.io/v1alpha2");
            u.put("kind", "User");
            ObjectNode meta = u.putObject("metadata");
            meta.put("name", name);
            meta.put("resourceVersion", Long.toString(++revision));
            meta.putObject("labels").put(Placement.WORKSPACE_LABEL, "ws-" + name);
            u.putObject("spec").put("email", email);
            objects.put(name, u);
            if (!quietly) {
                event(type, u);
            }
        }
    }

    private void delete(String name, boolean quietly) {
        synchronized (lock) {
            ObjectNode u = objects.remove(name).deepCopy();
            ((ObjectNode) u.path("metadata")).put("resourceVersion", Long.toString(++revision));
            if (!quietly) {
                event("DELETED", u);
            }
        }
    }

    private void event(String type, ObjectNode object) {
        ObjectNode e = JSON.createObjectNode();
        e.put("type", type);
        e.set("object", object);
        history.add(e);
        lock.notifyAll();
    }

    /** A bookmark: only a resourceVersion, nothing changed. */
    private void bookmark() {
        synchronized (lock) {
            ObjectNode o = JSON.createObjectNode();
            o.put("kind", "User");
            o.putObject("metadata").put("resourceVersion", Long.toString(++revision));
            event("BOOKMARK", o);
        }
    }

    /** Forgets the history: a watch from any version seen so far gets 410 (what a compaction does). */
    private void compact() {
        synchronized (lock) {
            compactedBelow = revision;
            history.clear();
        }
    }

    private void endWatches() {
        synchronized (lock) {
            watchGeneration++;
            lock.notifyAll();
        }
    }

    // ---- the client side ----------------------------------------------------------------------

    private KindCache startCache() throws IOException {
        Path kubeconfig = TestKubeconfigs.withToken(dir.resolve("host.kubeconfig"),
                "http://127.0.0.1:" + server.getAddress().getPort(), TOKEN);
        cache = new KindCache(KubeCluster.connect("host", kubeconfig, null), USERS,
                (namespace, name) -> told.add(name)).start();
        return cache;
    }

    private static String email(KindCache.Entry e) throws IOException {
        return JSON.readTree(e.json()).path("spec").path("email").asText();
    }

    private long watchesOpened() {
        return requests.stream().filter(r -> r.contains(" watch from ")).count();
    }

    @Test
    void listsThenWatchesAndTellsEveryChangeWithTheKubeconfigsToken() throws Exception {
        put("alice", "alice@a", false);
        put("bob", "bob@b", false);
        startCache();
        await().atMost(Duration.ofSeconds(10)).until(cache::synced);
        assertThat(told).containsExactlyInAnyOrder("alice", "bob");
        assertThat(email(cache.get("", "alice"))).isEqualTo("alice@a");
        assertThat(cache.get("", "alice").workspace()).isEqualTo("ws-alice");
        await().atMost(Duration.ofSeconds(10)).until(() -> watchesOpened() == 1);
        assertThat(requests).containsExactly("GET " + PATH + " list", "GET " + PATH + " watch from 12");

        told.clear();
        put("carol", "carol@c", false);
        put("alice", "alice@new", false);
        delete("bob", false);
        await().atMost(Duration.ofSeconds(10)).until(() -> told.size() == 3);
        assertThat(told).containsExactly("carol", "alice", "bob");
        assertThat(email(cache.get("", "alice"))).isEqualTo("alice@new");
        assertThat(cache.get("", "bob")).isNull();
        assertThat(cache.objects()).extracting(KindCache.Entry::name).containsExactlyInAnyOrder("alice", "carol");
        assertThat(cache.get("", "alice").resourceVersion()).isEqualTo("14");
        assertThat(authorizations).allSatisfy(a -> assertThat(a.equals("Bearer " + TOKEN))
                .as("every list and watch carries the kubeconfig's token").isTrue());
        assertThat(cache.lists()).isEqualTo(1);
    }

    @Test
    void aWatchTheServerEndsIsOpenedAgainFromTheLastVersionSeenWithoutListing() throws Exception {
        startCache();
        await().atMost(Duration.ofSeconds(10)).until(() -> watchesOpened() == 1);
        put("alice", "a@a", false);
        bookmark();
        await().atMost(Duration.ofSeconds(10)).until(() -> told.size() == 1);

        endWatches();
        await().atMost(Duration.ofSeconds(10)).until(() -> watchesOpened() == 2);
        assertThat(requests.get(requests.size() - 1)).as("the bookmark's version, not the listing's")
                .isEqualTo("GET " + PATH + " watch from 12");
        put("bob", "b@b", false);
        await().atMost(Duration.ofSeconds(10)).until(() -> told.size() == 2);
        assertThat(told).as("a bookmark tells nothing").containsExactly("alice", "bob");
        assertThat(cache.lists()).isEqualTo(1);
    }

    @Test
    void aTooOldVersionListsAgainAndTellsWhatChangedAndWhatWentMeanwhile() throws Exception {
        put("alice", "a@a", false);
        put("bob", "b@b", false);
        put("carol", "c@c", false);
        startCache();
        await().atMost(Duration.ofSeconds(10)).until(() -> watchesOpened() == 1);
        told.clear();

        // Behind the watch's back: bob changes, carol goes, dave comes; then the history is compacted
        // and the watch ends, so the next watch (from version 13) is too old.
        put("bob", "b@new", true);
        delete("carol", true);
        put("dave", "d@d", true);
        compact();
        endWatches();

        await().atMost(Duration.ofSeconds(10)).until(() -> cache.lists() == 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> told.size() == 3);
        assertThat(told).as("alice did not change: not told").containsExactlyInAnyOrder("bob", "carol", "dave");
        assertThat(cache.objects()).extracting(KindCache.Entry::name).containsExactlyInAnyOrder("alice", "bob", "dave");
        assertThat(email(cache.get("", "bob"))).isEqualTo("b@new");
        assertThat(cache.synced()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> requests.get(requests.size() - 1)
                .equals("GET " + PATH + " watch from 16"));
    }

    @Test
    void aHostThatFailsAtFirstIsRetriedAndNothingIsSyncedUntilItLists() throws Exception {
        put("alice", "a@a", false);
        failNext.add(503);
        failNext.add(503);
        startCache();
        assertThat(cache.synced()).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(cache::synced);
        assertThat(List.copyOf(requests).subList(0, 3)).containsExactly("GET " + PATH + " list", "GET " + PATH + " list",
                "GET " + PATH + " list");
        assertThat(told).containsExactly("alice");
    }

    @Test
    void retryNowCutsTheBackoffShortOnceTheHostAnswersAgain() throws Exception {
        put("alice", "a@a", false);
        for (int i = 0; i < 5; i++) {
            failNext.add(503);
        }
        startCache();
        // Tries at 0, 0.5, 1.5 and 3.5 s fail; the next would come 4 s after the fourth.
        await().atMost(Duration.ofSeconds(10)).until(() -> requests.size() == 4);
        cache.retryNow();
        // The try it makes at once fails too (the host still starting): the backoff starts again at
        // 0.5 s, not at 8 s, and the try after lists.
        await().atMost(Duration.ofSeconds(2)).until(cache::synced);
        assertThat(List.copyOf(requests).subList(0, 6)).containsOnly("GET " + PATH + " list");
        assertThat(told).containsExactly("alice");
    }

    @Test
    void aWatchThatFailsIsRetriedFromTheSameVersion() throws Exception {
        startCache();
        await().atMost(Duration.ofSeconds(10)).until(() -> watchesOpened() == 1);
        failNext.add(503);
        endWatches();
        await().atMost(Duration.ofSeconds(10)).until(() -> watchesOpened() == 3);
        assertThat(requests).containsExactly("GET " + PATH + " list", "GET " + PATH + " watch from 10",
                "GET " + PATH + " watch from 10", "GET " + PATH + " watch from 10");
        put("alice", "a@a", false);
        await().atMost(Duration.ofSeconds(10)).until(() -> told.contains("alice"));
    }

    @Test
    void closingEndsAnOpenWatchAtOnce() throws Exception {
        startCache();
        await().atMost(Duration.ofSeconds(10)).until(() -> watchesOpened() == 1);
        long before = System.nanoTime();
        cache.close();
        cache.join(Duration.ofSeconds(5));
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(2));
        put("alice", "a@a", false);
        Thread.sleep(300);
        assertThat(told).as("nothing is told after close").isEmpty();
    }

    @Test
    void anEventWithoutAnObjectOrNotJsonListsAgain() throws Exception {
        startCache();
        await().atMost(Duration.ofSeconds(10)).until(() -> watchesOpened() == 1);
        synchronized (lock) {
            ObjectNode broken = JSON.createObjectNode();
            broken.put("type", "ADDED");
            history.add(broken);
            lock.notifyAll();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> cache.lists() == 2);
        assertThat(cache.synced()).isTrue();
        put("alice", "a@a", false);
        await().atMost(Duration.ofSeconds(10)).until(() -> told.contains("alice"));
    }
}
