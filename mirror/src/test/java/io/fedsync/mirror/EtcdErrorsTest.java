package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.common.exception.EtcdExceptionFactory;
import io.grpc.Status;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** What jetcd, gRPC and the JDK throw, as one line an operator can act on. */
class EtcdErrorsTest {

    private static SSLHandshakeException handshake(String message, Throwable cause) {
        SSLHandshakeException e = new SSLHandshakeException(message);
        e.initCause(cause);
        return e;
    }

    @Test
    void aRefusedConnectionInsideGrpcAndFutureWrappersIsSaidPlainly() {
        Throwable grpc = Status.UNAVAILABLE.withDescription("io exception")
                .withCause(new ConnectException("Connection refused: /127.0.0.1:2379")).asRuntimeException();

        assertThat(EtcdErrors.describe(new ExecutionException(new CompletionException(grpc))))
                .isEqualTo("cannot connect to etcd: connection refused: /127.0.0.1:2379");
    }

    @Test
    void tlsFailuresSayWhatFailed() {
        Throwable unknownCa = Status.UNAVAILABLE.withDescription("io exception").withCause(handshake(
                "PKIX path building failed", new CertificateException("PKIX path building failed",
                        new CertPathValidatorException("unable to find valid certification path to requested target"))))
                .asRuntimeException();
        assertThat(EtcdErrors.describe(unknownCa)).isEqualTo("TLS handshake failed: etcd's certificate is not signed by "
                + "a CA in caFile (unable to find valid certification path to requested target)");

        assertThat(EtcdErrors.describe(handshake("No subject alternative names matching IP address 10.0.0.1 found",
                null))).isEqualTo("TLS handshake failed: name mismatch: No subject alternative names matching IP "
                + "address 10.0.0.1 found");
        assertThat(EtcdErrors.describe(handshake("Received fatal alert: bad_certificate", null)))
                .isEqualTo("TLS handshake failed: etcd rejected the client certificate (Received fatal alert: "
                        + "bad_certificate)");
        assertThat(EtcdErrors.describe(handshake("Received fatal alert: certificate_required", null)))
                .isEqualTo("TLS handshake failed: etcd requires a client certificate (set certFile and keyFile)");
    }

    @Test
    void grpcStatusesAreWordedForOperators() {
        assertThat(EtcdErrors.describe(Status.RESOURCE_EXHAUSTED.withDescription("etcdserver: request is too large")
                .asRuntimeException())).isEqualTo("etcd refused the request as too large or over quota: etcdserver: "
                + "request is too large");
        assertThat(EtcdErrors.describe(Status.DEADLINE_EXCEEDED.asRuntimeException()))
                .isEqualTo("etcd did not answer before the deadline");
        assertThat(EtcdErrors.describe(Status.PERMISSION_DENIED.withDescription("etcdserver: permission denied")
                .asException())).isEqualTo("etcd denied permission: etcdserver: permission denied");
        assertThat(EtcdErrors.describe(EtcdExceptionFactory.toEtcdException(
                Status.UNAVAILABLE.withDescription("etcdserver: leader changed"))))
                .isEqualTo("etcd unavailable: etcdserver: leader changed");
    }

    @Test
    void jetcdCompactionAndTimeoutsAndUnknownHosts() {
        assertThat(EtcdErrors.describe(EtcdExceptionFactory.newCompactedException(42)))
                .startsWith("etcd has compacted the requested revision");
        assertThat(EtcdErrors.describe(new TimeoutException("etcd of host did not answer within 5000 ms")))
                .isEqualTo("etcd of host did not answer within 5000 ms");
        assertThat(EtcdErrors.describe(new RuntimeException(new UnknownHostException("etcd.invalid"))))
                .isEqualTo("cannot resolve etcd's host name etcd.invalid");
    }

    @Test
    void anythingElseIsItsClassAndMessageOnOneLine() {
        assertThat(EtcdErrors.describe(new IllegalStateException("first line\n\tsecond line\r\nthird")))
                .isEqualTo("IllegalStateException: first line second line third");
        assertThat(EtcdErrors.describe(new NullPointerException())).isEqualTo("NullPointerException");
        assertThat(EtcdErrors.describe(null)).isEqualTo("unknown error");
        assertThat(EtcdErrors.describe(new IllegalStateException("x".repeat(2000)))).hasSize(500).endsWith("…");
    }
}
