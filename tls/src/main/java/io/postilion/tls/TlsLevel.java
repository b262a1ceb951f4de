package io.postilion.tls;

import java.util.Locale;
import java.util.Optional;

/**
 * Postfix's client TLS security levels ({@code smtp_tls_security_level}), in the order of TLS-1's
 * ladder. halfdane is TLS-8's computed level, which no configuration may name (TLS-4).
 */
public enum TlsLevel {
    /** No TLS, even when STARTTLS is offered. */
    NONE("none"),
    /** Opportunistic: STARTTLS when offered, plaintext otherwise; no certificate check. */
    MAY("may"),
    /** Mandatory encryption, no certificate check; no TLS means no mail. */
    ENCRYPT("encrypt"),
    /** Mandatory TLS; the leaf certificate or its public key must have a listed digest (TLS-28). */
    FINGERPRINT("fingerprint"),
    /**
     * Computed only (TLS-8), never configured: dane for a server whose MX RRset was not
     * DNSSEC-validated but whose TLSA records are usable; the records are enforced, and a match is
     * logged as "Trusted", not "Verified".
     */
    HALFDANE("halfdane"),
    /** DANE (RFC 7672): TLSA records authenticate the server when usable ones exist, else may or encrypt. */
    DANE("dane"),
    /** DANE or nothing: a server without usable TLSA records is not used. */
    DANE_ONLY("dane-only"),
    /** Mandatory TLS; the chain must be trusted and the certificate match smtp_tls_verify_cert_match (TLS-5). */
    VERIFY("verify"),
    /** As verify, matched against smtp_tls_secure_cert_match: by default the next-hop domain, not the MX name. */
    SECURE("secure");

    private final String configName;

    TlsLevel(String configName) {
        this.configName = configName;
    }

    /** The name as written in main.cf. */
    public String configName() {
        return configName;
    }

    /** Whether TLS must be used at this level (a failure to start it fails the server). */
    public boolean requiresTls() {
        return compareTo(ENCRYPT) >= 0;
    }

    /**
     * TLS-1's "certificate must match": every level above encrypt. A session at such a level that
     * did not match the certificate is not used (TLS-13).
     */
    public boolean mustMatch() {
        return compareTo(ENCRYPT) > 0;
    }

    /** Whether this is one of the levels TLSA records decide (dane, dane-only, and the computed halfdane). */
    public boolean dane() {
        return this == HALFDANE || this == DANE || this == DANE_ONLY;
    }

    /** Reads a main.cf value; empty when the word is not a level (halfdane is computed, never written). */
    public static Optional<TlsLevel> parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (TlsLevel l : values()) {
            if (l != HALFDANE && l.configName.equals(v)) {
                return Optional.of(l);
            }
        }
        return Optional.empty();
    }
}
