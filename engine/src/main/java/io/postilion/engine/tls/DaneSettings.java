package io.postilion.engine.tls;

import io.postilion.tls.DaneDigests;
import io.postilion.tls.TlsLevel;
import java.util.Objects;

/**
 * The main.cf side of DANE (TLS-8; Postfix's dane_init in smtp_tls_policy.c), read once at
 * start-up.
 *
 * @param incompatible empty when the lookup settings allow DANE; else why not, in Postfix's words
 *     ("with dnssec lookups disabled", "with MX lookup errors ignored", "with dns resolver options
 *     incompatible with DANE"): smtp_dns_support_level is not dnssec or smtp_host_lookup lacks dns,
 *     ignore_mx_lookup_error = yes (SMTP), or smtp_dns_resolver_options has res_defnames/res_dnsrch
 * @param insecureMxPolicy smtp_tls_dane_insecure_mx_policy (dane): may, encrypt or dane
 * @param forceInsecureHostTlsaLookup smtp_tls_force_insecure_host_tlsa_lookup (no)
 * @param digests tls_dane_digests (sha512 sha256)
 */
public record DaneSettings(String incompatible, TlsLevel insecureMxPolicy, boolean forceInsecureHostTlsaLookup,
        DaneDigests digests) {

    /** Postfix's defaults, for a resolver set up for DNSSEC. */
    public static final DaneSettings DEFAULT = new DaneSettings("", TlsLevel.DANE, false, DaneDigests.DEFAULT);

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
