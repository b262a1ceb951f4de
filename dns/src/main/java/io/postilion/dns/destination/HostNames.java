package io.postilion.dns.destination;

import java.net.IDN;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import org.xbill.DNS.Address;

/** Host name checks and conversions shared by the parser and the lookup code; no DNS, no blocking. */
public final class HostNames {

    private HostNames() {}

    /**
     * Parses a numeric IPv4 (dotted quad) or IPv6 address without any name-service call.
     */
    public static Optional<InetAddress> parseNumeric(String text) {
        if (text.isEmpty() || text.length() > 64) {
            return Optional.empty();
        }
        byte[] bytes = null;
        if (text.indexOf(':') >= 0) {
            if (text.indexOf('%') < 0) {
                bytes = Address.toByteArray(text, Address.IPv6);
            }
        } else if (Address.isDottedQuad(text)) {
            bytes = Address.toByteArray(text, Address.IPv4);
        }
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether {@code name} is a syntactically valid DNS host name (ASCII letters, digits, hyphen and
     * underscore; labels of 1..63 octets not starting or ending in a hyphen; at most 255 octets; one
     * trailing dot allowed; not all-numeric like an address).
     */
    public static boolean isValidHostname(String name) {
        if (name.isEmpty() || name.length() > 255) {
            return false;
        }
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (n.isEmpty()) {
            return false;
        }
        boolean nonNumeric = false;
        int labelStart = 0;
        for (int i = 0; i <= n.length(); i++) {
            char c = i < n.length() ? n.charAt(i) : '.';
            if (c == '.') {
                int len = i - labelStart;
                if (len < 1 || len > 63 || n.charAt(labelStart) == '-' || n.charAt(i - 1) == '-') {
                    return false;
                }
                labelStart = i + 1;
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_') {
                nonNumeric = true;
            } else if (c < '0' || c > '9') {
                return false;
            }
        }
        return nonNumeric;
    }

    /** A-label form for DNS queries (DEST-16); the input unchanged when conversion fails. */
    public static String toAscii(String name) {
        if (isAscii(name)) {
            return name;
        }
        try {
            return IDN.toASCII(name, IDN.ALLOW_UNASSIGNED);
        } catch (IllegalArgumentException e) {
            return name;
        }
    }

    static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
