package io.postilion.engine.delivery;

import java.nio.charset.StandardCharsets;

/**
 * What a message's sender asked of TLS on the way on (RFC 8689), recorded where the message is
 * received and carried with it through the queue to every delivery attempt (CLARIFICATIONS 41).
 * Postfix keeps both as send options of the queue file (cleanup sets them; smtp(8) reads them).
 *
 * @param requireTls MAIL FROM carried {@code REQUIRETLS} (TLS-19)
 * @param tlsRequiredNo the message has the header {@code TLS-Required: no} (TLS-20); whether it
 *     applies is decided at delivery ({@code tls_required_enable}, and never with REQUIRETLS)
 */
public record TlsRequest(boolean requireTls, boolean tlsRequiredNo) {

    /** Nothing asked: the common case. */
    public static final TlsRequest NONE = new TlsRequest(false, false);

    private static final byte[] NAME = "tls-required".getBytes(StandardCharsets.US_ASCII);

    /** TLS-20: the header is there and REQUIRETLS was not requested (which overrides it, RFC 8689 section 5). */
    public boolean relaxesPolicy() {
        return tlsRequiredNo && !requireTls;
    }

    /** A copy with the header's presence read from {@code content}. */
    public static TlsRequest of(boolean requireTls, byte[] content) {
        return new TlsRequest(requireTls, tlsRequiredNo(content));
    }

    /**
     * Whether the message's header section has a {@code TLS-Required} field whose value is
     * {@code no} (case-insensitive, surrounding blanks and folding ignored), as Postfix's cleanup
     * recognises it. Only the primary header (up to the first empty line) is read; a missing
     * empty line means everything is header.
     */
    public static boolean tlsRequiredNo(byte[] content) {
        int i = 0;
        int n = content.length;
        while (i < n) {
            int end = lineEnd(content, i);
            if (end == i) {
                return false; // the empty line: the body starts
            }
            if (startsWithName(content, i, end)) {
                StringBuilder value = new StringBuilder();
                value.append(new String(content, i + NAME.length + 1, end - i - NAME.length - 1, StandardCharsets.ISO_8859_1));
                int next = skipEol(content, end);
                while (next < n && (content[next] == ' ' || content[next] == '\t')) { // folded continuation
                    int e = lineEnd(content, next);
                    value.append(' ').append(new String(content, next, e - next, StandardCharsets.ISO_8859_1));
                    next = skipEol(content, e);
                }
                if (value.toString().trim().equalsIgnoreCase("no")) {
                    return true;
                }
                i = next;
                continue;
            }
            i = skipEol(content, end);
        }
        return false;
    }

    /** {@code TLS-Required:} at {@code start}: the name in any case, the colon right after it. */
    private static boolean startsWithName(byte[] c, int start, int end) {
        if (end - start <= NAME.length) {
            return false;
        }
        for (int k = 0; k < NAME.length; k++) {
            int b = c[start + k];
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != NAME[k]) {
                return false;
            }
        }
        return c[start + NAME.length] == ':';
    }

    /** The index of the CR or LF that ends the line starting at {@code i} (or the end). */
    private static int lineEnd(byte[] c, int i) {
        while (i < c.length && c[i] != '\r' && c[i] != '\n') {
            i++;
        }
        return i;
    }

    private static int skipEol(byte[] c, int i) {
        if (i < c.length && c[i] == '\r') {
            i++;
        }
        if (i < c.length && c[i] == '\n') {
            i++;
        }
        return i;
    }
}
