package io.postilion.transport.protocol;

import java.util.Locale;
import java.util.Optional;

/**
 * RFC 6533 utf-8-addr-xtext for an ORCPT of type {@code utf-8} (XFER-5): printable ASCII is
 * copied, while {@code \}, the specials ({@code +} and {@code =}), space, control characters and
 * every non-ASCII code point become {@code \x{HEX}} with upper-case hex digits, at least two.
 * Encoding fails (empty result) for text that is not valid Unicode (an unpaired surrogate, the
 * Java counterpart of malformed UTF-8); the caller then omits ORCPT.
 */
public final class Utf8AddrXtext {

    private Utf8AddrXtext() {
    }

    /** Encodes with the ORCPT specials {@code +} and {@code =}. */
    public static Optional<String> encode(String value) {
        return encode(value, Xtext.DSN_SPECIALS);
    }

    public static Optional<String> encode(String value, String specials) {
        StringBuilder sb = new StringBuilder(value.length() + 16);
        int i = 0;
        while (i < value.length()) {
            char c = value.charAt(i);
            int cp;
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1))) {
                    return Optional.empty();
                }
                cp = Character.toCodePoint(c, value.charAt(i + 1));
                i += 2;
            } else if (Character.isLowSurrogate(c)) {
                return Optional.empty();
            } else {
                cp = c;
                i++;
            }
            if (cp > 0x20 && cp < 0x7f && cp != '\\' && specials.indexOf(cp) < 0) {
                sb.append((char) cp);
            } else {
                sb.append("\\x{").append(String.format(Locale.ROOT, "%02X", cp)).append('}');
            }
        }
        return Optional.of(sb.toString());
    }

    /** Whether {@code s} is valid Unicode (no unpaired surrogate), i.e. encodes to valid UTF-8. */
    static boolean isValidUnicode(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
