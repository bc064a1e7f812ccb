package io.fedsync.federation;

import java.util.Map;
import java.util.Objects;

/** A joined member cluster as placement sees it: its name and its cluster labels. */
public record Member(String name, Map<String, String> labels) {
    public Member {
        Objects.requireNonNull(name, "name");
        labels = Map.copyOf(labels);
    }
}
