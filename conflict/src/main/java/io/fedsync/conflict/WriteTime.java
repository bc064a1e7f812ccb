package io.fedsync.conflict;

import java.time.Instant;
import java.util.Objects;

/**
 * When the change a version carries was written, as well as it can be known. Last-writer-wins
 * compares these; a worker or a resume looking at a key is never a write time.
 *
 * @param millis epoch milliseconds, 0 when unknown
 * @param source where the time comes from
 */
public record WriteTime(long millis, Source source) implements Comparable<WriteTime> {

    public static final WriteTime UNKNOWN = new WriteTime(0, Source.UNKNOWN);

    public enum Source {
        /** The newest {@code metadata.managedFields[].time} the kube-apiserver recorded (second precision). */
        MANAGED_FIELDS("managedFields time"),
        /** When the mirror's watch received the change (the value carries no time of its own). */
        RECEIVED("received"),
        /** Neither: the change was found by a read, not received by a watch. */
        UNKNOWN("write time unknown");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public String wireName() {
            return switch (this) {
                case MANAGED_FIELDS -> "managedFields";
                case RECEIVED -> "received";
                case UNKNOWN -> "unknown";
            };
        }

        public static Source fromWire(String name) {
            for (Source s : values()) {
                if (s.wireName().equals(name)) {
                    return s;
                }
            }
            return UNKNOWN;
        }
    }

    public WriteTime {
        Objects.requireNonNull(source, "source");
        if (millis < 0) {
            throw new IllegalArgumentException("write time must be >= 0, was " + millis);
        }
        if ((millis == 0) != (source == Source.UNKNOWN)) {
            throw new IllegalArgumentException("a write time is unknown exactly when its millis are 0");
        }
    }

    public static WriteTime managedFields(long millis) {
        return millis <= 0 ? UNKNOWN : new WriteTime(millis, Source.MANAGED_FIELDS);
    }

    public static WriteTime received(long millis) {
        return millis <= 0 ? UNKNOWN : new WriteTime(millis, Source.RECEIVED);
    }

    public boolean known() {
        return source != Source.UNKNOWN;
    }

    /** For a Kubernetes object, the time its apiserver recorded; else {@code fallback}. */
    public static WriteTime of(byte[] value, WriteTime fallback) {
        if (value != null) {
            long t = ManagedFieldsTime.newestMillis(value);
            if (t > 0) {
                return managedFields(t);
            }
        }
        return fallback;
    }

    /** Ordered by time; an unknown time sorts before every known one. */
    @Override
    public int compareTo(WriteTime o) {
        return Long.compare(millis, o.millis);
    }

    @Override
    public String toString() {
        return known() ? source.label() + " " + Instant.ofEpochMilli(millis) : source.label();
    }
}
