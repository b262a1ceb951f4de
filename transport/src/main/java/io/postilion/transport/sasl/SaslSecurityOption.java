package io.postilion.transport.sasl;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The words of smtp_sasl_security_options and its TLS twins (SASL-4), each ruling out mechanisms
 * open to one kind of attack. The names are Cyrus's, as Postfix passes them through.
 */
public enum SaslSecurityOption {
    /** Mechanisms that send the password readable to a passive eavesdropper (PLAIN, LOGIN). */
    NOPLAINTEXT("noplaintext"),
    /** Mechanisms open to an active attacker (everything but SCRAM here). */
    NOACTIVE("noactive"),
    /** Mechanisms open to an offline dictionary attack on what was seen (all of them here). */
    NODICTIONARY("nodictionary"),
    /** Anonymous login. */
    NOANONYMOUS("noanonymous"),
    /** Only mechanisms that also prove the server knows the secret (SCRAM). */
    MUTUAL_AUTH("mutual_auth"),
    /** Only mechanisms with forward secrecy: none that this port speaks. */
    FORWARD_SECRECY("forward_secrecy");

    private final String word;

    SaslSecurityOption(String word) {
        this.word = word;
    }

    /** The option's name in main.cf. */
    public String word() {
        return word;
    }

    /**
     * A parameter's words as a set.
     *
     * @throws IllegalArgumentException naming a word that is not an option (start-up stops, 78)
     */
    public static Set<SaslSecurityOption> parse(List<String> words) {
        Set<SaslSecurityOption> out = EnumSet.noneOf(SaslSecurityOption.class);
        for (String w : words) {
            String lower = w.toLowerCase(Locale.ROOT);
            SaslSecurityOption found = null;
            for (SaslSecurityOption o : values()) {
                if (o.word.equals(lower)) {
                    found = o;
                }
            }
            if (found == null) {
                throw new IllegalArgumentException("unknown SASL security option \"" + w + "\"");
            }
            out.add(found);
        }
        return out;
    }
}
