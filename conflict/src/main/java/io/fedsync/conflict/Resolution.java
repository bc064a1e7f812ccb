package io.fedsync.conflict;

import java.time.Instant;
import java.util.Objects;

/**
 * How a conflict ended.
 *
 * @param winner the cluster whose version was kept (null when converged: every side was kept, or
 *               when an operator wrote a value of their own or deleted the key)
 * @param by     {@code hold}/{@code priority}/{@code lww} for a policy, {@code operator} (the
 *               engine's own API), {@code api} (the HTTP API), or {@code converged}
 * @param at     when
 * @param reason why that winner, in words an operator can check (e.g.
 *               {@code lww: managedFields time 2026-11-29T08:00:03Z > 2026-11-29T08:00:00Z}); may be empty
 * @param how    for an operator's resolution what they asked for: {@code winner}, {@code value}
 *               (their own object, written to every cluster) or {@code delete}; null for a policy
 *               or a convergence
 */
public record Resolution(String winner, String by, Instant at, String reason, String how) {

    public static final String HOW_WINNER = "winner";
    public static final String HOW_VALUE = "value";
    public static final String HOW_DELETE = "delete";

    public Resolution {
        Objects.requireNonNull(by, "by");
        Objects.requireNonNull(at, "at");
        reason = reason == null ? "" : reason;
        if (how != null && !how.equals(HOW_WINNER) && !how.equals(HOW_VALUE) && !how.equals(HOW_DELETE)) {
            throw new IllegalArgumentException("how must be winner, value or delete, not '" + how + "'");
        }
    }

    public Resolution(String winner, String by, Instant at, String reason) {
        this(winner, by, at, reason, null);
    }

    public Resolution(String winner, String by, Instant at) {
        this(winner, by, at, "");
    }
}
