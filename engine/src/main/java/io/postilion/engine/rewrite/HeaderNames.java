package io.postilion.engine.rewrite;

import java.util.Locale;
import java.util.Set;

/**
 * What a header is, by its name: whether a line starts a header at all, whether the header holds
 * sender or recipient addresses (the ones smtp_generic_maps rewrites, DATA-26), and whether it is
 * a MIME header (checked by smtp_mime_header_checks wherever it appears, as in Postfix).
 */
public final class HeaderNames {

    private static final Set<String> ADDRESS_HEADERS = Set.of("from", "sender", "reply-to", "errors-to",
            "return-path", "return-receipt-to", "disposition-notification-to", "mail-followup-to", "to", "cc",
            "bcc", "apparently-to", "resent-from", "resent-sender", "resent-reply-to", "resent-to", "resent-cc",
            "resent-bcc");

    private static final Set<String> MIME_HEADERS = Set.of("mime-version", "content-type",
            "content-transfer-encoding", "content-disposition", "content-description", "content-id");

    private HeaderNames() {
    }

    /** The name of the header this line starts, or null when it does not start one. */
    public static String name(String line) {
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (c == ':' || c <= ' ' || c == 0x7f) {
                break;
            }
            i++;
        }
        if (i == 0) {
            return null;
        }
        int j = i;
        while (j < n && (line.charAt(j) == ' ' || line.charAt(j) == '\t')) {
            j++;
        }
        return j < n && line.charAt(j) == ':' ? line.substring(0, i) : null;
    }

    /** Whether the header holds sender or recipient addresses. */
    public static boolean holdsAddresses(String name) {
        return ADDRESS_HEADERS.contains(name.toLowerCase(Locale.ROOT));
    }

    /** Whether the header is one of MIME's. */
    public static boolean isMime(String name) {
        return MIME_HEADERS.contains(name.toLowerCase(Locale.ROOT));
    }
}
