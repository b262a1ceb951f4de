package io.postilion.transport.session;

import io.postilion.transport.reply.SmtpReply;
import java.util.Collections;
import java.util.List;

/**
 * Every reply a transaction got, in command order, for the delivery agent to turn into
 * per-recipient outcomes (XFER-25, REPLY-9..11). The session applies no delivery policy.
 *
 * @param mail the MAIL FROM reply, null if none arrived
 * @param rcpt one reply per RCPT TO, in request order; an element is null if that reply never arrived
 * @param data the DATA reply (or, with BDAT, the first non-2xx chunk reply), null if none
 * @param finals the end-of-content replies: one for SMTP, one per accepted recipient for LMTP
 *     (in the order of {@code accepted}); fewer when a failure cut them off
 * @param accepted the indexes of the recipients whose RCPT TO got 2xx
 * @param usedBdat whether the content went as BDAT chunks
 * @param aborted whether the transaction was abandoned with RSET (XFER-26)
 * @param failure what cut the transaction short (timeout, lost connection), null otherwise
 * @param protocolError a reply carried garbage lines (XFER-29), or a reply handled as a failure had a
 *     protocol-error code (REPLY-6/8: a 2xx or 3xx where a failure was handled, 500-509, 555):
 *     do not reuse the connection
 * @param reusable the connection is healthy and was not QUIT: it may be kept for reuse
 * @param xforward the replies to the XFORWARD commands, in order (XFER-2: only ever warned about)
 * @param brokeLongLine a content line longer than smtp_line_length_limit was broken (DATA-3: logged
 *     once per request)
 */
public record TransactionResult(SmtpReply mail, List<SmtpReply> rcpt, SmtpReply data, List<SmtpReply> finals,
        List<Integer> accepted, boolean usedBdat, boolean aborted, StageFailure failure, boolean protocolError,
        boolean reusable, List<SmtpReply> xforward, boolean brokeLongLine) {

    public TransactionResult {
        xforward = List.copyOf(xforward);
        rcpt = Collections.unmodifiableList(rcpt);
        finals = List.copyOf(finals);
        accepted = List.copyOf(accepted);
    }
}
