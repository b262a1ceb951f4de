package io.postilion.transport.protocol;

/**
 * RFC 5321 quoting of an envelope address's local part (XFER-6, {@code smtp_quote_rfc821_envelope}).
 *
 * <p>The local part is everything before the <em>last</em> {@code @} (the whole address when there
 * is none). It is left alone when it is a dot-string: non-empty, not starting or ending with
 * {@code .}, no {@code ..}, and no space, control character or any of
 * {@code < > ( ) [ ] \ , ; : @ "}. Otherwise it is put in double quotes with a backslash before
 * every {@code "}, {@code \}, CR and LF. Characters above U+007F (UTF-8 bytes 0x80 and up) are
 * ordinary. The domain is never altered, and the empty address (null sender) stays empty.
 */
public final class AddressQuoting {

    private AddressQuoting() {
    }

    /** Quotes as {@code smtp_quote_rfc821_envelope = yes} does. */
    public static String quote(String address) {
        return quote(address, true);
    }

    /**
     * @param enabled the value of {@code smtp_quote_rfc821_envelope}; with {@code false} the
     *     address is returned verbatim
     */
    public static String quote(String address, boolean enabled) {
        if (!enabled || address.isEmpty()) {
            return address;
        }
        int at = address.lastIndexOf('@');
        int localEnd = at < 0 ? address.length() : at;
        String local = address.substring(0, localEnd);
        if (isDotString(local)) {
            return address;
        }
        StringBuilder sb = new StringBuilder(address.length() + 4);
        sb.append('"');
        for (int i = 0; i < local.length(); i++) {
            char c = local.charAt(i);
            if (c == '"' || c == '\\' || c == '\r' || c == '\n') {
                sb.append('\\');
            }
            sb.append(c);
        }
        sb.append('"');
        sb.append(address, localEnd, address.length());
        return sb.toString();
    }

    /**
     * The internal form of an address as a client wrote it on the wire (Postfix's
     * tok822_internalize): quoted strings lose their quotes and the backslashes that escape
     * characters inside them, so {@code "a b"@x} becomes {@code a b@x}; {@link #quote} turns it
     * back. An address without quotes is returned as it is.
     */
    public static String unquote(String external) {
        if (external.indexOf('"') < 0) {
            return external;
        }
        StringBuilder sb = new StringBuilder(external.length());
        boolean quoted = false;
        for (int i = 0; i < external.length(); i++) {
            char c = external.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '\\' && quoted && i + 1 < external.length()) {
                sb.append(external.charAt(++i));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Whether {@code local} is a dot-string as XFER-6 defines it. */
    public static boolean isDotString(String local) {
        int n = local.length();
        if (n == 0 || local.charAt(0) == '.' || local.charAt(n - 1) == '.') {
            return false;
        }
        char prev = 0;
        for (int i = 0; i < n; i++) {
            char c = local.charAt(i);
            if (c == '.' && prev == '.') {
                return false;
            }
            if (c < 0x80 && (c <= 0x20 || c == 0x7f || "<>()[]\\,;:@\"".indexOf(c) >= 0)) {
                return false;
            }
            prev = c;
        }
        return true;
    }
}
