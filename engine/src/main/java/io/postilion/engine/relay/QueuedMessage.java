package io.postilion.engine.relay;

import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.ClientOrigin;
import io.postilion.transport.protocol.Ret;
import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * A message in the relay's queue as the queue manager sees it: the envelope, how to read the
 * content, and which recipients are already done (sent or returned) from earlier attempts.
 *
 * @param queueId the spool's id
 * @param sender envelope sender, empty for a notice
 * @param recipients every recipient, in the order received
 * @param done indexes of recipients that need no more delivery
 * @param content the stored content (CRLF, not dot-stuffed)
 * @param bodyType BODY= as received
 * @param smtputf8 SMTPUTF8 as received
 * @param headersUtf8 a header holds UTF-8 (with {@code smtputf8}, delivery needs SMTPUTF8: DATA-20)
 * @param envId DSN ENVID
 * @param ret DSN RET
 * @param arrival when the message was accepted
 * @param origin the client that submitted it, for XFORWARD (XFER-2)
 * @param tls REQUIRETLS and "TLS-Required: no" as received (TLS-19, TLS-20)
 */
public record QueuedMessage(String queueId, String sender, List<Recipient> recipients, BitSet done,
        ContentSource content, BodyType bodyType, boolean smtputf8, boolean headersUtf8, String envId, Ret ret,
        Instant arrival, ClientOrigin origin, io.postilion.engine.delivery.TlsRequest tls) {

    public QueuedMessage {
        Objects.requireNonNull(queueId, "queueId");
        Objects.requireNonNull(sender, "sender");
        recipients = List.copyOf(recipients);
        done = (BitSet) done.clone();
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(bodyType, "bodyType");
        Objects.requireNonNull(envId, "envId");
        Objects.requireNonNull(ret, "ret");
        Objects.requireNonNull(arrival, "arrival");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(tls, "tls");
    }

    /** A received message's envelope with the given done set and content. */
    public static QueuedMessage of(ReceivedMessage r, BitSet done, ContentSource content) {
        List<Recipient> rcpts = new java.util.ArrayList<>(r.recipients().size());
        for (ReceivedMessage.Recipient x : r.recipients()) {
            // The queue index is the recipient's place in the message: results come back by it.
            rcpts.add(new Recipient(rcpts.size(), x.address(), x.originalAddress(), x.notifyOn(), x.orcpt()));
        }
        return new QueuedMessage(r.queueId(), r.sender(), rcpts, done, content, r.bodyType(), r.smtputf8(),
                r.headersUtf8(), r.envId(), r.ret(), r.arrival(), origin(r.client()), r.tls());
    }

    /** A copy whose done set is {@code nowDone}. */
    QueuedMessage withDone(BitSet nowDone) {
        return new QueuedMessage(queueId, sender, recipients, nowDone, content, bodyType, smtputf8, headersUtf8, envId,
                ret, arrival, origin, tls);
    }

    /**
     * What the listener knew of the client. The relay does no reverse lookups, so the name is
     * unknown (and XFORWARD leaves it out); mail the relay wrote itself (notices) has no client
     * address worth forwarding and counts as local.
     */
    private static ClientOrigin origin(ReceivedMessage.Client c) {
        if (c == null || c.address().isEmpty()) {
            return ClientOrigin.LOCAL;
        }
        return new ClientOrigin("", c.address(), "", "", c.helo(), true);
    }
}
