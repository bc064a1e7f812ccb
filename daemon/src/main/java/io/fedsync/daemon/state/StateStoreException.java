package io.fedsync.daemon.state;

import io.fedsync.daemon.DaemonException;

/** A state file cannot be read, written or locked; the message names the file. */
public final class StateStoreException extends DaemonException {

    private static final long serialVersionUID = 1L;

    public StateStoreException(String message) {
        super(message);
    }

    public StateStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
