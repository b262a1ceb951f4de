package io.postilion.transport.protocol;

import java.nio.charset.StandardCharsets;

/**
 * RFC 3461 xtext encoding for ENVID, non-UTF-8 ORCPT and XFORWARD values (XFER-7): the value's
 * UTF-8 bytes are copied, except that {@code +}, every byte at or below 0x20 or at or above 0x7F,
 * and the listed specials become {@code +} and two upper-case hex digits.
 */
public final class Xtext {

    /** The specials for ENVID and ORCPT: {@code +} and {@code =}. */
    public static final String DSN_SPECIALS = "+=";

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private Xtext() {
    }

    /** Encodes with {@link #DSN_SPECIALS}. */
    public static String encode(String value) {
        return encode(value, DSN_SPECIALS);
    }

    /** Encodes {@code value}'s UTF-8 bytes; {@code specials} are ASCII characters to encode too. */
    public static String encode(String value, String specials) {
        return encode(value.getBytes(StandardCharsets.UTF_8), specials);
    }

    /** Encodes raw bytes; the result is always printable US-ASCII. */
    public static String encode(byte[] value, String specials) {
        StringBuilder sb = new StringBuilder(value.length + 8);
        for (byte b : value) {
            int c = b & 0xff;
            if (c == '+' || c <= 0x20 || c >= 0x7f || specials.indexOf(c) >= 0) {
                sb.append('+').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            } else {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    /**
     * Decodes xtext as a server receives it (ENVID=, ORCPT=); null when it is not valid xtext (a
     * {@code +} without two upper-case hex digits, or a byte outside printable ASCII).
     */
    public static String decode(String xtext) {
        byte[] out = new byte[xtext.length()];
        int n = 0;
        for (int i = 0; i < xtext.length(); i++) {
            char c = xtext.charAt(i);
            if (c == '+') {
                if (i + 2 >= xtext.length()) {
                    return null;
                }
                int hi = HEX_VALUES.indexOf(xtext.charAt(i + 1));
                int lo = HEX_VALUES.indexOf(xtext.charAt(i + 2));
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else if (c <= 0x20 || c >= 0x7f || c == '=') {
                return null;
            } else {
                out[n++] = (byte) c;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private static final String HEX_VALUES = "0123456789ABCDEF";
}
