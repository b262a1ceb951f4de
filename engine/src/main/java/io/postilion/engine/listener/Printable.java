package io.postilion.engine.listener;

/**
 * Client text made safe to show: every control character (C0, DEL, and the C1 range) becomes
 * {@code ?}, as Postfix's printable() does, so a client cannot put a line end into a header, a
 * log line or a bounce report.
 */
final class Printable {

    private Printable() {
    }

    /** {@code text} with each control character replaced by {@code ?}. */
    static String of(String text) {
        if (!hasControl(text)) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            sb.append(isControl(c) ? '?' : c);
        }
        return sb.toString();
    }

    /** Whether {@code text} holds a control character (TAB included: none belongs in an address). */
    static boolean hasControl(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (isControl(text.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isControl(char c) {
        return c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0;
    }
}
