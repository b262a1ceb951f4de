package io.postilion.engine.listener;

import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Notify;
import io.postilion.transport.protocol.Ret;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One message as the listener accepted it, ready to be made durable: the envelope with its DSN
 * requests, the content in spool form (CRLF line ends, not dot-stuffed, our Received: header on
 * top) and who sent it.
 *
 * @param queueId the id given at MAIL FROM, also named in our Received: header
 * @param sender the envelope sender, empty for the null sender
 * @param recipients the accepted recipients, in the order given
 * @param bodyType BODY= from MAIL FROM (7BIT, 8BITMIME), or unknown when not given
 * @param smtputf8 the client asked for SMTPUTF8
 * @param envId DSN ENVID, empty when none
 * @param ret DSN RET
 * @param content the message bytes
 * @param client who sent it
 * @param arrival when the end of the message was received
 * @param headersUtf8 a header holds UTF-8 (Postfix's SMTPUTF8_FLAG_HEADER): with {@code smtputf8},
 *     delivery then needs a server that offers SMTPUTF8 (DATA-20); kept in the queue file, since
 *     the content is not read again to find it out
 * @param tls REQUIRETLS on MAIL FROM (TLS-19) and a "TLS-Required: no" header (TLS-20), kept in the
 *     queue file for the same reason
 */
public record ReceivedMessage(String queueId, String sender, List<Recipient> recipients, BodyType bodyType,
        boolean smtputf8, String envId, Ret ret, byte[] content, Client client, Instant arrival, boolean headersUtf8,
        io.postilion.engine.delivery.TlsRequest tls) {

    /** A message without REQUIRETLS whose headers are scanned here for "TLS-Required: no". */
    public ReceivedMessage(String queueId, String sender, List<Recipient> recipients, BodyType bodyType, boolean smtputf8,
            String envId, Ret ret, byte[] content, Client client, Instant arrival, boolean headersUtf8) {
        this(queueId, sender, recipients, bodyType, smtputf8, envId, ret, content, client, arrival, headersUtf8,
                io.postilion.engine.delivery.TlsRequest.of(false, content));
    }

    /** A message as received, whose headers are scanned for UTF-8 here. */
    public ReceivedMessage(String queueId, String sender, List<Recipient> recipients, BodyType bodyType, boolean smtputf8,
            String envId, Ret ret, byte[] content, Client client, Instant arrival) {
        this(queueId, sender, recipients, bodyType, smtputf8, envId, ret, content, client, arrival,
                io.postilion.engine.config.Smtputf8Settings.headersUtf8(content));
    }

    public ReceivedMessage {
        Objects.requireNonNull(queueId, "queueId");
        Objects.requireNonNull(sender, "sender");
        recipients = List.copyOf(recipients);
        Objects.requireNonNull(bodyType, "bodyType");
        Objects.requireNonNull(envId, "envId");
        Objects.requireNonNull(ret, "ret");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(arrival, "arrival");
        Objects.requireNonNull(tls, "tls");
    }

    /**
     * One accepted recipient with its DSN requests.
     *
     * @param address the address as given in RCPT TO
     * @param notifyOn NOTIFY=, empty when not given
     * @param orcpt ORCPT= as {@code type;address} (decoded), empty when not given
     */
    public record Recipient(String address, Set<Notify> notifyOn, String orcpt) {
        public Recipient {
            Objects.requireNonNull(address, "address");
            notifyOn = Set.copyOf(notifyOn);
            Objects.requireNonNull(orcpt, "orcpt");
        }

        /** The address part of ORCPT ({@code type;address}), which the log shows as orig_to=; empty without one. */
        public String originalAddress() {
            int semi = orcpt.indexOf(';');
            return semi < 0 ? "" : orcpt.substring(semi + 1);
        }
    }

    /**
     * The sending client, for the Received: header and logs.
     *
     * @param address its IP address
     * @param helo the name it gave in EHLO/HELO
     * @param tls the session was encrypted when the message came
     * @param authenticatedAs the SASL user, empty when none
     */
    public record Client(String address, String helo, boolean tls, String authenticatedAs) {
        public Client {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(helo, "helo");
            Objects.requireNonNull(authenticatedAs, "authenticatedAs");
        }
    }
}
