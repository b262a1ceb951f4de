package io.postilion.engine.notice;

import io.postilion.transport.protocol.Ret;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Writes a delivery status notice as RFC 3464 wants it: a multipart/report with a human part, a
 * machine-readable message/delivery-status part, and the original message (whole, or only its
 * headers with RET=HDRS). It is sent from the null sender, so it can never bounce back and loop.
 *
 * <p>The relay decides whether a notice is due and to whom (a notice that fails goes to the
 * postmaster as a double bounce, see {@code NoticePolicy}); this class only writes it.
 */
public final class DeliveryStatusNotice {

    /** The Date: header form every notice uses. */
    static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private DeliveryStatusNotice() {
    }

    /**
     * What the notice is about.
     *
     * @param kind failure, delay or success
     * @param reportingMta $myhostname
     * @param queueId the original message's queue id
     * @param sender who gets the notice (the original envelope sender)
     * @param envId the original DSN ENVID, empty when none
     * @param ret what to return of the original (NONE means the whole message, as RFC 3461 leaves it to us)
     * @param arrival when the original arrived
     * @param recipients the recipients the notice is about
     * @param original the original message, CRLF lines
     * @param now the notice's Date
     * @param messageId a unique id for the notice's Message-ID, without brackets
     * @param postmasterCopy a notice to the postmaster (a double bounce) rather than to a sender:
     *     no boiler-plate text, its own subject, Auto-Submitted: auto-generated, and the whole
     *     original whatever RET says (as Postfix's bounce(8) writes it)
     */
    public record Request(NoticeKind kind, String reportingMta, String queueId, String sender, String envId, Ret ret,
            Instant arrival, List<NoticeRecipient> recipients, byte[] original, Instant now, String messageId,
            boolean postmasterCopy) {
        public Request {
            Objects.requireNonNull(kind, "kind");
            recipients = List.copyOf(recipients);
            if (recipients.isEmpty()) {
                throw new IllegalArgumentException("a notice is about at least one recipient");
            }
            Objects.requireNonNull(original, "original");
        }

        /** A notice to the sender. */
        public Request(NoticeKind kind, String reportingMta, String queueId, String sender, String envId, Ret ret,
                Instant arrival, List<NoticeRecipient> recipients, byte[] original, Instant now, String messageId) {
            this(kind, reportingMta, queueId, sender, envId, ret, arrival, recipients, original, now, messageId, false);
        }
    }

