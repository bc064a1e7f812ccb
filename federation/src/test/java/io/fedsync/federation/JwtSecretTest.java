package io.fedsync.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fedsync.federation.JwtSecret.Fingerprint;
import io.fedsync.federation.JwtSecret.FingerprintKey;
import org.junit.jupiter.api.Test;

class JwtSecretTest {

    private static final String SECRET = "s3cr3t-QmFzZTY0LXNlY3JldC12YWx1ZQ";
    private static final String OTHER = "an0ther-secret-value-entirely-different";

    private static String v3(String secret) {
        return "authentication:\n  authenticateRateLimiterMaxTries: 10\n  jwtSecret: \"" + secret + "\"\n"
                + "multicluster:\n  clusterRole: member\n";
    }

    private static String v4(String secret) {
        return "authentication:\n  issuer:\n    maximumClockSkew: 10s\n    jwtSecret: " + secret + "\n";
    }

    private final FingerprintKey key = FingerprintKey.random();

    @Test
    void theSameSecretMatchesAndAnotherDoesNot() throws Exception {
        Fingerprint a = JwtSecret.fingerprint(v3(SECRET), Profile.KUBESPHERE_V3, key);
        Fingerprint b = JwtSecret.fingerprint(v3(SECRET), Profile.KUBESPHERE_V3, key);
        Fingerprint c = JwtSecret.fingerprint(v3(OTHER), Profile.KUBESPHERE_V3, key);
        assertThat(a.matches(b)).isTrue();
        assertThat(a).isEqualTo(b);
        assertThat(a.matches(c)).isFalse();
        assertThat(a.matches(null)).isFalse();
    }

    @Test
    void v4ReadsTheIssuersSecret() throws Exception {
        assertThat(JwtSecret.fingerprint(v4(SECRET), Profile.KUBESPHERE_V4, key)
                .matches(JwtSecret.fingerprint(v3(SECRET), Profile.KUBESPHERE_V3, key))).isTrue();
        assertThatThrownBy(() -> JwtSecret.fingerprint(v3(SECRET), Profile.KUBESPHERE_V4, key))
                .isInstanceOf(JwtSecret.Unreadable.class)
                .hasMessageContaining("authentication.issuer.jwtSecret is not set");
    }

    @Test
    void fingerprintsUnderAnotherKeyDoNotMatch() throws Exception {
        // A fingerprint means nothing outside the process that made it.
        Fingerprint here = JwtSecret.fingerprint(v3(SECRET), Profile.KUBESPHERE_V3, key);
        Fingerprint elsewhere = JwtSecret.fingerprint(v3(SECRET), Profile.KUBESPHERE_V3, FingerprintKey.random());
        assertThat(here.matches(elsewhere)).isFalse();
    }

    @Test
    void nothingShowsTheSecret() throws Exception {
        Fingerprint f = JwtSecret.fingerprint(v3(SECRET), Profile.KUBESPHERE_V3, key);
        assertThat(f.toString()).doesNotContain(SECRET).isEqualTo("Fingerprint[hidden]");
        assertThat(key.toString()).isEqualTo("FingerprintKey[hidden]");
        assertThat(f.hashCode()).isZero();
    }

    @Test
    void missingEmptyOrMalformedSecretsAreNamedNeverQuoted() {
        assertThatThrownBy(() -> JwtSecret.fingerprint(v3(""), Profile.KUBESPHERE_V3, key))
                .hasMessageContaining("authentication.jwtSecret is empty");
        assertThatThrownBy(() -> JwtSecret.fingerprint("authentication: {}\n", Profile.KUBESPHERE_V3, key))
                .hasMessageContaining("kubesphere-system/kubesphere-config → kubesphere.yaml → authentication.jwtSecret"
                        + " is not set");
        assertThatThrownBy(() -> JwtSecret.fingerprint("", Profile.KUBESPHERE_V3, key))
                .hasMessageContaining("has no kubesphere.yaml");
        assertThatThrownBy(() -> JwtSecret.fingerprint("authentication:\n  jwtSecret: [" + SECRET + "\n  x: {",
                Profile.KUBESPHERE_V3, key))
                .isInstanceOf(JwtSecret.Unreadable.class)
                .hasMessageContaining("is not valid YAML")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
        assertThatThrownBy(() -> JwtSecret.fingerprint("authentication:\n  jwtSecret:\n    nested: " + SECRET + "\n",
                Profile.KUBESPHERE_V3, key))
                .hasMessageContaining("is not a string")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
    }
}
