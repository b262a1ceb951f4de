package io.postilion.transport.protocol;

import io.postilion.transport.reply.SmtpReply;
import java.util.Locale;

/**
 * What the client learns from the server's greeting (SESS-8, SESS-18): whether it speaks ESMTP,
 * the first word for the "greeted me with my own hostname" warning, and whether the banner has
 * the masked look of a Cisco PIX "smtp fixup".
 *
 * @param firstWord the first word after the reply code, empty when there is none
 * @param esmtp true when any word equals {@code ESMTP}, case-insensitively
 * @param pix true when the greeting text consists only of {@code 2}, {@code 0}, space, {@code *},
 *     tab and newline, e.g. {@code 220 *****}
 */
public record Greeting(String firstWord, boolean esmtp, boolean pix) {

    /** Analyses a greeting reply; a multi-line greeting is read as its lines joined by newlines. */
    public static Greeting analyze(SmtpReply reply) {
        return analyze(fullText(reply));
    }

    /**
     * Analyses the greeting as the client holds it: the first line including its reply code,
     * later lines (with their codes) joined by newlines.
     */
    public static Greeting analyze(String text) {
        // The reply code is the first token, delimited by '-', space, tab or newline.
        int i = 0;
        while (i < text.length() && isCodeDelimiter(text.charAt(i))) {
            i++;
        }
        while (i < text.length() && !isCodeDelimiter(text.charAt(i))) {
            i++;
        }
        if (i < text.length()) {
            i++; // the one delimiter that ended the code, which may be '-'
        }
        String firstWord = null;
        boolean esmtp = false;
        while (i < text.length()) {
            while (i < text.length() && isWordDelimiter(text.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < text.length() && !isWordDelimiter(text.charAt(i))) {
                i++;
            }
            if (i > start) {
                String word = text.substring(start, i);
                if (firstWord == null) {
                    firstWord = word;
                }
                if (word.equalsIgnoreCase("ESMTP")) {
                    esmtp = true;
                }
            }
        }
        return new Greeting(firstWord == null ? "" : firstWord, esmtp, isPixBanner(text));
    }

    /** Whether the first word is {@code myHostname}, case-insensitively (SESS-8 warning). */
    public boolean firstWordIs(String myHostname) {
        return !firstWord.isEmpty()
                && firstWord.toLowerCase(Locale.ROOT).equals(myHostname.toLowerCase(Locale.ROOT));
    }

    /** The PIX signature test of SESS-18 over the whole greeting text, code included. */
    public static boolean isPixBanner(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '2' && c != '0' && c != ' ' && c != '*' && c != '\t' && c != '\n') {
                return false;
            }
        }
        return true;
    }

    /** The greeting as text: {@code 220 first}, then {@code \n220-...} style later lines. */
    static String fullText(SmtpReply reply) {
        StringBuilder sb = new StringBuilder();
        int count = reply.lines().size();
        String code = String.format(Locale.ROOT, "%03d", reply.code());
        for (int n = 0; n < count; n++) {
            if (n > 0) {
                sb.append('\n');
            }
            sb.append(code).append(n == count - 1 ? ' ' : '-').append(reply.lines().get(n));
        }
        if (count == 0) {
            sb.append(code);
        }
        return sb.toString();
    }

    private static boolean isCodeDelimiter(char c) {
        return c == '-' || isWordDelimiter(c);
    }

    private static boolean isWordDelimiter(char c) {
        return c == ' ' || c == '\t' || c == '\n';
    }
}
