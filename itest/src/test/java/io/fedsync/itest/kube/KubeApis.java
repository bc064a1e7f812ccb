package io.fedsync.itest.kube;

import io.fedsync.itest.fixture.EtcdClusters;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.Config;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesApi;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JUnit 5 extension giving each etcd of an {@link EtcdClusters} its own
 * {@link KubeApiStandIn} (a Kubernetes API stand-in, test fixture), as each KubeSphere host
 * cluster has its own kube-apiserver over its own etcd.
 *
 * <pre>{@code
 * @RegisterExtension static final EtcdClusters ETCD = EtcdClusters.builder().withClusters("host", "host2").build();
 * @RegisterExtension static final KubeApis KUBE = KubeApis.over(ETCD).build();
 *
 * DynamicKubernetesApi users = KUBE.dynamic("host", KubeResources.USERS);
 * }</pre>
 *
 * A stand-in starts on first use ({@link #api(String)}), so the order in which JUnit registers
 * the two extensions does not matter, and is closed after all tests (static field) or after
 * each test (instance field), with its kubeconfig files.
 */
public final class KubeApis implements BeforeAllCallback, AfterAllCallback, AfterEachCallback, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KubeApis.class);

    private final EtcdClusters etcds;
    private final KubeResources resources;
    private final Duration maxWatch;
    private final Map<String, BiConsumer<KubeResource, Map<String, Object>>> admissions;
    private final Map<String, java.util.function.Consumer<KubeResource>> beforeListAnswers;
    private final Map<String, KubeApiStandIn> apis = new LinkedHashMap<>();
    private Path kubeconfigDir;
    private boolean classScoped;
    private String ownerId;

    private KubeApis(Builder builder) {
        this.etcds = builder.etcds;
        this.resources = builder.resources;
        this.maxWatch = builder.maxWatch;
        this.admissions = Map.copyOf(builder.admissions);
        this.beforeListAnswers = Map.copyOf(builder.beforeListAnswers);
    }

    /** Stand-ins over the etcds of {@code etcds}, one per cluster name. */
    public static Builder over(EtcdClusters etcds) {
        return new Builder(etcds);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (ownerId == null) {
            classScoped = true;
            ownerId = context.getUniqueId();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!classScoped) {
            close();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (classScoped && context.getUniqueId().equals(ownerId)) {
            ownerId = null;
            classScoped = false;
            close();
        }
    }

    /** The stand-in of cluster {@code name}, started over that cluster's etcd on first use. */
    public synchronized KubeApiStandIn api(String name) {
        KubeApiStandIn api = apis.get(name);
        if (api == null) {
            api = standIn(name).build().start();
            apis.put(name, api);
        }
        return api;
    }

    private KubeApiStandIn.Builder standIn(String name) {
        KubeApiStandIn.Builder b = KubeApiStandIn.builder().name(name).etcd(etcds.get(name).clientBuilder())
                .resources(resources).maxWatch(maxWatch);
        if (admissions.containsKey(name)) {
            b.admission(admissions.get(name));
        }
        if (beforeListAnswers.containsKey(name)) {
            b.beforeListAnswer(beforeListAnswers.get(name));
        }
        return b;
    }

    /** Ports of stand-ins stopped with {@link #stop}, to come back on. */
    private final Map<String, Integer> stoppedPorts = new java.util.HashMap<>();

    /** Stops cluster {@code name}'s stand-in: its API refuses connections until {@link #restart}. */
    public synchronized void stop(String name) {
        KubeApiStandIn api = apis.remove(name);
        if (api != null) {
            stoppedPorts.put(name, api.port());
            api.close();
        }
    }

    /** Starts a stand-in stopped with {@link #stop} again, on the same port (its kubeconfig stays valid). */
    public synchronized KubeApiStandIn restart(String name) {
        Integer port = stoppedPorts.remove(name);
        if (port == null) {
            throw new IllegalStateException(name + "'s stand-in was not stopped");
        }
        KubeApiStandIn api = standIn(name).port(port).build().start();
        apis.put(name, api);
        return api;
    }

    /** A kubeconfig file for cluster {@code name}'s stand-in (server URL, dummy token). */
    public synchronized Path kubeconfig(String name) {
        try {
            if (kubeconfigDir == null) {
                kubeconfigDir = Files.createTempDirectory("fedsync-kubeconfig-");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return api(name).writeKubeconfig(kubeconfigDir.resolve(name + ".kubeconfig"));
    }

    /** A new client-java ApiClient loaded with {@code Config.fromConfig} from {@link #kubeconfig(String)}. */
    public ApiClient apiClient(String name) {
        try {
            return Config.fromConfig(kubeconfig(name).toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** As {@link #apiClient(String)} with no read timeout, as watches and informers need. */
    public ApiClient watchingApiClient(String name) {
        ApiClient client = apiClient(name);
        client.setReadTimeout(0);
        return client;
    }

    /** client-java's DynamicKubernetesApi for {@code resource} on cluster {@code name}. */
    public DynamicKubernetesApi dynamic(String name, KubeResource resource) {
        return new DynamicKubernetesApi(resource.group(), resource.version(), resource.plural(), apiClient(name));
    }

    @Override
    public synchronized void close() {
        for (KubeApiStandIn api : apis.values()) {
            try {
                api.close();
            } catch (RuntimeException e) {
                LOG.warn("closing {} failed", api, e);
            }
        }
        apis.clear();
        if (kubeconfigDir != null) {
            try (Stream<Path> files = Files.walk(kubeconfigDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                LOG.debug("cannot delete {}: {}", kubeconfigDir, e.toString());
            }
            kubeconfigDir = null;
        }
    }

    /** Builder: the KubeSphere kinds ({@link KubeResources#kubeSphere()}) unless told. */
    public static final class Builder {
        private final EtcdClusters etcds;
        private KubeResources resources = KubeResources.kubeSphere();
        private Duration maxWatch = Duration.ofMinutes(30);
        private final Map<String, BiConsumer<KubeResource, Map<String, Object>>> admissions = new java.util.HashMap<>();
        private final Map<String, java.util.function.Consumer<KubeResource>> beforeListAnswers = new java.util.HashMap<>();

        private Builder(EtcdClusters etcds) {
            this.etcds = Objects.requireNonNull(etcds, "etcds");
        }

        public Builder resources(KubeResources resources) {
            this.resources = Objects.requireNonNull(resources, "resources");
            return this;
        }

        /** Ends every watch after this long (clients then watch again from their last resourceVersion). */
        public Builder maxWatch(Duration maxWatch) {
            this.maxWatch = Objects.requireNonNull(maxWatch, "maxWatch");
            return this;
        }

        /** Cluster {@code name}'s stand-in mutates what it stores (see {@link KubeApiStandIn.Builder#admission}). */
        public Builder admission(String name, BiConsumer<KubeResource, Map<String, Object>> admission) {
            admissions.put(name, Objects.requireNonNull(admission, "admission"));
            return this;
        }

        /** Cluster {@code name}'s stand-in calls this before answering a list (see {@link KubeApiStandIn.Builder#beforeListAnswer}). */
        public Builder beforeListAnswer(String name, java.util.function.Consumer<KubeResource> step) {
            beforeListAnswers.put(name, Objects.requireNonNull(step, "beforeListAnswer"));
            return this;
        }

        public KubeApis build() {
            return new KubeApis(this);
        }
    }
}
