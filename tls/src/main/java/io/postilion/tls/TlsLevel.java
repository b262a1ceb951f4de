package io.postilion.tls;

import java.util.Locale;
import java.util.Optional;

/**
 * Postfix's client TLS security levels ({@code smtp_tls_security_level}), weakest first. Only
 * none, may and encrypt are implemented so far; the verifying levels (dane, dane-only,
 * fingerprint, verify, secure) are named here so configuration can say why it refuses them.
 */
public enum TlsLevel {
    /** No TLS, even when STARTTLS is offered. */
    NONE("none", true),
    /** Opportunistic: STARTTLS when offered, plaintext otherwise; no certificate check. */
    MAY("may", true),
    /** Mandatory encryption, no certificate check; no TLS means no mail. */
    ENCRYPT("encrypt", true),
    DANE("dane", false),
    DANE_ONLY("dane-only", false),
    FINGERPRINT("fingerprint", false),
    VERIFY("verify", false),
    SECURE("secure", false);

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
