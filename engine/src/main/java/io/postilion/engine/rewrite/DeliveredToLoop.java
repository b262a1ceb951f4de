package io.postilion.engine.rewrite;

import io.postilion.transport.protocol.AddressQuoting;
import java.util.Collection;
import java.util.Locale;

/**
 * The D flag's loop check (DATA-24): a message whose primary header block already has a
 * {@code Delivered-To:} header naming the (generic-mapped) recipient has been here before, and
 * bounces with 5.4.6 before any connection is made. The comparison ignores case in the whole
 * address, as Postfix does, and is made on the RFC 822 quoted form in which D writes the header.
 */
public final class DeliveredToLoop {

    /** DATA-24's status. */
    public static final String STATUS = "5.4.6";

    /** Postfix stops collecting after this many Delivered-To headers. */
    static final int LIMIT = 1000;

    private DeliveredToLoop() {
    }

    /** The address of a Delivered-To header's first line, or null when the line starts another header. */
    public static String value(String headerFirstLine) {
        String name = HeaderNames.name(headerFirstLine);
        if (name == null || !name.equalsIgnoreCase("Delivered-To")) {
            return null;
        }
        int i = headerFirstLine.indexOf(':') + 1;
        while (i < headerFirstLine.length() && Character.isWhitespace(headerFirstLine.charAt(i))) {
            i++;
        }
        return headerFirstLine.substring(i).toLowerCase(Locale.ROOT);
    }

    /** Whether one of the collected values names the recipient as D would write it. */
    public static boolean loops(Collection<String> values, String mappedRecipient) {
        return values.contains(AddressQuoting.quote(mappedRecipient).toLowerCase(Locale.ROOT));
    }

    /** DATA-24's reason, naming the recipient as the request has it. */
    public static String reason(String recipient) {
        return "mail forwarding loop for " + recipient;
    }
}
