package io.postilion.transport.reply;

/**
 * Reads the RFC 3463 enhanced status code from a reply line, or derives one, as REPLY-5 says.
 *
 * <p>A {@code class.subject.detail} after the code counts only when its class equals the code's
 * first digit and that digit is 2, 4 or 5; otherwise the status is {@code X.0.0}. Codes starting
 * with any other digit get {@code 5.5.0}, the protocol-error status.
 */
public final class EnhancedStatus {

    /** The status of a reply that breaks the protocol (REPLY-5, REPLY-8). */
    public static final String PROTOCOL_ERROR = "5.5.0";

    private EnhancedStatus() {
    }

    /**
     * @param code the reply code
     * @param text the final line's text after the code and its separator
     */
    public static String derive(int code, CharSequence text) {
        int digit = code / 100;
        if (digit != 2 && digit != 4 && digit != 5) {
            return PROTOCOL_ERROR;
        }
        int len = parsedLength(text, digit);
        if (len > 0) {
            int start = skipSpaces(text, 0);
            return text.subSequence(start, start + len).toString();
        }
        return digit + ".0.0";
    }

    /**
     * The length of a valid status at the start of {@code text} (after spaces) whose class is
     * {@code digit}, or 0 when there is none. The status must be followed by a space or the end.
     */
    public static int parsedLength(CharSequence text, int digit) {
        int i = skipSpaces(text, 0);
        int start = i;
        if (i >= text.length() || text.charAt(i) != (char) ('0' + digit)) {
            return 0;
        }
        i++;
        for (int part = 0; part < 2; part++) {
            if (i >= text.length() || text.charAt(i) != '.') {
                return 0;
            }
            i++;
            int digits = 0;
            while (i < text.length() && isDigit(text.charAt(i)) && digits < 3) {
                i++;
                digits++;
            }
            if (digits == 0) {
                return 0;
            }
        }
        if (i < text.length() && text.charAt(i) != ' ' && text.charAt(i) != '\t') {
            return 0;
        }
        return i - start;
    }

    private static int skipSpaces(CharSequence text, int i) {
        while (i < text.length() && text.charAt(i) == ' ') {
            i++;
        }
        return i;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
