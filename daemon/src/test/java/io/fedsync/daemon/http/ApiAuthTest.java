package io.fedsync.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedsync.daemon.config.ListenAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ApiAuthTest {

    private static final String TOKEN = "0123456789abcdef0123456789abcdef";
    private static final ApiToken API_TOKEN = ApiToken.of(Path.of("/etc/fedsync/api.token"), TOKEN);

    @Test
    void withATokenFileOnlyTheRightBearerTokenPasses() {
        ApiAuth auth = ApiAuth.of(API_TOKEN, new ListenAddress("0.0.0.0", 8080));

        assertThat(auth.check("Bearer " + TOKEN)).isEmpty();
        assertThat(auth.check("bearer   " + TOKEN + " ")).as("scheme case and spaces").isEmpty();
        assertThat(auth.check(null)).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(401));
        assertThat(auth.check("")).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(401));
        assertThat(auth.check("Basic " + TOKEN)).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(401));
        assertThat(auth.check("Bearer " + TOKEN + "0")).hasValueSatisfying(r -> {
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.message()).doesNotContain(TOKEN);
        });
        assertThat(auth.check("Bearer " + TOKEN.substring(1))).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(403));
        assertThat(auth.describe()).contains("/etc/fedsync/api.token").doesNotContain(TOKEN);
        assertThat(API_TOKEN.toString()).doesNotContain(TOKEN);
    }

    @Test
    void aTokenFileAppliesOnLoopbackToo() {
        ApiAuth auth = ApiAuth.of(API_TOKEN, new ListenAddress("127.0.0.1", 8080));
        assertThat(auth.check(null)).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(401));
        assertThat(auth.check("Bearer " + TOKEN)).isEmpty();
    }

    @Test
    void withoutATokenFileLoopbackIsOpenAndAnythingElseRefusedSayingWhatToSet() {
        assertThat(ApiAuth.of(null, new ListenAddress("127.0.0.1", 8080)).check(null)).isEmpty();
        assertThat(ApiAuth.of(null, new ListenAddress("::1", 8080)).check(null)).isEmpty();
        assertThat(ApiAuth.of(null, new ListenAddress("localhost", 8080)).check(null)).isEmpty();
        ApiAuth open = ApiAuth.of(null, new ListenAddress("0.0.0.0", 8080));
        assertThat(open.check("Bearer anything")).hasValueSatisfying(r -> {
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.message()).contains("set http.tokenFile");
        });
        assertThat(ApiAuth.of(null, new ListenAddress("10.0.0.11", 8080)).check(null)).isPresent();
        assertThat(open.describe()).contains("refused (403)", "http.tokenFile");
        assertThat(ApiAuth.of(null, new ListenAddress("127.0.0.1", 8080)).describe()).contains("loopback");
    }
}
