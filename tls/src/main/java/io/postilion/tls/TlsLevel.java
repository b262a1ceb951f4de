package io.postilion.tls;

import java.util.Locale;
import java.util.Optional;

/**
 * Postfix's client TLS security levels ({@code smtp_tls_security_level}), in the order of TLS-1's
 * ladder. All but dane and dane-only are implemented; those are named here so configuration can
 * say why it refuses them.
 */
public enum TlsLevel {
    /** No TLS, even when STARTTLS is offered. */
    NONE("none", true),
    /** Opportunistic: STARTTLS when offered, plaintext otherwise; no certificate check. */
    MAY("may", true),
    /** Mandatory encryption, no certificate check; no TLS means no mail. */
    ENCRYPT("encrypt", true),
    /** Mandatory TLS; the leaf certificate or its public key must have a listed digest (TLS-28). */
    FINGERPRINT("fingerprint", true),
    DANE("dane", false),
    DANE_ONLY("dane-only", false),
    /** Mandatory TLS; the chain must be trusted and the certificate match smtp_tls_verify_cert_match (TLS-5). */
    VERIFY("verify", true),
    /** As verify, matched against smtp_tls_secure_cert_match: by default the next-hop domain, not the MX name. */
    SECURE("secure", true);

    private final String configName;
    private final boolean implemented;

    TlsLevel(String configName, boolean implemented) {
        this.configName = configName;
        this.implemented = implemented;
    }

    /** The name as written in main.cf. */
    public String configName() {
        return configName;
    }

    public boolean implemented() {
        return implemented;
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

    /** Reads a main.cf value; empty when the word is not a level. */
    public static Optional<TlsLevel> parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (TlsLevel l : values()) {
            if (l.configName.equals(v)) {
                return Optional.of(l);
            }
        }
        return Optional.empty();
    }
}
