package io.postilion.transport.testserver;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** A self-signed server certificate made once per test JVM, and the server SslContext on it. */
public final class TestCertificates {

    private static volatile SslContext server;

    private TestCertificates() {
    }

    public static synchronized SslContext serverContext() {
        if (server == null) {
            try {
                X509Bundle bundle = new CertificateBuilder()
                        .subject("CN=fake.test")
                        .addSanDnsName("fake.test")
                        .notBefore(Instant.now().minus(1, ChronoUnit.DAYS))
                        .notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                        .ecp256()
                        .setIsCertificateAuthority(true)
                        .buildSelfSigned();
                server = SslContextBuilder.forServer(bundle.toKeyManagerFactory()).build();
            } catch (Exception e) {
                throw new IllegalStateException("cannot make the test certificate", e);
            }
        }
        return server;
    }
}
