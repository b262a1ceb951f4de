package io.postilion.engine.listener;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The trace header the listener puts on every message it accepts, and the hop count that
 * protects against mail loops (CLARIFICATIONS 4, as Postfix's cleanup_message.c: the Received:
 * headers, counting the one we add, reaching hopcount_limit and the message is refused).
 */
final class ReceivedHeader {

    private static final DateTimeFormatter RFC5322 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private ReceivedHeader() {
    }

    /**
     * Our Received: header on top of {@code content}: who connected (HELO name and address),
     * which protocol (ESMTP, with S for TLS, as RFC 3848), the queue id and, for a single
     * recipient, who it was for.
     */
    static byte[] prepend(byte[] content, ReceivedMessage.Client client, String hostname, boolean esmtp, String queueId,
            String singleRecipient, Clock clock) {
        String with = (esmtp ? "ESMTP" : "SMTP") + (client.tls() ? "S" : "") + (client.authenticatedAs().isEmpty() ? "" : "A");
        StringBuilder h = new StringBuilder(200);
        h.append("Received: from ").append(client.helo()).append(" ([").append(client.address()).append("])\r\n")
                .append("\tby ").append(hostname).append(" (Postilion) with ").append(with).append(" id ").append(queueId);
        if (!singleRecipient.isEmpty()) {
            h.append("\r\n\tfor <").append(singleRecipient).append('>');
        }
        h.append("; ").append(RFC5322.format(ZonedDateTime.now(clock))).append("\r\n");
        byte[] head = h.toString().getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + content.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(content, 0, out, head.length, content.length);
        return out;
    }

    /** The number of Received: headers in the header section (up to the first empty line). */
    static int hops(byte[] content) {
        int count = 0;
        int i = 0;
        while (i < content.length) {
            if (content[i] == '\r' || content[i] == '\n') {
                return count; // the empty line that ends the headers
            }
            if (startsWithIgnoreCase(content, i, "received:")) {
                count++;
            }
            while (i < content.length && content[i] != '\n') {
                i++;
            }
            i++;
        }
        return count;
    }

    private static boolean startsWithIgnoreCase(byte[] b, int at, String prefix) {
        if (at + prefix.length() > b.length) {
            return false;
        }
        for (int k = 0; k < prefix.length(); k++) {
            if (Character.toLowerCase((char) (b[at + k] & 0xff)) != prefix.charAt(k)) {
                return false;
            }
        }
        return true;
    }
}
