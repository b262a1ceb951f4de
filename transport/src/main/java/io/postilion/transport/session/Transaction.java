package io.postilion.transport.session;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.reactivestreams.Publisher;

/**
 * One mail transaction to run on a ready session: the envelope commands, already formatted for
 * this server's capabilities, and the content in whichever form the session picks.
 *
 * @param mailFrom the MAIL FROM command line without CRLF
 * @param rcptTo one RCPT TO command line per recipient, in request order, without CRLF
 * @param content the wire content for a mode: for DATA dot-stuffed and ending in CRLF (without the
 *     final "." line), for BDAT unstuffed. The session subscribes once and releases what it sends.
 * @param contentSize the size of the content in bytes (exact for BDAT: it decides whether the
 *     content is pipelined as a single chunk)
 * @param keepOpen true when the session is to be kept for reuse: no QUIT after the transaction
 */
public record Transaction(String mailFrom, List<String> rcptTo, Function<ContentMode, Publisher<ByteBuf>> content,
        long contentSize, boolean keepOpen) {

    public Transaction {
        Objects.requireNonNull(mailFrom, "mailFrom");
        Objects.requireNonNull(content, "content");
        rcptTo = List.copyOf(rcptTo);
        if (rcptTo.isEmpty()) {
            throw new IllegalArgumentException("a transaction needs at least one recipient");
        }
        checkLine(mailFrom);
        rcptTo.forEach(Transaction::checkLine);
    }

    // A command line must be one line: CR, LF or NUL would let an address smuggle commands.
    private static void checkLine(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new IllegalArgumentException("command contains CR, LF or NUL: " + line.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0"));
            }
        }
    }
}
