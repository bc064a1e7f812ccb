package io.fedsync.raft.api.json;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * How a stored etcd value appears in JSON: as text when it is valid UTF-8 (every JSON object
 * Kubernetes stores, readable in the API), as base64 otherwise (protobuf, binary), so that the
 * exact bytes always survive a round trip.
 */
enum ValueEncoding {
    UTF8("utf8"),
    BASE64("base64");

    final String wireName;

    ValueEncoding(String wireName) {
        this.wireName = wireName;
    }

    static ValueEncoding fromWireName(String s) {
        for (ValueEncoding e : values()) {
            if (e.wireName.equals(s)) {
                return e;
            }
        }
        throw new JsonFormatException("unknown valueEncoding '" + s + "' (expected utf8 or base64)");
    }

    /** The encoding chosen for {@code value} and its text. */
    static Encoded encode(byte[] value) {
        return utf8(value).map(s -> new Encoded(UTF8, s))
                .orElseGet(() -> new Encoded(BASE64, Base64.getEncoder().encodeToString(value)));
    }

    byte[] decode(String text) {
        if (this == UTF8) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new JsonFormatException("value is not valid base64: " + e.getMessage());
        }
    }

    /** Strict decoding: a lenient decoder would replace bad bytes and lose them. */
    private static Optional<String> utf8(byte[] value) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    record Encoded(ValueEncoding encoding, String text) {
    }
}
