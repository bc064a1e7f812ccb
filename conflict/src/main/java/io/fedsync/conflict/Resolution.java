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
 * @param reason why that winner, in words an operator can check (e.g.
 *               {@code lww: managedFields time 2026-11-29T08:00:03Z > 2026-11-29T08:00:00Z}); may be empty
 */
public record Resolution(String winner, String by, Instant at, String reason) {
    public Resolution {
        Objects.requireNonNull(by, "by");
        Objects.requireNonNull(at, "at");
        reason = reason == null ? "" : reason;
    }

    public Resolution(String winner, String by, Instant at) {
        this(winner, by, at, "");
    }
}
