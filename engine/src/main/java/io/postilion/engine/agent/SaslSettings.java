package io.postilion.engine.agent;

import io.postilion.engine.config.LookupTable;
import io.postilion.transport.sasl.SaslSecurityOption;
import java.util.Objects;
import java.util.Set;

/**
 * The client SASL parameters (spec section 9; the lmtp_ twins for LMTP), checked at start-up.
 *
 * @param enabled smtp_sasl_auth_enable (no)
 * @param passwords smtp_sasl_password_maps: keys are a sender, a server host name or a next hop;
 *     values {@code user:password}
 * @param delimiter smtp_sasl_password_result_delimiter (:): where user name and password part
 * @param senderDependent smtp_sender_dependent_authentication (no; SMTP only)
 * @param filter smtp_sasl_mechanism_filter
 * @param plaintextOptions smtp_sasl_security_options (noplaintext, noanonymous): without TLS
 * @param tlsOptions smtp_sasl_tls_security_options ($smtp_sasl_security_options): over TLS
 * @param verifiedOptions smtp_sasl_tls_verified_security_options ($smtp_sasl_tls_security_options):
 *     over TLS whose server certificate was matched (SASL-4)
 * @param softBounce smtp_sasl_auth_soft_bounce (yes): a 5xx to AUTH defers instead of bouncing
 * @param sendAuthzid send_cyrus_sasl_authzid (no)
 * @param sendDummyMailAuth smtp_send_dummy_mail_auth (no): {@code AUTH=<>} on MAIL FROM once authenticated
 */
public record SaslSettings(boolean enabled, LookupTable passwords, char delimiter, boolean senderDependent,
        MechanismFilter filter, Set<SaslSecurityOption> plaintextOptions, Set<SaslSecurityOption> tlsOptions,
        Set<SaslSecurityOption> verifiedOptions, boolean softBounce, boolean sendAuthzid, boolean sendDummyMailAuth) {

    public SaslSettings {
        Objects.requireNonNull(passwords, "passwords");
        Objects.requireNonNull(filter, "filter");
        plaintextOptions = Set.copyOf(plaintextOptions);
        tlsOptions = Set.copyOf(tlsOptions);
        verifiedOptions = Set.copyOf(verifiedOptions);
    }

    /** SASL off, as Postfix ships. */
    public static SaslSettings disabled() {
        Set<SaslSecurityOption> defaults = Set.of(SaslSecurityOption.NOPLAINTEXT, SaslSecurityOption.NOANONYMOUS);
        return new SaslSettings(false, LookupTable.empty(), ':', false, MechanismFilter.none(), defaults, defaults, defaults, true,
                false, false);
    }
}
