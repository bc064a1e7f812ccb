package io.fedsync.conflict;

/**
 * Checks that bytes are exactly one JSON object (RFC 8259), whitespace around it allowed, without
 * building anything: a byte-level state machine, several times cheaper than a streaming parser.
 * The mirror runs it on every change it copies under {@code /registry/}, where a value that is not
 * a JSON object would break the kube-apiserver's list of the whole kind.
 *
 * <p>Strings are checked for their escapes and for raw control characters, not for UTF-8
 * validity (Go's decoder, which the apiserver uses, replaces bad sequences rather than failing).
 */
public final class JsonSyntax {

    /** Deeper nesting is refused (Jackson's default limit; no Kubernetes object comes close). */
    public static final int MAX_DEPTH = 1000;

    private final byte[] b;
    private int i;

    private JsonSyntax(byte[] b) {
        this.b = b;
    }

    /** True when {@code value} is one JSON object and nothing else but whitespace. */
    public static boolean isObject(byte[] value) {
        if (value == null) {
            return false;
        }
        JsonSyntax p = new JsonSyntax(value);
        p.skipWhitespace();
        if (p.i >= value.length || value[p.i] != '{') {
            return false;
        }
        if (!p.value()) {
            return false;
        }
        p.skipWhitespace();
        return p.i == value.length;
    }

    /** One value starting at {@code i} (after whitespace); iterative, so depth costs no stack. */
    private boolean value() {
        byte[] stack = new byte[16];
        int depth = 0;
        // After a value inside a container: expect ',' or the closing bracket.
        while (true) {
            skipWhitespace();
            if (i >= b.length) {
                return false;
            }
            byte c = b[i];
            boolean scalarDone;
            if (c == '{' || c == '[') {
                if (depth == MAX_DEPTH) {
                    return false;
                }
                if (depth == stack.length) {
                    stack = java.util.Arrays.copyOf(stack, stack.length * 2);
                }
                stack[depth++] = c;
                i++;
                skipWhitespace();
                if (i >= b.length) {
                    return false;
                }
                byte close = c == '{' ? (byte) '}' : (byte) ']';
                if (b[i] == close) {
                    i++;
                    depth--;
                    scalarDone = true;
                } else {
                    if (c == '{' && !member()) {
                        return false;
                    }
                    continue;
                }
            } else if (c == '"') {
                if (!string()) {
                    return false;
                }
                scalarDone = true;
            } else if (c == 't') {
                scalarDone = literal("true");
            } else if (c == 'f') {
                scalarDone = literal("false");
            } else if (c == 'n') {
                scalarDone = literal("null");
            } else if (c == '-' || c >= '0' && c <= '9') {
                scalarDone = number();
            } else {
                return false;
            }
            if (!scalarDone) {
                return false;
            }
            // A value ended: close containers or continue with the next element.
            while (true) {
                if (depth == 0) {
                    return true;
                }
                skipWhitespace();
                if (i >= b.length) {
                    return false;
                }
                byte open = stack[depth - 1];
                byte close = open == '{' ? (byte) '}' : (byte) ']';
                if (b[i] == close) {
                    i++;
                    depth--;
                    continue;
                }
                if (b[i] != ',') {
                    return false;
                }
                i++;
                if (open == '{') {
                    skipWhitespace();
                    if (!member()) {
                        return false;
                    }
                }
                break;
            }
        }
    }

    /** {@code "name" :} of an object member; the value follows. */
    private boolean member() {
        if (i >= b.length || b[i] != '"' || !string()) {
            return false;
        }
        skipWhitespace();
        if (i >= b.length || b[i] != ':') {
            return false;
        }
        i++;
        return true;
    }

    private boolean string() {
        i++; // the opening quote
        while (i < b.length) {
            int c = b[i] & 0xff;
            if (c == '"') {
                i++;
                return true;
            }
            if (c < 0x20) {
                return false;
            }
            if (c == '\\') {
                if (++i >= b.length) {
                    return false;
                }
                switch (b[i]) {
                    case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> i++;
                    case 'u' -> {
                        if (i + 4 >= b.length) {
                            return false;
                        }
                        for (int k = 1; k <= 4; k++) {
                            if (Character.digit(b[i + k], 16) < 0) {
                                return false;
                            }
                        }
                        i += 5;
                    }
                    default -> {
                        return false;
                    }
                }
            } else {
                i++;
            }
        }
        return false;
    }

    private boolean number() {
        if (b[i] == '-') {
            i++;
        }
        if (i >= b.length) {
            return false;
        }
        if (b[i] == '0') {
            i++;
        } else if (b[i] >= '1' && b[i] <= '9') {
            while (i < b.length && b[i] >= '0' && b[i] <= '9') {
                i++;
            }
        } else {
            return false;
        }
        if (i < b.length && b[i] == '.') {
            i++;
            if (!digits()) {
                return false;
            }
        }
        if (i < b.length && (b[i] == 'e' || b[i] == 'E')) {
            i++;
            if (i < b.length && (b[i] == '+' || b[i] == '-')) {
                i++;
            }
            return digits();
        }
        return true;
    }

    private boolean digits() {
        int start = i;
        while (i < b.length && b[i] >= '0' && b[i] <= '9') {
            i++;
        }
        return i > start;
    }

    private boolean literal(String word) {
        if (i + word.length() > b.length) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if (b[i + k] != word.charAt(k)) {
                return false;
            }
        }
        i += word.length();
        return true;
    }

    private void skipWhitespace() {
        while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
            i++;
        }
    }
}
