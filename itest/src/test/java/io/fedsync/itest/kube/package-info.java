/**
 * <b>Kubernetes API stand-in</b> — a test fixture (not a Kubernetes API server) for machines
 * without a container engine, where neither kube-apiserver nor k3s can run.
 *
 * <p>{@link io.fedsync.itest.kube.KubeApiStandIn} answers the Kubernetes REST API for the kinds
 * in {@link io.fedsync.itest.kube.KubeResources} (the KubeSphere v3 IAM/tenant/cluster kinds plus
 * core namespaces and configmaps; one line adds a kind) and keeps every object in a real etcd,
 * where and as kube-apiserver keeps custom resources: {@code /registry/<group>/<plural>/[<ns>/]<name>},
 * compact sorted JSON ending in {@code \n}, no resourceVersion (it is the key's mod_revision).
 * It has no cache: what fedsync's mirror writes into that etcd is served and watched as on a
 * real apiserver. {@link io.fedsync.itest.kube.KubeApis} is the JUnit 5 extension giving each
 * etcd of an {@code EtcdClusters} its own stand-in, kubeconfig and client-java clients.
 *
 * <p><b>Emulated</b>: get/list/watch/create/update/patch (merge, JSON patch)/delete with
 * kube-apiserver's semantics for resourceVersion (optimistic concurrency, 409 Conflict,
 * 409 AlreadyExists, 404, 410 Expired after compaction), uid/creationTimestamp/generation,
 * finalizers and deletionTimestamp, no-op updates that write nothing, label and field
 * selectors, discovery, Status errors, and watches that outlive an etcd restart.
 *
 * <p><b>Not emulated</b>: authentication and authorization (a kubeconfig's dummy token is
 * accepted, as is none), admission (no NamespaceLifecycle; deleting a namespace leaves its
 * contents), defaulting, schema validation and pruning, version conversion, subresources,
 * server-side apply, exact managedFields ownership (approximated), the watch cache (no 410
 * before etcd compacts; no bookmarks), pagination, protobuf and WebSocket. Core kinds are
 * stored as JSON where kube-apiserver stores protobuf ({@code k8s\0}); fedsync never mirrors
 * those prefixes. {@code UserCrudK3sIT} runs the same User CRUD against real k3s where Docker
 * exists, to keep the stand-in honest.
 */
package io.fedsync.itest.kube;
