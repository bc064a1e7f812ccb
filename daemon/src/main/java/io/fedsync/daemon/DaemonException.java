package io.fedsync.daemon;

/**
 * A failure whose message is written for the operator: {@code fedsyncd} prints it as one line
 * and exits, without a stack trace (that goes to the debug log). Anything else that escapes is a
 * bug and is reported as such.
 */
public class DaemonException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DaemonException(String message) {
        super(message);
    }

    public DaemonException(String message, Throwable cause) {
        super(message, cause);
    }
}
