package io.fedsync.daemon.config;

import io.fedsync.daemon.DaemonException;
import java.util.List;

/**
 * The config file cannot be used. The message names the file and the offending key; with several
 * problems, each is one line so the operator can fix them all in one go.
 */
public final class ConfigException extends DaemonException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigException(String message) {
        this(List.of(message), null);
    }

    public ConfigException(String message, Throwable cause) {
        this(List.of(message), cause);
    }

    public ConfigException(List<String> problems) {
        this(problems, null);
    }

    private ConfigException(List<String> problems, Throwable cause) {
        super(String.join(System.lineSeparator(), problems), cause);
        this.problems = List.copyOf(problems);
    }

    /** One entry per problem found, each a complete sentence naming the key. */
    public List<String> problems() {
        return problems;
    }
}
