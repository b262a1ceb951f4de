package io.postilion.tls;

import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the client's SslContexts on netty-tcnative's BoringSSL, falling back to the JDK's TLS
 * with one logged warning when the native library cannot load.
 *
 * <p>Every level shares one context that lets any certificate through the handshake: at may and
 * encrypt Postfix does not authenticate the server, and at verify and secure it lets the handshake
 * complete and judges the certificate afterwards (TLS-13), which {@link ServerVerification} does
 * with the CAs loaded at start-up. A handshake therefore never fails on the certificate.
 *
 * <p>What differs between contexts is the protocols and ciphers (TLS-6, TLS-26, TLS-27): one
 * context per distinct {@link TlsCipherPolicy}, built the first time it is asked for (the agent's
 * configuration asks for the main.cf ones at start-up) and kept, as building one costs milliseconds.
 */
public final class ClientTlsContexts {

    private static final Logger log = LoggerFactory.getLogger(ClientTlsContexts.class);
    private static volatile boolean warned;

    private ClientTlsContexts() {
    }

    /** BoringSSL when it loads, else the JDK provider. */
    public static SslProvider provider() {
        if (OpenSsl.isAvailable()) {
            return SslProvider.OPENSSL;
        }
        if (!warned) {
            warned = true;
            log.warn("BoringSSL (netty-tcnative) could not be loaded, using the JDK's TLS instead: {}",
                    String.valueOf(OpenSsl.unavailabilityCause()));
        }
        return SslProvider.JDK;
    }

    /**
     * The context for a level other than none with Postfix's default protocols and ciphers
     * ({@link TlsCipherPolicy#DEFAULT}).
     *
     * @throws IllegalArgumentException for level none
     */
    public static SslContext unauthenticated(TlsLevel level) {
        if (level == TlsLevel.NONE) {
            throw new IllegalArgumentException("no TLS context for level " + level.configName());
        }
        return forPolicy(TlsCipherPolicy.DEFAULT);
    }

    /**
     * The context offering exactly {@code policy}'s protocols and suites (TLS 1.3's fixed suites
     * whenever TLS 1.3 is allowed: grades do not restrict them); one per distinct policy.
     *
     * @throws IllegalArgumentException when the policy cannot be honoured (the null grade, an
     *     exclusion not understood, no suite left): the caller names the parameter or attribute
     */
    public static SslContext forPolicy(TlsCipherPolicy policy) {
        SslContext ctx = CONTEXTS.get(policy);
        if (ctx == null) {
            ctx = CONTEXTS.computeIfAbsent(policy, ClientTlsContexts::build);
        }
        return ctx;
    }

    /** The same as {@link #forPolicy(TlsCipherPolicy)} from its parts. */
    public static SslContext forPolicy(TlsProtocols protocols, CipherGrade grade, List<String> exclusions) {
        return forPolicy(new TlsCipherPolicy(protocols, grade, exclusions));
    }

    private static final Map<TlsCipherPolicy, SslContext> CONTEXTS = new ConcurrentHashMap<>();

    private static SslContext build(TlsCipherPolicy policy) {
        SslProvider provider = provider();
        SslContextBuilder b = SslContextBuilder.forClient()
                .sslProvider(provider)
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .protocols(policy.protocols().versions());
        if (policy.certificate() != null) {
            // TLS-25: offered only when the server sends a CertificateRequest, as any TLS client does
            b.keyManager(policy.certificate().key(), policy.certificate().chainArray());
        }
        if (provider == SslProvider.OPENSSL) {
            List<String> names = new ArrayList<>(policy.suites(List.copyOf(OpenSsl.availableOpenSslCipherSuites())));
            if (policy.protocols().tls13()) {
                names.addAll(CipherSuites.TLS13_SUITES); // without one, Netty turns TLS 1.3 off
            }
            b.ciphers(names, IdentityCipherSuiteFilter.INSTANCE);
        } else {
            // The JDK names suites differently and only serves when BoringSSL cannot load: check the
            // grade and exclusions anyway so a bad value is refused the same way, and keep the JDK's
            // own suites (forward-secret AEAD first).
            CipherSuites.exclude(CipherSuites.clientGrade(policy.grade(), List.of()), policy.exclusions());
        }
        try {
            return b.build();
        } catch (SSLException | RuntimeException e) {
            throw new IllegalArgumentException("cannot build a client TLS context for " + policy.protocols().versions()
                    + ", grade " + policy.grade().configName() + ": " + e.getMessage(), e);
        }
    }
}
