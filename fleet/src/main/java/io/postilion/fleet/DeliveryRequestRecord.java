package io.postilion.fleet;

import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.transport.protocol.Ret;
import java.util.List;
import java.util.Objects;

/**
 * One delivery request as an application publishes it to the request topic: the envelope (with
 * the DSN parameters an SMTP client could give) and the message. {@link RequestCodec} is its one
 * wire form; a record that reaches here has passed every check, so the relay stores it as it is.
 *
 * @param sender the envelope sender; empty for the null sender
 * @param recipients one or more (the listener's recipient type: address, NOTIFY, ORCPT), in order:
 *     their positions become the queue indexes results name
 * @param eightBitMime the body is 8BITMIME (else 7BIT)
 * @param smtputf8 the envelope or headers need SMTPUTF8
 * @param envId the DSN ENVID (RFC 3461), empty when none; results carry it back
 * @param ret the DSN RET
 * @param content the message in SMTP form: headers and body, CRLF line ends, not dot-stuffed
 */
public record DeliveryRequestRecord(String sender, List<ReceivedMessage.Recipient> recipients, boolean eightBitMime, boolean smtputf8,
        String envId, Ret ret, byte[] content) {

    public DeliveryRequestRecord {
        Objects.requireNonNull(sender, "sender");
        recipients = List.copyOf(recipients);
        Objects.requireNonNull(envId, "envId");
        Objects.requireNonNull(ret, "ret");
        Objects.requireNonNull(content, "content");
    }
}
