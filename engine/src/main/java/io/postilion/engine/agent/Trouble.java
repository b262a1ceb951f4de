package io.postilion.engine.agent;

import io.postilion.engine.delivery.Outcome;

import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.Verdict;
import io.postilion.engine.delivery.VerdictSource;
import io.postilion.transport.reply.SmtpReply;
import io.postilion.transport.session.Stage;
import io.postilion.transport.session.StageFailure;

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
final class Trouble {

    private Trouble() {
    }

    /**
     * @param status the enhanced status after any rewriting
     * @param softUnlessFinal a REPLY-13 condition (5.6.7, 5.7.10, 5.7.30 raised locally)
     * @param finalServer no other server follows in this attempt
     * @param softBounce soft_bounce = yes
     */
    static Decision decide(DsnStatus status, boolean softUnlessFinal, boolean finalServer, boolean softBounce) {
        if (status.isTransient()) {
            return finalServer ? Decision.drop(Outcome.DEFERRED, status) : Decision.keep(status);
        }
        if (!finalServer && (softUnlessFinal || softBounce)) {
            return Decision.keep(status);
        }
        if (softBounce) {
            return Decision.drop(Outcome.SOFTBOUNCE, status.withClass(4));
        }
        return Decision.drop(Outcome.BOUNCED, status);
    }

    /**
     * The status and reason a failure handler records for a server reply: the reply's own status,
     * unless the reply is not a failure at all (a 2xx or 3xx where a failure was handled), which is
     * a protocol error, 5.5.0 with "Protocol error: " before the reason (REPLY-8).
     */
    static Failure fromReply(SmtpReply reply, String reason, String remoteMta) {
        Verdict said = Verdict.reply(remoteMta, reply.text());
        DsnStatus status = DsnStatus.parse(reply.status());
        if (status.isSuccess()) {
            return new Failure(DsnStatus.PROTOCOL_ERROR, "Protocol error: " + reason, true, said);
        }
        return new Failure(status, reason, SmtpReply.protocolErrorCode(reply.code()), said);
    }

    /**
     * Who decided a stage's failure: the server, when it replied; otherwise this MTA, for a broken
     * or silent connection, a failed TLS handshake, or its own refusal.
     */
    static Verdict verdictOf(StageFailure f, String remoteMta) {
        if (f.reply() != null) {
            return Verdict.reply(remoteMta, f.reply().text());
        }
        VerdictSource source = switch (f.kind()) {
            case TIMEOUT, LOST -> f.stage() == Stage.STARTTLS ? VerdictSource.TLS : VerdictSource.CONNECTION;
            case LOCAL, DATA -> f.stage() == Stage.STARTTLS ? VerdictSource.TLS : VerdictSource.LOCAL;
            case REPLY -> VerdictSource.LOCAL; // a reply kind always carries its reply; kept total for safety
        };
        return Verdict.local(source, f.text());
    }

    /**
     * A failure as recorded: DSN status, reason text, whether it is a protocol error (REPLY-6),
     * and who said it.
     */
    record Failure(DsnStatus status, String reason, boolean protocolError, Verdict verdict) {
    }
}
