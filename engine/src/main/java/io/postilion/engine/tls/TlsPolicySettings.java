package io.postilion.engine.tls;

import io.postilion.tls.ServerVerification;
import io.postilion.tls.TlsLevel;
import java.util.Objects;

/**
 * What the policy of every server starts from: the main.cf side of TLS-3 (under the lmtp_ names
 * in LMTP mode). Immutable; built by the agent's configuration.
 *
 * @param level smtp_tls_security_level (TLS-2)
 * @param wrapperMode smtp_tls_wrappermode (TLS-14)
 * @param verification the CAs and match lists the verifying levels use (TLS-7, TLS-24)
 * @param serverName smtp_tls_servername (TLS-17): empty for no SNI, {@code hostname},
 *     {@code nexthop}, or a DNS name
 * @param dane the DANE parameters and whether the lookup settings allow DANE (TLS-8)
 * @param sources the policy tables and the defaults of the other levels (TLS-3 steps 3-6)
 * @param ciphers main.cf's protocols and ciphers per level (TLS-6, TLS-26, TLS-27)
 * @param requireTls REQUIRETLS and "TLS-Required: no" (TLS-19, TLS-20)
 * @param connectionReuse smtp_tls_connection_reuse (no): whether a TLS session may be parked in the
 *     connection cache (TLS-21)
 * @param wrapperParameter the name wrapper mode was set by (smtp_tls_wrappermode or its lmtp_ twin),
 *     for TLS-14's warning
 * @param levelParameter the name of the level parameter, for the same warning
 */
public record TlsPolicySettings(TlsLevel level, boolean wrapperMode, ServerVerification verification, String serverName,
        DaneSettings dane, TlsPolicySources sources, TlsCipherSettings ciphers, RequireTlsSettings requireTls,
        boolean connectionReuse, String wrapperParameter, String levelParameter) {

    /** TLS off: Postfix's behaviour with an empty level and no table. */
    public static final TlsPolicySettings NONE = new TlsPolicySettings(TlsLevel.NONE, false, ServerVerification.NONE, "");

    /**
     * The global level only: no tables, DANE's, the ciphers' and REQUIRETLS's defaults, no TLS
     * connection reuse, the smtp_ names.
     */
    public TlsPolicySettings(TlsLevel level, boolean wrapperMode, ServerVerification verification, String serverName) {
        this(level, wrapperMode, verification, serverName, DaneSettings.DEFAULT, TlsPolicySources.NONE,
                TlsCipherSettings.DEFAULTS, RequireTlsSettings.DEFAULTS, false, "smtp_tls_wrappermode",
                "smtp_tls_security_level");
    }

    public TlsPolicySettings {
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(verification, "verification");
        Objects.requireNonNull(serverName, "serverName");
        Objects.requireNonNull(dane, "dane");
        Objects.requireNonNull(sources, "sources");
        Objects.requireNonNull(ciphers, "ciphers");
        Objects.requireNonNull(requireTls, "requireTls");
        Objects.requireNonNull(wrapperParameter, "wrapperParameter");
        Objects.requireNonNull(levelParameter, "levelParameter");
    }

    public TlsPolicySettings withServerName(String name) {
        return new TlsPolicySettings(level, wrapperMode, verification, name, dane, sources, ciphers, requireTls,
                connectionReuse, wrapperParameter, levelParameter);
    }

    public TlsPolicySettings withDane(DaneSettings d) {
        return new TlsPolicySettings(level, wrapperMode, verification, serverName, d, sources, ciphers, requireTls,
                connectionReuse, wrapperParameter, levelParameter);
    }

    public TlsPolicySettings withSources(TlsPolicySources s) {
        return new TlsPolicySettings(level, wrapperMode, verification, serverName, dane, s, ciphers, requireTls,
                connectionReuse, wrapperParameter, levelParameter);
    }

    public TlsPolicySettings withCiphers(TlsCipherSettings c) {
        return new TlsPolicySettings(level, wrapperMode, verification, serverName, dane, sources, c, requireTls,
                connectionReuse, wrapperParameter, levelParameter);
    }

    public TlsPolicySettings withRequireTls(RequireTlsSettings r) {
        return new TlsPolicySettings(level, wrapperMode, verification, serverName, dane, sources, ciphers, r,
                connectionReuse, wrapperParameter, levelParameter);
    }
}
