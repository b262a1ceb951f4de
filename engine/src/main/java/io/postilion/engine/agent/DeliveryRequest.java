package io.postilion.engine.agent;

import io.postilion.transport.content.ContentSource;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Ret;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One delivery job: one message, one sender, one next-hop, its recipients (Postfix's request from
 * the queue manager to smtp(8)).
 *
 * @param queueId the queue id that starts every log line
 * @param sender the envelope sender, empty for the null sender
 * @param recipients the recipients, in queue order
 * @param content the message as stored: CRLF lines, not dot-stuffed
 * @param bodyType 7bit, 8bit or unknown, as recorded at arrival (DATA-10, XFER-3)
 * @param smtputf8Requested the sender asked for SMTPUTF8
 * @param headersUtf8 a header of the message contains UTF-8 (DATA-20)
 * @param nexthop the destination: domain, [host]:port, a list, or for LMTP inet:/unix: forms
 * @param envId the DSN envelope id, empty when none
 * @param ret the DSN RET request
 * @param arrival when the message arrived (delay=)
 * @param active when the message entered the active queue (the first part of delays=)
 */
public record DeliveryRequest(String queueId, String sender, List<Recipient> recipients, ContentSource content,
        BodyType bodyType, boolean smtputf8Requested, boolean headersUtf8, String nexthop, String envId, Ret ret,
        Instant arrival, Instant active) {

    public DeliveryRequest {
        Objects.requireNonNull(queueId, "queueId");
        Objects.requireNonNull(sender, "sender");
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a delivery request needs at least one recipient");
        }
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(bodyType, "bodyType");
        Objects.requireNonNull(nexthop, "nexthop");
        Objects.requireNonNull(envId, "envId");
        Objects.requireNonNull(ret, "ret");
        Objects.requireNonNull(arrival, "arrival");
        Objects.requireNonNull(active, "active");
    }
}
