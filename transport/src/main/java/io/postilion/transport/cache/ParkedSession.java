package io.postilion.transport.cache;

import io.postilion.transport.session.Handshake;
import io.postilion.transport.session.SmtpSession;
import java.time.Instant;
import java.util.Objects;

/**
 * A session between transactions, with what survives parking (CACHE-10): the server's features as
 * learned at hello time, when the connection was made (the reuse deadline counts from then and
 * never moves, CACHE-2) and how many transactions it has carried. The server's SIZE limit is in
 * the handshake but is not applied to a reused session.
 *
 * @param session the open session
 * @param handshake its greeting and hello reply
 * @param connectedAt when the connection was made
 * @param uses transactions carried so far
 * @param bestMx whether the server was a best-preference MX host of the destination
 */
public record ParkedSession(SmtpSession session, Handshake handshake, Instant connectedAt, int uses, boolean bestMx) {

    public ParkedSession {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(handshake, "handshake");
        Objects.requireNonNull(connectedAt, "connectedAt");
    }
}
