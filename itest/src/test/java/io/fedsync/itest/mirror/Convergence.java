package io.fedsync.itest.mirror;

import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.Kv;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/** Waits until every cluster holds exactly the same keys and values under a prefix. */
final class Convergence {

    private Convergence() {
    }

    static void awaitIdentical(List<Client> clients, String prefix, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(200)).until(() -> identical(clients, prefix));
    }

    static boolean identical(List<Client> clients, String prefix) {
        SortedMap<String, String> first = Kv.keys(clients.get(0), prefix);
        for (Client c : clients.subList(1, clients.size())) {
            if (!first.equals(Kv.keys(c, prefix))) {
                return false;
            }
        }
        return true;
    }

    static Map<String, String> snapshot(Client c, String prefix) {
        return Kv.keys(c, prefix);
    }
}
