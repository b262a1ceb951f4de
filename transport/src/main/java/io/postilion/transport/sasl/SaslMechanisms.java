package io.postilion.transport.sasl;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The mechanisms this port speaks and how one is chosen (SASL-13): from the server's offer, after
 * smtp_sasl_mechanism_filter (the caller's), those the channel's security options allow, by the
 * properties Cyrus's plugins declare; then the first in the order SCRAM-SHA-256, SCRAM-SHA-1,
 * CRAM-MD5, PLAIN, LOGIN, whatever order the server listed them in. XOAUTH2 carries a bearer
 * token, not a password, so it is considered only when the filter names it (CLARIFICATIONS 42),
 * and then before the others.
 */
public final class SaslMechanisms {

    private SaslMechanisms() {
    }

    /** One known mechanism: its name and the options that rule it out. */
    private enum Known {
        XOAUTH2(EnumSet.of(SaslSecurityOption.NOPLAINTEXT, SaslSecurityOption.NOACTIVE, SaslSecurityOption.NODICTIONARY,
                SaslSecurityOption.MUTUAL_AUTH)),
        SCRAM_SHA_256(EnumSet.of(SaslSecurityOption.NODICTIONARY)),
        SCRAM_SHA_1(EnumSet.of(SaslSecurityOption.NODICTIONARY)),
        CRAM_MD5(EnumSet.of(SaslSecurityOption.NOACTIVE, SaslSecurityOption.NODICTIONARY, SaslSecurityOption.MUTUAL_AUTH)),
        PLAIN(EnumSet.of(SaslSecurityOption.NOPLAINTEXT, SaslSecurityOption.NOACTIVE, SaslSecurityOption.NODICTIONARY,
                SaslSecurityOption.MUTUAL_AUTH)),
        LOGIN(EnumSet.of(SaslSecurityOption.NOPLAINTEXT, SaslSecurityOption.NOACTIVE, SaslSecurityOption.NODICTIONARY,
                SaslSecurityOption.MUTUAL_AUTH));

        private final Set<SaslSecurityOption> failedBy;

        Known(Set<SaslSecurityOption> failedBy) {
            this.failedBy = EnumSet.copyOf(failedBy);
            // None of these offers forward secrecy, whatever else it offers.
            this.failedBy.add(SaslSecurityOption.FORWARD_SECRECY);
        }

        String wireName() {
            return name().replace('_', '-');
        }

        boolean allowedUnder(Set<SaslSecurityOption> options) {
            for (SaslSecurityOption o : options) {
                if (failedBy.contains(o)) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * The mechanism to use, or empty when none of the offered ones passes the options (then the
     * attempt fails with 4.7.0, "mechanism not supported", as Cyrus reports it).
     *
     * @param offered the server's mechanisms after smtp_sasl_mechanism_filter, in any case
     * @param options the security options for this channel (SASL-4)
     * @param xoauth2Named whether smtp_sasl_mechanism_filter names XOAUTH2
     */
    public static Optional<String> choose(List<String> offered, Set<SaslSecurityOption> options, boolean xoauth2Named) {
        for (Known k : Known.values()) {
            if (k == Known.XOAUTH2 && !xoauth2Named) {
                continue;
            }
            if (offers(offered, k.wireName()) && k.allowedUnder(options)) {
                return Optional.of(k.wireName());
            }
        }
        return Optional.empty();
    }

    /** A fresh exchange of a mechanism {@link #choose} returned. */
    public static SaslMechanism start(String mechanism, SaslCredentials credentials) {
        return switch (mechanism.toUpperCase(Locale.ROOT)) {
            case "SCRAM-SHA-256", "SCRAM-SHA-1" -> new ScramMechanism(mechanism.toUpperCase(Locale.ROOT), credentials);
            case "CRAM-MD5" -> new CramMd5Mechanism(credentials);
            case "PLAIN" -> new PlainMechanism(credentials);
            case "LOGIN" -> new LoginMechanism(credentials);
            case "XOAUTH2" -> new XOAuth2Mechanism(credentials);
            default -> throw new IllegalArgumentException("not a mechanism this client speaks: " + mechanism);
        };
    }

    /**
     * Sets up what the mechanisms need before the first exchange (the SCRAM nonce source), so that
     * none of it happens on an event loop. The delivery agent calls it when SASL is enabled.
     */
    public static void prepare() {
        ScramMechanism.prepare();
        // The first use of javax.crypto in a JVM initialises its provider checks, which read jar
        // files: blocking I/O that must not happen on the event loop of the first AUTH.
        try {
            for (String mac : new String[] {"HmacMD5", "HmacSHA1", "HmacSHA256"}) {
                javax.crypto.Mac.getInstance(mac);
            }
            for (String kdf : new String[] {"PBKDF2WithHmacSHA1", "PBKDF2WithHmacSHA256"}) {
                javax.crypto.SecretKeyFactory.getInstance(kdf);
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM lacks an algorithm SCRAM or CRAM-MD5 needs: " + e.getMessage(), e);
        }
    }

    private static boolean offers(List<String> offered, String name) {
        for (String o : offered) {
            if (o.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }
}
