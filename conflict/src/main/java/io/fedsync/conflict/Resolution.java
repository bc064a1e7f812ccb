package io.fedsync.conflict;

import java.time.Instant;
import java.util.Objects;

/**
 * How a conflict ended.
 *
 * @param winner the cluster whose version was kept (null when converged: every side was kept)
 * @param by     {@code hold}/{@code priority}/{@code lww} for a policy, {@code operator}, or
 *               {@code converged}
 * @param at     when
 */
public record Resolution(String winner, String by, Instant at) {
    public Resolution {
        Objects.requireNonNull(by, "by");
        Objects.requireNonNull(at, "at");
    }
}
