package io.postilion.transport.session;

import java.time.Duration;
import java.util.Objects;

/**
 * What the opening of a session needs to know about the request that opened it: the handshake
 * decides things the session keeps for later transactions (the PIX workarounds, SESS-18) and
 * writes lines that name the request.
 *
 * @param queueId the message's queue id, for the log lines Postfix prefixes with it; empty for none
 * @param messageAge how long the message has been queued (SESS-18's threshold)
 * @param requiresSmtputf8 the delivery needs SMTPUTF8 (DATA-20, SESS-16)
 * @param myHostname $myhostname when loop detection is on for this server (LOOKUP-2): a greeting
 *     whose first word is this name is warned about (SESS-8); null when it is off
 * @param log where the informational lines and warnings go
 */
public record HelloContext(String queueId, Duration messageAge, boolean requiresSmtputf8, String myHostname,
        SessionLog log) {

    public HelloContext {
        Objects.requireNonNull(queueId, "queueId");
        Objects.requireNonNull(messageAge, "messageAge");
        Objects.requireNonNull(log, "log");
    }

    /** A handshake for no particular message, logging to the application log. */
    public static HelloContext of(boolean requiresSmtputf8) {
        return new HelloContext("", Duration.ZERO, requiresSmtputf8, null, SessionLog.APPLICATION);
    }
}
