package io.fedsync.raft.api.json;

/** A JSON document does not have the shape fedsync wrote; the message names the field. */
public final class JsonFormatException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public JsonFormatException(String message) {
        super(message);
    }

    public JsonFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
