package io.postilion.transport.protocol;

import java.util.Locale;
import java.util.Optional;

/** The XFORWARD attributes a server may announce and the client may send (SESS-12, XFER-2). */
public enum XforwardAttribute {
    NAME, ADDR, PORT, PROTO, HELO, IDENT, SOURCE;

    /** The attribute named {@code name} in any letter case, or empty for an unknown one. */
    public static Optional<XforwardAttribute> fromName(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        for (XforwardAttribute a : values()) {
            if (a.name().equals(upper)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
