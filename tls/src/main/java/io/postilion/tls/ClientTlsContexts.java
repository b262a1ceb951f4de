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
 * <p>At the levels may and encrypt Postfix encrypts without authenticating the server (the
 * certificate is logged, not checked), so these contexts trust any certificate; the verifying
 * levels get their own trust rules when they are built.
 */
public final class ClientTlsContexts {

    private static final Logger log = LoggerFactory.getLogger(ClientTlsContexts.class);
    private static volatile boolean warned;
    /** may and encrypt use the same context; built once, as building one costs milliseconds. */
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
     * The context for an unauthenticated level (may, encrypt), shared by every session.
     *
     * @throws IllegalArgumentException for a level that needs certificate checks or no TLS at all
     */
    public static SslContext unauthenticated(TlsLevel level) {
        if (level != TlsLevel.MAY && level != TlsLevel.ENCRYPT) {
            throw new IllegalArgumentException("no unauthenticated TLS context for level " + level.configName());
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
