package io.postilion.engine.delivery;

import java.util.Objects;

/**
 * How one recipient ended one attempt, with everything the log line (LOG-1) and a delivery status
 * notice (RFC 3464) need, as typed facts: nothing downstream reads them back out of text.
 *
 * @param recipient the recipient, with its queue index
 * @param outcome sent, deferred, bounced, SOFTBOUNCE, or a probe's verdict
 * @param status the DSN status
 * @param action the DSN action (relayed, delivered, delayed, failed; a probe's words)
 * @param verdict who decided and what they said: the server and its reply, or this MTA's finding
 * @param reason the diagnostic in Postfix's words, as the log line shows it (for a success, the
 *     server's reply)
 * @param relay HOST[ADDR]:PORT of the session that decided it, or "none"; for the log only
 * @param connUse how many times the connection had been used, 1 for a fresh one
 * @param successNotice a success notice is due from us (REPLY-15): the recipient asked for
 *     NOTIFY=SUCCESS and the server that took the message did not announce DSN
 * @param tls the TLS feature status of the server that decided it, as the log shows it (LOG-5);
 *     empty when none is logged
 */
public record RecipientResult(Recipient recipient, Outcome outcome, DsnStatus status, DsnAction action,
        Verdict verdict, String reason, String relay, int connUse, boolean successNotice, String tls) {

    public RecipientResult {
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(relay, "relay");
        Objects.requireNonNull(tls, "tls");
    }

    /** A result this MTA decided without a server: no relay, no connection, the reason as diagnostic. */
    public static RecipientResult local(Recipient recipient, Outcome outcome, DsnStatus status, VerdictSource source,
            String reason) {
        return new RecipientResult(recipient, outcome, status, outcome.dsnAction(), Verdict.local(source, reason), reason,
                "none", 0, false, "");
    }

    /** The recipient's queue index. */
    public int index() {
        return recipient.index();
    }

    /**
     * The same result with another outcome, status and reason (LOG-7, MISC-1, expiry), the action
     * following the outcome. A verdict of this MTA's own takes the new reason as its diagnostic; a
     * server's reply stays what the server said.
     */
    public RecipientResult recast(Outcome o, DsnStatus newStatus, String newReason, DsnAction newAction) {
        Verdict v = verdict.fromServer() ? verdict : Verdict.local(verdict.source(), newReason);
        return new RecipientResult(recipient, o, newStatus, newAction, v, newReason, relay, connUse, successNotice, tls);
    }
}
