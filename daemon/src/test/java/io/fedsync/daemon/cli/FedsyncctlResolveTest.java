package io.fedsync.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.daemon.http.ApiAuth;
import io.fedsync.daemon.http.ApiServer;
import io.fedsync.daemon.http.ApiToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fedsyncctl resolve and conflict against a real HTTP API that wants a token (over a fake mirror). */
class FedsyncctlResolveTest {

    private static final String TOKEN = "ctl-" + "ab12".repeat(8);

    @TempDir
    Path dir;

    private final FakeMirrorService mirror = new FakeMirrorService();
    private ApiServer server;
    private String url;
    private Path tokenFile;

    @BeforeEach
    void start() throws Exception {
        ListenAddress listen = new ListenAddress("127.0.0.1", 0);
        server = ApiServer.start(mirror, listen, () -> null, null, "a", Optional::empty,
                ApiAuth.of(ApiToken.of(Path.of("api.token"), TOKEN), listen));
        url = "http://127.0.0.1:" + server.port();
        tokenFile = Files.writeString(dir.resolve("api.token"), TOKEN + "\n");
        mirror.conflicts.add(io.fedsync.daemon.http.ResolveRoutesAccess.userConflict("c1", "a@163.com", "b@163.com"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static CtlRun run(Map<String, String> env, String... args) {
        return CtlRun.run(TOKEN, env, args);
    }

    @Test
    void conflictShowsTheSidesAndTheDiff() {
        CtlRun r = run(Map.of(), "--server", url, "conflict", "c1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("ID:        c1", "STATE:     open", "CLUSTER  REVISION", "FIELD        HOST",
                "/spec/email  a@163.com  b@163.com");
        CtlRun json = run(Map.of(), "--server", url, "conflict", "c1", "-o", "json");
        assertThat(json.out()).contains("\"diff\"", "\"path\" : \"/spec/email\"");
        assertThat(run(Map.of(), "--server", url, "conflict", "nope").code()).isEqualTo(Fedsyncctl.REFUSED);
    }

    @Test
    void resolveSendsTheTokenFromTheOptionOrTheEnvironment() {
        CtlRun without = run(Map.of(), "--server", url, "resolve", "c1", "--winner", "host");
        assertThat(without.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(without.err()).contains("401");
        assertThat(mirror.resolutions).isEmpty();

        CtlRun r = run(Map.of(), "resolve", "c1", "--winner", "host2", "--server", url, "--token-file",
                tokenFile.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("conflict c1 on /registry/iam.kubesphere.io/users/xxp resolved: host2 wins\n");

        mirror.conflicts.add(io.fedsync.daemon.http.ResolveRoutesAccess.userConflict("c2", "x", "y"));
        CtlRun env = run(Map.of("FEDSYNC_TOKEN_FILE", tokenFile.toString()), "--server", url, "resolve", "c2", "--delete");
        assertThat(env.code()).as(env.err()).isZero();
        assertThat(mirror.resolutions).containsExactly("c1 winner api", "c2 delete api");
    }

    @Test
    void aValueFileMayBeYaml() throws Exception {
        Path value = Files.writeString(dir.resolve("xxp.yaml"), """
                apiVersion: iam.kubesphere.io/v1alpha2
                kind: User
                metadata:
                  name: xxp
                spec:
                  email: op@163.com
                """);
        CtlRun r = run(Map.of(), "--server", url, "--token-file", tokenFile.toString(), "resolve", "c1",
                "--value-file", value.toString(), "-o", "yaml");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("how: \"value\"");
        assertThat(mirror.resolutions).containsExactly("c1 value api");
    }

    @Test
    void usageErrorsExit2AndSendNothing() throws Exception {
        assertThat(run(Map.of(), "--server", url, "resolve", "c1").code()).isEqualTo(Fedsyncctl.USAGE);
        assertThat(run(Map.of(), "--server", url, "resolve", "c1", "--winner", "host", "--delete").code())
                .isEqualTo(Fedsyncctl.USAGE);
        CtlRun missing = run(Map.of(), "--server", url, "--token-file", dir.resolve("absent").toString(), "resolve",
                "c1", "--winner", "host");
        assertThat(missing.code()).isEqualTo(Fedsyncctl.USAGE);
        assertThat(missing.err()).contains("cannot read the token file", "no such file");
        Path notAnObject = Files.writeString(dir.resolve("list.json"), "[1, 2]");
        assertThat(run(Map.of(), "--server", url, "--token-file", tokenFile.toString(), "resolve", "c1",
                "--value-file", notAnObject.toString()).code()).isEqualTo(Fedsyncctl.USAGE);
        assertThat(mirror.resolutions).isEmpty();
    }
}
