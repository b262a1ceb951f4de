package io.postilion.engine.maillog;

import java.nio.charset.StandardCharsets;

/**
 * The Message-ID of a stored message, for cleanup's {@code message-id=<...>} log line: the value
 * of the first Message-ID header in the header section, without its angle brackets, with control
 * characters made {@code ?} so a crafted header cannot forge a log line. Empty when there is none
 * (Postfix's cleanup would add one; the relay passes messages on unchanged).
 */
public final class MessageIds {

    private static final int MAX = 998;

    private MessageIds() {
    }

    public static String of(byte[] content) {
        int i = 0;
        while (i < content.length) {
            if (content[i] == '\r' || content[i] == '\n') {
                return ""; // the empty line: no Message-ID among the headers
            }
            int end = i;
            while (end < content.length && content[end] != '\n') {
                end++;
            }
            if (end - i > 11 && new String(content, i, 11, StandardCharsets.US_ASCII).equalsIgnoreCase("message-id:")) {
                String v = new String(content, i + 11, Math.min(end - i - 11, MAX), StandardCharsets.UTF_8).strip();
                if (v.startsWith("<")) {
                    v = v.substring(1);
                }
                int gt = v.indexOf('>');
                v = gt >= 0 ? v.substring(0, gt) : v;
                StringBuilder sb = new StringBuilder(v.length());
                v.chars().forEach(c -> sb.append(c < 0x20 || c == 0x7f ? '?' : (char) c));
                return sb.toString();
            }
            i = end + 1;
        }
        return "";
    }
}
