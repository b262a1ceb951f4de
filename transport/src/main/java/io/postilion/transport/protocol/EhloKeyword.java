package io.postilion.transport.protocol;

import java.util.Locale;
import java.util.Optional;

/**
 * The EHLO/LHLO keywords the client recognises and may be told to discard (SESS-12, SESS-13).
 * Names are matched case-insensitively; {@link #wireName()} is the spelling on the wire.
 */
public enum EhloKeyword {
    EIGHTBITMIME("8BITMIME"),
    AUTH("AUTH"),
    ETRN("ETRN"),
    PIPELINING("PIPELINING"),
    SIZE("SIZE"),
    VERP("VERP"),
    VRFY("VRFY"),
    XCLIENT("XCLIENT"),
    XFORWARD("XFORWARD"),
    STARTTLS("STARTTLS"),
    ENHANCEDSTATUSCODES("ENHANCEDSTATUSCODES"),
    DSN("DSN"),
    SMTPUTF8("SMTPUTF8"),
    /** Discardable in Postilion because it sends BDAT when offered (CLARIFICATIONS 1). */
    CHUNKING("CHUNKING"),
    REQUIRETLS("REQUIRETLS");

    private final String wireName;

    EhloKeyword(String wireName) {
        this.wireName = wireName;
    }

    /** The keyword as servers announce it, e.g. {@code 8BITMIME}. */
    public String wireName() {
        return wireName;
    }

    /** The keyword named {@code name} in any letter case, or empty for an unknown name. */
    public static Optional<EhloKeyword> fromName(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        for (EhloKeyword k : values()) {
            if (k.wireName.equals(upper)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}
