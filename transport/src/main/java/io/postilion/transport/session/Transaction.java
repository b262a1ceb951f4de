package io.postilion.transport.session;

import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.content.ContentSource;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One mail transaction to run on a ready session: the envelope commands, already formatted for
 * this server's capabilities, and the message content with the encoding options chosen for this
 * server (line length limit, 7-bit downgrade, BDAT chunk size). The session encodes the content
 * for DATA (dot-stuffed) or BDAT (as is), whichever it uses.
 *
 * @param mailFrom the MAIL FROM command line without CRLF
 * @param rcptTo one RCPT TO command line per recipient, in request order, without CRLF
 * @param content the raw message; it may be opened again for another server
 * @param options how to encode it for this server
 * @param keepOpen true when the session is to be kept for reuse: no QUIT after the transaction
 * @param dotDelay the pause before the "." line, for a PIX firewall's delay_dotcrlf workaround
 *     (SESS-18); zero for none
 * @param xforward XFORWARD command lines to send before MAIL FROM, without CRLF (XFER-2); empty
 *     for none
 * @param purpose a delivery, or an address verification probe that stops short of the content
 *     (MISC-1)
 */
public record Transaction(String mailFrom, List<String> rcptTo, ContentSource content, ContentOptions options,
        boolean keepOpen, Duration dotDelay, List<String> xforward, Purpose purpose) {

    /**
     * What the transaction is for. A probe never sends the message: {@code VERIFY_RCPT} ends with
     * RSET after the RCPT replies; {@code VERIFY_DATA} sends DATA and, on 354, drops the connection
     * without a byte of content (Postfix's smtp_address_verify_target rcpt and data).
     */
    public enum Purpose { DELIVER, VERIFY_RCPT, VERIFY_DATA }

    public Transaction(String mailFrom, List<String> rcptTo, ContentSource content, ContentOptions options, boolean keepOpen) {
        this(mailFrom, rcptTo, content, options, keepOpen, Duration.ZERO, List.of(), Purpose.DELIVER);
    }

    public Transaction {
        Objects.requireNonNull(mailFrom, "mailFrom");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(dotDelay, "dotDelay");
        Objects.requireNonNull(purpose, "purpose");
        rcptTo = List.copyOf(rcptTo);
        xforward = List.copyOf(xforward);
        if (rcptTo.isEmpty()) {
            throw new IllegalArgumentException("a transaction needs at least one recipient");
        }
        checkLine(mailFrom);
        rcptTo.forEach(Transaction::checkLine);
        xforward.forEach(Transaction::checkLine);
    }

    public Transaction keepOpen(boolean keep) {
        return new Transaction(mailFrom, rcptTo, content, options, keep, dotDelay, xforward, purpose);
    }

    public Transaction dotDelay(Duration delay) {
        return new Transaction(mailFrom, rcptTo, content, options, keepOpen, delay, xforward, purpose);
    }

    public Transaction xforward(List<String> lines) {
        return new Transaction(mailFrom, rcptTo, content, options, keepOpen, dotDelay, lines, purpose);
    }

    public Transaction purpose(Purpose p) {
        return new Transaction(mailFrom, rcptTo, content, options, keepOpen, dotDelay, xforward, p);
    }

    /** Whether this is an address verification probe (no content is sent). */
    public boolean probe() {
        return purpose != Purpose.DELIVER;
    }

    // A command line must be one line: CR, LF or NUL would let an address smuggle commands.
    private static void checkLine(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new IllegalArgumentException("command contains CR, LF or NUL: "
                        + line.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0"));
            }
        }
    }
}
