package io.postilion.engine.agent;

import io.postilion.transport.reply.EnhancedStatus;
import io.postilion.transport.reply.SmtpReply;

/**
 * Where failures become outcomes (REPLY-7, REPLY-8, REPLY-11, REPLY-13, REPLY-14, REPLY-16,
 * SESS-3): the one place that decides whether a recipient is kept for the next server, deferred,
 * bounced or soft-bounced.
 *
 * <p>Soft or hard is read from the enhanced status, never from the reply code. A soft failure at
 * a server that is not the last one keeps the recipient for the next; at the final server it
 * defers. A hard failure bounces wherever it happens, except that the "soft unless final"
 * conditions (SMTPUTF8 required, REQUIRETLS) and soft_bounce = yes let other servers try first,
 * and soft_bounce turns the final bounce into a deferral with a 4.x.x status.
 */
public final class Trouble {

    private Trouble() {
    }

    /**
     * @param status the enhanced status after any rewriting (x.y.z)
     * @param softUnlessFinal a REPLY-13 condition (5.6.7, 5.7.10, 5.7.30 raised locally)
     * @param finalServer no other server follows in this attempt
     * @param softBounce soft_bounce = yes
     */
    public static Decision decide(String status, boolean softUnlessFinal, boolean finalServer, boolean softBounce) {
        char cls = status.charAt(0);
        if (cls == '4') {
            return finalServer ? Decision.drop(Outcome.DEFERRED, status) : Decision.keep(status);
        }
        if (!finalServer && (softUnlessFinal || softBounce)) {
            return Decision.keep(status);
        }
        if (softBounce) {
            return Decision.drop(Outcome.SOFTBOUNCE, "4" + status.substring(1));
        }
        return Decision.drop(Outcome.BOUNCED, status);
    }

    /**
     * The status and reason a failure handler records for a server reply: the reply's own status,
     * unless the reply is not a failure at all (a 2xx or 3xx where a failure was handled), which is
     * a protocol error, 5.5.0 with "Protocol error: " before the reason (REPLY-8).
     */
    public static Failure fromReply(SmtpReply reply, String reason) {
        char cls = reply.status().charAt(0);
        if (cls != '4' && cls != '5') {
            return new Failure(EnhancedStatus.PROTOCOL_ERROR, "Protocol error: " + reason, true);
        }
        return new Failure(reply.status(), reason, protocolErrorCode(reply.code()));
    }

    /** REPLY-6: codes that flag a protocol error when they cause a failure. */
    static boolean protocolErrorCode(int code) {
        return SmtpReply.protocolErrorCode(code);
    }

    /** A failure as recorded: DSN status, reason text, and whether it is a protocol error (REPLY-6). */
    public record Failure(String status, String reason, boolean protocolError) {
    }
}
