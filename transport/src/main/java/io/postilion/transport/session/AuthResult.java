package io.postilion.transport.session;

import io.postilion.transport.reply.SmtpReply;

/**
 * How an AUTH exchange ended (SASL-5..7): the server's final reply, or the failure that cut the
 * exchange short (a mechanism failure, a loop, a timeout, a lost connection).
 *
 * @param reply the final non-3xx reply; null when {@code failure} is set
 * @param failure why the exchange stopped before a final reply; null when it got one
 */
public record AuthResult(SmtpReply reply, StageFailure failure) {

    /** Whether the server accepted the credentials (and the mechanism believed it). */
    public boolean authenticated() {
        return failure == null && reply.isPositive();
    }
}
