package io.fedsync.daemon;

/**
 * The one way fedsyncd ends the JVM with a status. Tests pass an implementation that records
 * the status (and throws to stop the caller) instead of killing the test JVM.
 */
@FunctionalInterface
public interface Exit {

    /** Ends the process with {@code status}; the system implementation does not return. */
    void exit(int status);

    static Exit system() {
        return SystemExit.INSTANCE;
    }

    /** The only {@code System.exit} call in fedsyncd. */
    enum SystemExit implements Exit {
        INSTANCE;

        @Override
        public void exit(int status) {
            System.exit(status);
        }
    }
}
