package io.postilion.transport.testserver;

import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** A self-signed server certificate made once per test JVM, and the server SslContext on it. */
public final class TestCertificates {

    private static volatile SslContext server;
    private static volatile X509Bundle bundle;

    private TestCertificates() {
    }

    private static synchronized X509Bundle bundle() {
        if (bundle == null) {
            try {
                bundle = new CertificateBuilder()
                        .subject("CN=fake.test")
                        .addSanDnsName("fake.test")
                        .notBefore(Instant.now().minus(1, ChronoUnit.DAYS))
                        .notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                        .ecp256()
                        .setIsCertificateAuthority(true)
                        .buildSelfSigned();
            } catch (Exception e) {
                throw new IllegalStateException("cannot make the test certificate", e);
            }
        }
        return bundle;
    }

    public static synchronized SslContext serverContext() {
        if (server == null) {
            try {
                server = SslContextBuilder.forServer(bundle().toKeyManagerFactory()).build();
            } catch (Exception e) {
                throw new IllegalStateException("cannot make the test certificate", e);
            }
        }
        return server;
    }

    /**
     * A BoringSSL server context on the same (ECDSA) certificate that speaks only {@code protocols}
     * and, for TLS 1.2 and older, only {@code suites} (OpenSSL names): a server whose choices a
     * client's protocol and cipher settings must meet (TLS-26, TLS-27).
     */
    public static SslContext serverContext(List<String> protocols, List<String> suites) {
        try {
            java.util.List<String> names = new java.util.ArrayList<>(suites);
            if (protocols.contains("TLSv1.3")) {
                names.addAll(List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"));
            }
            return SslContextBuilder.forServer(bundle().toKeyManagerFactory())
                    .sslProvider(SslProvider.OPENSSL)
                    .protocols(protocols)
                    .ciphers(names, IdentityCipherSuiteFilter.INSTANCE)
                    .build();
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the test server context", e);
        }
    }
}
