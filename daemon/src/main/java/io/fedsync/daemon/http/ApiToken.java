package io.fedsync.daemon.http;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * The bearer token mutating API calls must carry ({@code http.tokenFile}). Only a SHA-256 digest
 * of it is kept, and a presented token is compared digest to digest with
 * {@link MessageDigest#isEqual} (constant time, and independent of the lengths); the token itself
 * is never kept, logged or printed — {@link #toString()} names the file only.
 */
public final class ApiToken {

    private final Path file;
    private final byte[] digest;

    private ApiToken(Path file, byte[] digest) {
        this.file = file;
        this.digest = digest;
    }

    /** @param file where the token was read from, for messages */
    public static ApiToken of(Path file, String token) {
        Objects.requireNonNull(token, "token");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("the token is empty");
        }
        return new ApiToken(file, sha256(token));
    }

    public Path file() {
        return file;
    }

    /** Whether {@code presented} is the token, in time that does not depend on where they differ. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(digest, sha256(presented));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "ApiToken[from " + file + "]";
    }
}
