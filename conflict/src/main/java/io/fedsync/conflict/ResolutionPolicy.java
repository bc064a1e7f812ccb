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

    /**
     * Why {@code winner} won among {@code contenders}, for the conflict record's
     * {@code resolution.reason}: an operator must be able to check the choice.
     */
    String explain(List<Version> contenders, Version winner);

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

        @Override
        public String explain(List<Version> contenders, Version winner) {
            return "hold: kept every side for an operator";
        }
    }

    /**
     * The change made on the cluster earliest in {@code order} wins, wherever it is held: a copy of
     * host3's write on host ranks as host3's, or a stale copy would beat a newer write by holding
     * a better place. Changes of one origin rank by that origin's counter in their vectors (its
     * later write first). A change of no listed cluster (an operator's own value) ranks as the
     * cluster holding it; unlisted clusters rank last, by name.
     */
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
                    .comparingInt((Version v) -> rank(rankedAs(v)))
                    .thenComparing(this::rankedAs)
                    .thenComparing((Version v) -> v.vector().get(rankedAs(v)), Comparator.reverseOrder())
                    .thenComparing(Version::cluster));
        }

        /** The cluster whose place in {@code order} the version takes: its origin when listed. */
        private String rankedAs(Version v) {
            return order.contains(v.origin()) ? v.origin() : v.cluster();
        }

        private int rank(String cluster) {
            int i = order.indexOf(cluster);
            return i < 0 ? Integer.MAX_VALUE : i;
        }

        @Override
        public String name() {
            return "priority";
        }

        @Override
        public String explain(List<Version> contenders, Version winner) {
            String by = rankedAs(winner);
            List<String> others = contenders.stream().map(this::rankedAs)
                    .filter(c -> !c.equals(by)).distinct().sorted().toList();
            String held = by.equals(winner.cluster()) ? "" : " (held on " + winner.cluster() + ")";
            if (others.isEmpty()) {
                return "priority: every side holds a change made on " + by + "; its latest wins" + held;
            }
            return "priority: the change made on " + by + held + " wins; " + by + " is listed before "
                    + String.join(", ", others) + " in mirror.priority " + order;
        }
    }

    /**
     * The later write wins: for Kubernetes objects by the time their apiserver recorded
     * ({@code managedFields}), else by when the mirror's watch received the change; an unknown
     * time loses to a known one. On a tie the cluster name sorting first wins.
     */
    record LastWriterWins() implements ResolutionPolicy {

        private static final Comparator<Version> LATEST_FIRST = Comparator
                .comparing(Version::writeTime, Comparator.reverseOrder())
                .thenComparing(Version::cluster);

        @Override
        public Optional<Version> choose(List<Version> contenders) {
            return contenders.stream().min(LATEST_FIRST);
        }

        @Override
        public String name() {
            return "lww";
        }

        @Override
        public String explain(List<Version> contenders, Version winner) {
            StringBuilder why = new StringBuilder("lww: ").append(winner.cluster()).append(' ')
                    .append(winner.writeTime());
            for (Version v : contenders.stream().sorted(LATEST_FIRST).toList()) {
                if (v == winner || v.cluster().equals(winner.cluster())) {
                    continue;
                }
                int c = winner.writeTime().compareTo(v.writeTime());
                why.append(c > 0 ? " > " : " = ").append(v.cluster()).append(' ').append(v.writeTime());
                if (c == 0) {
                    why.append(" (tie: ").append(winner.cluster()).append(" sorts first)");
                }
            }
            return why.toString();
        }
    }
}
