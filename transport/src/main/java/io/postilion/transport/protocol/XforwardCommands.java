package io.postilion.transport.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Builds the XFORWARD commands that precede MAIL FROM (XFER-2): one for the client's name, address
 * and port, one for protocol, HELO name, log identifier and origin, each sent only when it would
 * carry at least one attribute the server announced and we know. NAME, ADDR, PORT and PROTO are
 * left out when empty or "unknown", the others only when empty; values are xtext-encoded.
 */
public final class XforwardCommands {

    private XforwardCommands() {
    }

    /**
     * @param origin the message's original client
     * @param ident the log identifier to forward (IDENT), usually the queue id
     * @param offered the attributes the server announced with XFORWARD
     * @return zero, one or two command lines, without CRLF
     */
    public static List<String> of(ClientOrigin origin, String ident, Set<XforwardAttribute> offered) {
        List<String> lines = new ArrayList<>(2);
        StringBuilder first = new StringBuilder("XFORWARD");
        known(first, offered, XforwardAttribute.NAME, origin.name());
        known(first, offered, XforwardAttribute.ADDR, origin.addr());
        known(first, offered, XforwardAttribute.PORT, origin.port());
        if (first.length() > "XFORWARD".length()) {
            lines.add(first.toString());
        }
        StringBuilder second = new StringBuilder("XFORWARD");
        known(second, offered, XforwardAttribute.PROTO, origin.proto());
        present(second, offered, XforwardAttribute.HELO, origin.helo());
        present(second, offered, XforwardAttribute.IDENT, ident);
        present(second, offered, XforwardAttribute.SOURCE, origin.remote() ? "REMOTE" : "LOCAL");
        if (second.length() > "XFORWARD".length()) {
            lines.add(second.toString());
        }
        return lines;
    }

    /** Attributes that are meaningless as "unknown". */
    private static void known(StringBuilder sb, Set<XforwardAttribute> offered, XforwardAttribute a, String value) {
        if (!value.toLowerCase(Locale.ROOT).equals("unknown")) {
            present(sb, offered, a, value);
        }
    }

    private static void present(StringBuilder sb, Set<XforwardAttribute> offered, XforwardAttribute a, String value) {
        if (offered.contains(a) && !value.isEmpty()) {
            sb.append(' ').append(a.name()).append('=').append(Xtext.encode(value, ""));
        }
    }
}
