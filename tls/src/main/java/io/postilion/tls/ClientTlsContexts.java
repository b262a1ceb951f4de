package io.postilion.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
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
 */
public final class ClientTlsContexts {

    private static final Logger log = LoggerFactory.getLogger(ClientTlsContexts.class);
    private static volatile boolean warned;
    /** Every level uses the same context; built once, as building one costs milliseconds. */
    private static volatile SslContext unauthenticated;

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
     * The context for an implemented level other than none, shared by every session: it
     * authenticates nothing itself; a verifying level checks the certificate after the handshake.
     *
     * @throws IllegalArgumentException for level none or a level not implemented
     */
    public static SslContext unauthenticated(TlsLevel level) {
        if (level == TlsLevel.NONE || !level.implemented()) {
            throw new IllegalArgumentException("no TLS context for level " + level.configName());
        }
        SslContext ctx = unauthenticated;
        if (ctx == null) {
            synchronized (ClientTlsContexts.class) {
                ctx = unauthenticated;
                if (ctx == null) {
                    ctx = buildUnauthenticated();
                    unauthenticated = ctx;
                }
            }
        }
        return ctx;
    }

    private static SslContext buildUnauthenticated() {
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(provider())
                    .trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build a client TLS context: " + e.getMessage(), e);
        }
    }
}
