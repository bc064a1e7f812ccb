package io.fedsync.federation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A cluster's KubeSphere jwtSecret, held only long enough to fingerprint it. Tokens a host issues
 * verify on a member only when both hold the same secret, so fedsync pushes nothing to a member
 * whose secret differs.
 *
 * <p>The secret never leaves this class: no accessor returns it, {@link #toString()} does not show
 * it, and error messages name the path that is missing or empty, never a value. What is kept and
 * compared is a {@link Fingerprint}: an HMAC-SHA256 of the secret under a key this process drew at
 * random, so a fingerprint that escaped into a log or a heap dump can neither be reversed nor
 * checked against a guess offline, and is meaningless to any other process.
 */
public final class JwtSecret {

    /** The ConfigMap KubeSphere keeps its configuration in, and the data key of the file. */
    public static final String CONFIG_MAP_NAMESPACE = "kubesphere-system";
    public static final String CONFIG_MAP_NAME = "kubesphere-config";
    public static final String CONFIG_FILE_KEY = "kubesphere.yaml";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private JwtSecret() {
    }

    /** Why a secret could not be read; the message names where it looked, never a value. */
    public static final class Unreadable extends Exception {
        public Unreadable(String message) {
            super(message);
        }
    }

    /**
     * Reads the secret from the text of {@code kubesphere.yaml} at the profile's path and returns
     * its fingerprint under {@code key}.
     *
     * @throws Unreadable when the file is not YAML, or the path is missing or empty (KubeSphere then
     *                    generates a random secret, so such a member never matches)
     */
    public static Fingerprint fingerprint(String kubesphereYaml, Profile profile, FingerprintKey key)
            throws Unreadable {
        String where = CONFIG_MAP_NAMESPACE + "/" + CONFIG_MAP_NAME + " → " + CONFIG_FILE_KEY + " → "
                + String.join(".", profile.jwtSecretPath());
        if (kubesphereYaml == null || kubesphereYaml.isBlank()) {
            throw new Unreadable(CONFIG_MAP_NAMESPACE + "/" + CONFIG_MAP_NAME + " has no " + CONFIG_FILE_KEY);
        }
        JsonNode node;
        try {
            node = YAML.readTree(kubesphereYaml);
        } catch (Exception e) {
            // Jackson's message may quote the document: say where, not what.
            throw new Unreadable(CONFIG_FILE_KEY + " in " + CONFIG_MAP_NAMESPACE + "/" + CONFIG_MAP_NAME
                    + " is not valid YAML");
        }
        for (String step : profile.jwtSecretPath()) {
            node = node == null ? null : node.get(step);
        }
        if (node == null || node.isNull()) {
            throw new Unreadable(where + " is not set (is this a " + profile.configName() + " cluster?)");
        }
        if (!node.isValueNode()) {
            throw new Unreadable(where + " is not a string");
        }
        byte[] secret = node.asText().getBytes(StandardCharsets.UTF_8);
        try {
            if (secret.length == 0) {
                throw new Unreadable(where + " is empty (KubeSphere then generates a random one at install,"
                        + " which no other cluster shares)");
            }
            return key.fingerprint(secret);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /** The process's random HMAC key. One per daemon; never stored or logged. */
    public static final class FingerprintKey {
        private final SecretKeySpec key;

        private FingerprintKey(byte[] bytes) {
            this.key = new SecretKeySpec(bytes, "HmacSHA256");
        }

        public static FingerprintKey random() {
            byte[] bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
            return new FingerprintKey(bytes);
        }

        Fingerprint fingerprint(byte[] secret) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return new Fingerprint(mac.doFinal(secret));
            } catch (NoSuchAlgorithmException | InvalidKeyException e) {
                throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
            }
        }

        @Override
        public String toString() {
            return "FingerprintKey[hidden]";
        }
    }

    /** A keyed fingerprint of a jwtSecret; compared in constant time. */
    public static final class Fingerprint {
        private final byte[] mac;

        private Fingerprint(byte[] mac) {
            this.mac = mac;
        }

        /** Same secret (under the same key): compared in time independent of where they differ. */
        public boolean matches(Fingerprint other) {
            return other != null && MessageDigest.isEqual(mac, other.mac);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Fingerprint f && matches(f);
        }

        @Override
        public int hashCode() {
            return 0; // deliberately uninformative
        }

        @Override
        public String toString() {
            return "Fingerprint[hidden]";
        }
    }
}
