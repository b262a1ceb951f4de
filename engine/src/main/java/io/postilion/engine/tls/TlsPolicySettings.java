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
 * @param ciphers main.cf's protocols and ciphers per level (TLS-6, TLS-26, TLS-27)
 * @param requireTls REQUIRETLS and "TLS-Required: no" (TLS-19, TLS-20)
 */
public record TlsPolicySettings(TlsLevel level, boolean wrapperMode, ServerVerification verification, String serverName,
        TlsCipherSettings ciphers, RequireTlsSettings requireTls) {

    /** TLS off: Postfix's behaviour with an empty level and no table. */
    public static final TlsPolicySettings NONE = new TlsPolicySettings(TlsLevel.NONE, false, ServerVerification.NONE, "",
            TlsCipherSettings.DEFAULTS, RequireTlsSettings.DEFAULTS);

    public TlsPolicySettings {
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(verification, "verification");
        Objects.requireNonNull(serverName, "serverName");
        Objects.requireNonNull(ciphers, "ciphers");
        Objects.requireNonNull(requireTls, "requireTls");
    }

    public TlsPolicySettings withServerName(String name) {
        return new TlsPolicySettings(level, wrapperMode, verification, name, ciphers, requireTls);
    }
}
