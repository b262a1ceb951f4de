package io.postilion.engine.tls;

import java.util.Objects;

/**
 * RFC 8689's two switches on the client side (TLS-19, TLS-20), read from main.cf.
 *
 * @param requireTlsEnable requiretls_enable: honour a message's REQUIRETLS
 * @param policy smtp_requiretls_policy (lmtp_requiretls_policy): the action per destination
 * @param tlsRequiredEnable tls_required_enable: honour a "TLS-Required: no" header
 */
public record RequireTlsSettings(boolean requireTlsEnable, RequireTlsPolicy policy, boolean tlsRequiredEnable) {

    /** Postfix's defaults with an empty $mydomain. */
    public static final RequireTlsSettings DEFAULTS = new RequireTlsSettings(true, RequireTlsPolicy.computedDefault(""), true);

    public RequireTlsSettings {
        Objects.requireNonNull(policy, "policy");
    }
}