    /** The notice as message bytes (CRLF lines), ready for the spool. */
    public static byte[] write(Request r) {
        String boundary = r.queueId() + "." + r.now().getEpochSecond() + "/" + r.reportingMta();
        boolean eightBit = hasEightBit(r.original());
        StringBuilder h = new StringBuilder(2048);
        line(h, "From: MAILER-DAEMON@" + r.reportingMta() + " (Mail Delivery System)");
        line(h, "To: " + (r.sender().isEmpty() ? "postmaster" : r.sender()));
        line(h, "Subject: " + (r.postmasterCopy() ? r.kind().postmasterSubject() : r.kind().subject()));
        line(h, "Date: " + DATE.format(r.now()));
        line(h, "Message-ID: <" + r.messageId() + "@" + r.reportingMta() + ">");
        line(h, "Auto-Submitted: " + (r.postmasterCopy() ? "auto-generated" : "auto-replied"));
        line(h, "MIME-Version: 1.0");
        line(h, "Content-Type: multipart/report; report-type=delivery-status;");
        line(h, "\tboundary=\"" + boundary + "\"");
        line(h, "Content-Transfer-Encoding: " + (eightBit ? "8bit" : "7bit"));
        line(h, "");
        line(h, "This is a MIME-encapsulated message.");
        line(h, "");

        line(h, "--" + boundary);
        line(h, "Content-Description: Notification");
        line(h, "Content-Type: text/plain; charset=utf-8");
        line(h, "");
        humanPart(h, r);
        line(h, "");

        line(h, "--" + boundary);
        line(h, "Content-Description: Delivery report");
        line(h, "Content-Type: message/delivery-status");
        line(h, "");
        line(h, "Reporting-MTA: dns; " + r.reportingMta());
        line(h, "X-Postilion-Queue-ID: " + r.queueId());
        if (!r.envId().isEmpty()) {
            line(h, "Original-Envelope-Id: " + r.envId());
        }
        line(h, "Arrival-Date: " + DATE.format(r.arrival()));
        for (NoticeRecipient n : r.recipients()) {
            line(h, "");
            line(h, "Final-Recipient: rfc822; " + n.finalRecipient());
            if (!n.originalRecipient().isEmpty()) {
                line(h, "Original-Recipient: " + n.originalRecipient().replaceFirst(";", "; "));
            }
            line(h, "Action: " + n.action().word());
            line(h, "Status: " + n.status().text());
            if (n.verdict().fromServer()) { // RFC 3464 2.3.5: only the server that said it
                line(h, "Remote-MTA: dns; " + n.verdict().remoteMta());
            }
            folded(h, "Diagnostic-Code: " + (n.verdict().fromServer() ? "smtp; " : "X-Postilion; ")
                    + n.verdict().diagnostic());
        }
        line(h, "");

        boolean headersOnly = r.ret() == Ret.HDRS && !r.postmasterCopy();
        line(h, "--" + boundary);
        line(h, "Content-Description: " + (headersOnly ? "Undelivered Message Headers" : "Undelivered Message"));
        line(h, "Content-Type: " + (headersOnly ? "text/rfc822-headers" : "message/rfc822"));
        if (eightBit) {
            line(h, "Content-Transfer-Encoding: 8bit");
        }
        line(h, "");
        ByteArrayOutputStream out = new ByteArrayOutputStream(h.length() + r.original().length + 64);
        out.writeBytes(h.toString().getBytes(StandardCharsets.UTF_8));
        byte[] original = headersOnly ? headers(r.original()) : r.original();
        out.writeBytes(original);
        if (original.length > 0 && original[original.length - 1] != '\n') {
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static void humanPart(StringBuilder h, Request r) {
        if (r.postmasterCopy()) {
            // Postfix sends the postmaster only the reasons, without the text meant for senders.
            for (NoticeRecipient n : r.recipients()) {
                line(h, "<" + n.finalRecipient() + ">: " + n.reason());
            }
            return;
        }
        line(h, "This is the mail system at host " + r.reportingMta() + ".");
        line(h, "");
        switch (r.kind()) {
            case FAILURE -> {
                line(h, "Your message could not be delivered to one or more recipients.");
                line(h, "It is attached below. The reasons are listed here:");
            }
            case DELAY -> {
                line(h, "Your message has not been delivered yet to the recipients listed here.");
                line(h, "Delivery will be tried again; you need not send it again.");
            }
            case SUCCESS -> {
                line(h, "Your message was handed on successfully to the recipients listed here,");
                line(h, "as you asked in the delivery status notification request.");
            }
        }
        line(h, "");
        for (NoticeRecipient n : r.recipients()) {
            line(h, "<" + n.finalRecipient() + ">: " + n.reason());
        }
    }

    /** The header section of a message, without the empty line that ends it. */
    static byte[] headers(byte[] message) {
        for (int i = 0; i + 1 < message.length; i++) {
            if (message[i] == '\n' && (message[i + 1] == '\n'
                    || message[i + 1] == '\r' && i + 2 < message.length && message[i + 2] == '\n')) {
                return java.util.Arrays.copyOf(message, i + 1);
            }
        }
        return message;
    }

    private static boolean hasEightBit(byte[] b) {
        for (byte x : b) {
            if (x < 0) {
                return true;
            }
        }
        return false;
    }

    private static void line(StringBuilder sb, String text) {
        sb.append(text).append("\r\n");
    }

    /**
     * A field that may be long (a server's multi-line reply): folded at spaces so no line passes
     * 78 characters where a space allows it (RFC 5322 2.2.3); the unfolded value is unchanged.
     */
    static void folded(StringBuilder sb, String text) {
        int lineStart = 0;
        while (text.length() - lineStart > 78) {
            int cut = text.lastIndexOf(' ', lineStart + 78);
            if (cut <= lineStart) {
                cut = text.indexOf(' ', lineStart + 78);
                if (cut < 0) {
                    break;
                }
            }
            sb.append(text, lineStart, cut).append("\r\n");
            lineStart = cut; // the space starts the continuation line
        }
        sb.append(text, lineStart, text.length()).append("\r\n");
    }
}
