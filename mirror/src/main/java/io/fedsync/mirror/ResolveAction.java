package io.fedsync.mirror;

import io.fedsync.conflict.Resolution;
import java.util.Objects;

/**
 * What an operator asks for to end an open conflict: keep one side's version ({@link Winner}),
 * write an object of their own to every cluster ({@link Value}), or delete the key everywhere
 * ({@link Delete}). Whichever it is, it is written once per cluster with a version vector that
 * dominates every side.
 */
public sealed interface ResolveAction {

    /** {@code winner}, {@code value} or {@code delete}, as kept in the conflict record. */
    String how();

    static ResolveAction winner(String cluster) {
        return new Winner(cluster);
    }

    static ResolveAction value(byte[] value) {
        return new Value(value);
    }

    static ResolveAction delete() {
        return new Delete();
    }

    record Winner(String cluster) implements ResolveAction {
        public Winner {
            Objects.requireNonNull(cluster, "cluster");
        }

        @Override
        public String how() {
            return Resolution.HOW_WINNER;
        }
    }

    /** @param value the bytes written to every cluster, as given */
    record Value(byte[] value) implements ResolveAction {
        public Value {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String how() {
            return Resolution.HOW_VALUE;
        }

        @Override
        public String toString() {
            return "Value[" + value.length + " bytes]";
        }
    }

    record Delete() implements ResolveAction {
        @Override
        public String how() {
            return Resolution.HOW_DELETE;
        }
    }
}
