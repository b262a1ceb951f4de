package io.postilion.tls;

import io.netty.handler.ssl.SslContext;
import java.util.Objects;

/**
 * The TLS policy in force for one server, computed before the connection is made (TLS-3: the
 * global level, the policy table, DANE, then the defaults). The session follows it and knows
 * nothing of where it came from: the level decides whether STARTTLS is sent and required
 * (TLS-9), the context carries protocols and ciphers (TLS-26, TLS-27), the server name is the SNI
 * (TLS-17, the TLSA base domain with DANE), and the check judges the certificate (TLS-13).
 *
 * @param level the effective level (halfdane only as DANE computes it)
 * @param context the client context; null at level none
 * @param serverName the SNI in A-label form; null to send none
 * @param peerCheck what the certificate must satisfy
 * @param connectionReuse smtp_tls_connection_reuse or the policy's connection_reuse (TLS-21)
 * @param requireTls how the message's REQUIRETLS request is enforced here (TLS-19)
 */
public record TlsPolicy(TlsLevel level, SslContext context, String serverName, PeerCheck peerCheck,
        boolean connectionReuse, RequireTls requireTls) {

    /** No TLS at all. */
    public static final TlsPolicy NONE = new TlsPolicy(TlsLevel.NONE, null, null, PeerCheck.NOTHING, false);

    /** A policy for a message without REQUIRETLS. */
    public TlsPolicy(TlsLevel level, SslContext context, String serverName, PeerCheck peerCheck, boolean connectionReuse) {
        this(level, context, serverName, peerCheck, connectionReuse, RequireTls.NONE);
    }

    public TlsPolicy {
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(peerCheck, "peerCheck");
        Objects.requireNonNull(requireTls, "requireTls");
        if (level != TlsLevel.NONE && context == null) {
            throw new IllegalArgumentException("TLS level " + level.configName() + " needs a client SslContext");
        }
    }

    /** The same policy with {@code r} as the REQUIRETLS action. */
    public TlsPolicy withRequireTls(RequireTls r) {
        return new TlsPolicy(level, context, serverName, peerCheck, connectionReuse, r);
    }

    /**
     * The same policy at level none: TLS-11's one plaintext retry, which a REQUIRETLS request that
     * needs TLS forbids (TLS-19).
     *
     * @throws IllegalStateException when REQUIRETLS requires TLS here
     */
    public TlsPolicy plaintext() {
        if (requireTls.requiresTls()) {
            throw new IllegalStateException("REQUIRETLS (" + requireTls + ") forbids a plaintext retry");
        }
        return NONE.withRequireTls(requireTls);
    }

    /** The same policy with {@code name} as SNI (null: none). */
    public TlsPolicy withServerName(String name) {
        return new TlsPolicy(level, context, name, peerCheck, connectionReuse, requireTls);
    }
}
