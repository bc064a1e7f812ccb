package io.fedsync.mirror;

/** Why a resolution was refused; nothing was written. */
public final class ResolveException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** No conflict has that id. */
        UNKNOWN,
        /** The conflict is no longer open, or another resolution of it is under way. */
        NOT_OPEN,
        /** The request does not fit the conflict (a winner that is not a side, another object). */
        INVALID,
        /** A cluster of the conflict is not live, or the resolution did not complete in time. */
        UNAVAILABLE
    }

    private final Kind kind;

    public ResolveException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
