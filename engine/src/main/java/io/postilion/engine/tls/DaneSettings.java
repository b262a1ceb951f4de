package io.postilion.engine.tls;

import io.postilion.tls.DaneDigests;
import io.postilion.tls.TlsLevel;
import java.util.Objects;

/**
 * The main.cf side of DANE (TLS-8; Postfix's dane_init in smtp_tls_policy.c), read once at
 * start-up.
 *
 * @param incompatible {@link Incompatibility#NONE} when the lookup settings allow DANE; else why not
 * @param insecureMxPolicy smtp_tls_dane_insecure_mx_policy (dane): may, encrypt or dane
 * @param forceInsecureHostTlsaLookup smtp_tls_force_insecure_host_tlsa_lookup (no)
 * @param digests tls_dane_digests (sha512 sha256)
 */
public record DaneSettings(Incompatibility incompatible, TlsLevel insecureMxPolicy, boolean forceInsecureHostTlsaLookup,
        DaneDigests digests) {

    /** Postfix's defaults, for a resolver set up for DNSSEC. */
    public static final DaneSettings DEFAULT = new DaneSettings(Incompatibility.NONE, TlsLevel.DANE, false, DaneDigests.DEFAULT);

    /**
     * Lookup settings under which an AD bit proves nothing (Postfix's dane_init): DANE then falls
     * back to may, and dane-only is a configuration problem.
     */
    public enum Incompatibility {
        NONE,
        /** smtp_dns_support_level is not dnssec, or smtp_host_lookup lacks dns. */
        DNSSEC_OFF,
        /** ignore_mx_lookup_error = yes (SMTP): a failed MX lookup would be passed over. */
        MX_ERRORS_IGNORED,
        /** smtp_dns_resolver_options has res_defnames or res_dnsrch: names are no longer what DNS signed. */
        RESOLVER_OPTIONS;

        /** The warning for a next hop, in Postfix's words. */
        public String warning(String nexthop, TlsLevel level) {
            return switch (this) {
                case NONE -> throw new IllegalStateException("no incompatibility");
                case DNSSEC_OFF -> nexthop + ": " + level.configName() + " configured with dnssec lookups disabled";
                case MX_ERRORS_IGNORED -> nexthop + ": " + level.configName() + " configured with MX lookup errors ignored";
                case RESOLVER_OPTIONS -> nexthop + ": dns resolver options incompatible with " + level.configName() + " TLS";
            };
        }
    }

    public DaneSettings {
        Objects.requireNonNull(incompatible, "incompatible");
        Objects.requireNonNull(insecureMxPolicy, "insecureMxPolicy");
        Objects.requireNonNull(digests, "digests");
        if (insecureMxPolicy != TlsLevel.MAY && insecureMxPolicy != TlsLevel.ENCRYPT && insecureMxPolicy != TlsLevel.DANE) {
            throw new IllegalArgumentException("smtp_tls_dane_insecure_mx_policy is may, encrypt or dane, not "
                    + insecureMxPolicy.configName());
        }
    }
}
