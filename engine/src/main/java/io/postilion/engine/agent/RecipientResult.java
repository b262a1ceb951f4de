package io.postilion.engine.agent;

import java.util.Objects;

/**
 * How one recipient ended the attempt, with everything the log line and a DSN need (LOG-1).
 *
 * @param recipient the recipient
 * @param outcome sent, deferred, bounced or SOFTBOUNCE
 * @param dsn the DSN status x.y.z
 * @param reason the diagnostic in Postfix's words (the server's reply for a success)
 * @param relay HOST[ADDR]:PORT of the session that decided it, or "none"
 * @param action the DSN action: relayed, delivered, delayed or failed
 * @param connUse how many times the connection had been used, 1 for a fresh one
 * @param successNotice a success notice is due from us (REPLY-15): the recipient asked for
 *     NOTIFY=SUCCESS and the server that took the message did not announce DSN
 * @param tls the TLS feature status of the server that decided it, as the log shows it (LOG-5);
 *     empty when none is logged
 */
public record RecipientResult(Recipient recipient, Outcome outcome, String dsn, String reason, String relay,
        String action, int connUse, boolean successNotice, String tls) {

    /** A result without a TLS feature status. */
    public RecipientResult(Recipient recipient, Outcome outcome, String dsn, String reason, String relay, String action,
            int connUse, boolean successNotice) {
        this(recipient, outcome, dsn, reason, relay, action, connUse, successNotice, "");
    }

    /** A result that calls for no success notice. */
    public RecipientResult(Recipient recipient, Outcome outcome, String dsn, String reason, String relay, String action,
            int connUse) {
        this(recipient, outcome, dsn, reason, relay, action, connUse, false, "");
    }

    public RecipientResult {
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(dsn, "dsn");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(relay, "relay");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(tls, "tls");
    }

    /** The same result with another outcome, status, reason and action (LOG-7, MISC-1). */
    public RecipientResult recast(Outcome o, String newDsn, String newReason, String newAction) {
        return new RecipientResult(recipient, o, newDsn, newReason, relay, newAction, connUse, successNotice, tls);
    }
}
