package io.fedsync.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** One in-process fedsyncctl run for tests: its exit code and output, which must never show {@code secret}. */
record CtlRun(int code, String out, String err) {

    static CtlRun run(String secret, Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Fedsyncctl.run(args, new PrintWriter(out), new PrintWriter(err), env);
        CtlRun r = new CtlRun(code, out.toString(), err.toString());
        assertThat(r.out() + r.err()).as("the token is never printed").doesNotContain(secret);
        return r;
    }
}
