package io.postilion.tls;

import java.util.Locale;

/**
 * Postfix's cipher grades ({@code smtp_tls_ciphers}, {@code smtp_tls_mandatory_ciphers}, the policy
 * table's {@code ciphers=}; TLS-27, Postfix's tls_cipher_grade in src/tls/tls_misc.c). {@code low}
 * and {@code export} are accepted and mean {@code medium}, as in Postfix 3.x where OpenSSL no longer
 * has weaker suites.
 */
public enum CipherGrade {
    /** OpenSSL's HIGH: AES and ChaCha20 suites, no 3DES. */
    HIGH,
    /** OpenSSL's HIGH:MEDIUM: also 3DES where the library still has it; Postfix's default. */
    MEDIUM,
    /** Authentication without encryption (eNULL suites): BoringSSL has none, so it cannot be honoured. */
    NULL;

    /**
     * Reads a grade.
     *
     * @throws IllegalArgumentException for a word that is not a grade
     */
    public static CipherGrade parse(String value) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "high":
                return HIGH;
            case "medium", "low", "export":
                return MEDIUM;
            case "null":
                return NULL;
            default:
                throw new IllegalArgumentException("invalid cipher grade \"" + value.trim() + "\"");
        }
    }

    /** The name as written in main.cf. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
