package io.postilion.tls.sts;

import java.util.Optional;

/**
 * The three modes of an MTA-STS policy (RFC 8461 section 5): what a sender does when an MX host
 * cannot be authenticated. TLS-32 maps them onto Postfix's levels: enforce becomes {@code secure},
 * testing and none leave the normal TLS-3 policy alone.
 */
public enum StsMode {
    /** Deliver only to a permitted MX host over TLS with a certificate valid for its name. */
    ENFORCE("enforce"),
    /** Report failures, deliver as if there were no policy. */
    TESTING("testing"),
    /** The domain has withdrawn its policy: behave as if there were none. */
    NONE("none");

    private final String word;

    StsMode(String word) {
        this.word = word;
    }

    /** The word as a policy file writes it. */
    public String word() {
        return word;
    }

    /** The mode a policy's {@code mode:} value names, case-sensitively as RFC 8461's ABNF demands. */
    public static Optional<StsMode> of(String value) {
        for (StsMode m : values()) {
            if (m.word.equals(value)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
