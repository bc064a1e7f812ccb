package io.fedsync.conflict;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Picks the winner of a real conflict, or none. Whatever wins is written with a vector that
 * dominates every side, so each cluster is written at most once more for the conflict.
 */
public sealed interface ResolutionPolicy {

    /** The winner among concurrent versions, or empty to hold the key for an operator. */
    Optional<Version> choose(List<Version> contenders);

    /** The name used in config and in resolution records. */
    String name();

    static ResolutionPolicy parse(String name, List<String> priority) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "hold" -> new Hold();
            case "priority" -> new Priority(priority);
            case "lww" -> new LastWriterWins();
            default -> throw new IllegalArgumentException(
                    "unknown conflict policy '" + name + "' (expected hold, priority or lww)");
        };
    }

    /** Keep both sides, stop propagating the key, wait for an operator. */
    record Hold() implements ResolutionPolicy {
        @Override
        public Optional<Version> choose(List<Version> contenders) {
            return Optional.empty();
        }

        @Override
        public String name() {
            return "hold";
        }
    }

    /** The cluster earliest in {@code order} wins; unlisted clusters rank last, by name. */
    record Priority(List<String> order) implements ResolutionPolicy {
        public Priority {
            if (order == null || order.isEmpty()) {
                throw new IllegalArgumentException("the priority policy needs mirror.priority: a list of cluster names");
            }
            order = List.copyOf(order);
        }

        @Override
        public Optional<Version> choose(List<Version> contenders) {
            return contenders.stream().min(Comparator
                    .comparingInt((Version v) -> rank(v.cluster()))
                    .thenComparing(Version::cluster));
        }

        private int rank(String cluster) {
            int i = order.indexOf(cluster);
            return i < 0 ? Integer.MAX_VALUE : i;
        }

        @Override
        public String name() {
            return "priority";
        }
    }

    /** The change with the latest hybrid-clock time wins; on a tie the cluster name sorting first. */
    record LastWriterWins() implements ResolutionPolicy {
        @Override
        public Optional<Version> choose(List<Version> contenders) {
            return contenders.stream().min(Comparator
                    .comparing((Version v) -> v.hlc(), Comparator.reverseOrder())
                    .thenComparing(Version::cluster));
        }

        @Override
        public String name() {
            return "lww";
        }
    }
}
