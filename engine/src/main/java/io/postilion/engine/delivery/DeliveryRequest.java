package io.postilion.engine.delivery;

import io.postilion.transport.content.ContentSource;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.ClientOrigin;
import io.postilion.transport.protocol.Ret;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Objects;

/**
 * One delivery job: one message, one sender, one next-hop, its recipients (Postfix's request from
 * the queue manager to smtp(8)).
 *
 * @param queueId the queue id that starts every log line (the builder makes one when none is given)
 * @param sender the envelope sender, empty for the null sender
 * @param recipients the recipients, in queue order, each with its own queue index
 * @param content the message as stored: CRLF lines, not dot-stuffed
 * @param bodyType 7bit, 8bit or unknown, as recorded at arrival (DATA-10, XFER-3)
 * @param smtputf8Requested the sender asked for SMTPUTF8
 * @param headersUtf8 a header of the message contains UTF-8 (DATA-20)
 * @param nexthop the destination: domain, [host]:port, a list, or for LMTP inet:/unix: forms
 * @param envId the DSN envelope id, empty when none
 * @param ret the DSN RET request
 * @param arrival when the message arrived (delay=)
 * @param active when the message entered the active queue (the first part of delays=)
 * @param flags the master.cf flags D, O, R, X in force for this delivery (DATA-22..25)
 * @param probe an address verification probe: no content is delivered (MISC-1)
 * @param origin the client the message came from, for XFORWARD (XFER-2)
 * @param tls what the sender asked of TLS: REQUIRETLS (TLS-19), "TLS-Required: no" (TLS-20)
 */
public record DeliveryRequest(String queueId, String sender, List<Recipient> recipients, ContentSource content,
        BodyType bodyType, boolean smtputf8Requested, boolean headersUtf8, String nexthop, String envId, Ret ret,
        Instant arrival, Instant active, Set<DeliveryFlag> flags, boolean probe, ClientOrigin origin, TlsRequest tls) {

    /** A request from a client, without TLS requests. */
    public DeliveryRequest(String queueId, String sender, List<Recipient> recipients, ContentSource content,
            BodyType bodyType, boolean smtputf8Requested, boolean headersUtf8, String nexthop, String envId, Ret ret,
            Instant arrival, Instant active, Set<DeliveryFlag> flags, boolean probe, ClientOrigin origin) {
        this(queueId, sender, recipients, content, bodyType, smtputf8Requested, headersUtf8, nexthop, envId, ret,
                arrival, active, flags, probe, origin, TlsRequest.NONE);
    }

    /** A request with flags and the probe marker, from a local submission. */
    public DeliveryRequest(String queueId, String sender, List<Recipient> recipients, ContentSource content,
            BodyType bodyType, boolean smtputf8Requested, boolean headersUtf8, String nexthop, String envId, Ret ret,
            Instant arrival, Instant active, Set<DeliveryFlag> flags, boolean probe) {
        this(queueId, sender, recipients, content, bodyType, smtputf8Requested, headersUtf8, nexthop, envId, ret,
                arrival, active, flags, probe, ClientOrigin.LOCAL);
    }

    public DeliveryRequest {
        Objects.requireNonNull(queueId, "queueId");
        Objects.requireNonNull(sender, "sender");
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a delivery request needs at least one recipient");
        }
        checkIndexes(recipients);
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(bodyType, "bodyType");
        Objects.requireNonNull(nexthop, "nexthop");
        Objects.requireNonNull(envId, "envId");
        Objects.requireNonNull(ret, "ret");
        Objects.requireNonNull(arrival, "arrival");
        Objects.requireNonNull(active, "active");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(tls, "tls");
        flags = flags.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(flags));
    }

    /** Each recipient's queue index appears once: results are matched back by it. */
    private static void checkIndexes(List<Recipient> recipients) {
        java.util.BitSet seen = new java.util.BitSet();
        for (Recipient r : recipients) {
            if (seen.get(r.index())) {
                throw new IllegalArgumentException("queue index " + r.index() + " given to two recipients of one request");
            }
            seen.set(r.index());
        }
    }

    /** A request without flags that is not a probe (the common case). */
    public DeliveryRequest(String queueId, String sender, List<Recipient> recipients, ContentSource content,
            BodyType bodyType, boolean smtputf8Requested, boolean headersUtf8, String nexthop, String envId, Ret ret,
            Instant arrival, Instant active) {
        this(queueId, sender, recipients, content, bodyType, smtputf8Requested, headersUtf8, nexthop, envId, ret,
                arrival, active, Set.of(), false, ClientOrigin.LOCAL);
    }

    /**
     * Starts a request for library users: everything not set has the value a plain submission has.
     * A null or blank {@code queueId} gets a new one from {@link QueueIds#next()}.
     */
    public static Builder builder(String queueId, String sender, String nexthop) {
        return new Builder(queueId == null || queueId.isBlank() ? QueueIds.next() : queueId, sender, nexthop);
    }

    /** Starts a request with a queue id made by the library ({@link QueueIds#next()}). */
    public static Builder builder(String sender, String nexthop) {
        return builder(null, sender, nexthop);
    }

    /** A copy with other recipients, everything else kept. */
    public DeliveryRequest withRecipients(List<Recipient> others) {
        return new DeliveryRequest(queueId, sender, others, content, bodyType, smtputf8Requested, headersUtf8, nexthop,
                envId, ret, arrival, active, flags, probe, origin, tls);
    }

    /** A copy with other content, everything else kept. */
    public DeliveryRequest withContent(ContentSource other) {
        return new DeliveryRequest(queueId, sender, recipients, other, bodyType, smtputf8Requested, headersUtf8,
                nexthop, envId, ret, arrival, active, flags, probe, origin, tls);
    }

    /** A copy for another next-hop, everything else kept (MISC-2's hand-off). */
    public DeliveryRequest withNexthop(String other) {
        return new DeliveryRequest(queueId, sender, recipients, content, bodyType, smtputf8Requested, headersUtf8, other,
                envId, ret, arrival, active, flags, probe, origin, tls);
    }

    /** A copy that neither requests SMTPUTF8 nor has UTF-8 headers: what a request is with the feature off. */
    public DeliveryRequest withoutSmtputf8() {
        return new DeliveryRequest(queueId, sender, recipients, content, bodyType, false, false, nexthop,
                envId, ret, arrival, active, flags, probe, origin, tls);
    }

    /** A copy with another envelope sender, everything else kept. */
    public DeliveryRequest withSender(String other) {
        return new DeliveryRequest(queueId, other, recipients, content, bodyType, smtputf8Requested, headersUtf8,
                nexthop, envId, ret, arrival, active, flags, probe, origin, tls);
    }

    /** Collects a request step by step; {@link #build()} checks it. */
    public static final class Builder {
        private final String queueId;
        private final String sender;
        private final String nexthop;
        private final List<Recipient> recipients = new ArrayList<>();
        private ContentSource content;
        private BodyType bodyType = BodyType.UNKNOWN;
        private boolean smtputf8Requested;
        private boolean headersUtf8;
        private String envId = "";
        private Ret ret = Ret.NONE;
        private Instant arrival;
        private Instant active;
        private final Set<DeliveryFlag> flags = EnumSet.noneOf(DeliveryFlag.class);
        private boolean probe;
        private ClientOrigin origin = ClientOrigin.LOCAL;
        private TlsRequest tls = TlsRequest.NONE;

        private Builder(String queueId, String sender, String nexthop) {
            this.queueId = queueId;
            this.sender = sender;
            this.nexthop = nexthop;
        }

        public Builder recipient(Recipient r) {
            recipients.add(Objects.requireNonNull(r, "recipient"));
            return this;
        }

        /** A plain recipient, at the next queue position. */
        public Builder recipient(String address) {
            return recipient(Recipient.of(recipients.size(), address));
        }

        public Builder content(ContentSource c) {
            this.content = c;
            return this;
        }

        public Builder bodyType(BodyType t) {
            this.bodyType = t;
            return this;
        }

        public Builder smtputf8(boolean requested, boolean headersUtf8) {
            this.smtputf8Requested = requested;
            this.headersUtf8 = headersUtf8;
            return this;
        }

        public Builder dsn(String envId, Ret ret) {
            this.envId = envId;
            this.ret = ret;
            return this;
        }

        /** When the message arrived and when it entered the active queue; both default to now. */
        public Builder times(Instant arrival, Instant active) {
            this.arrival = arrival;
            this.active = active;
            return this;
        }

        public Builder flags(Set<DeliveryFlag> f) {
            flags.clear();
            flags.addAll(f);
            return this;
        }

        public Builder probe(boolean on) {
            this.probe = on;
            return this;
        }

        /** The client the message came from, for XFORWARD; a local submission by default. */
        public Builder origin(ClientOrigin o) {
            this.origin = Objects.requireNonNull(o, "origin");
            return this;
        }

        /** What the sender asked of TLS (TLS-19, TLS-20); nothing by default. */
        public Builder tls(TlsRequest t) {
            this.tls = Objects.requireNonNull(t, "tls");
            return this;
        }

        public DeliveryRequest build() {
            Instant now = Instant.now();
            Instant arrived = arrival != null ? arrival : now;
            return new DeliveryRequest(queueId, sender, recipients, content, bodyType, smtputf8Requested, headersUtf8,
                    nexthop, envId, ret, arrived, active != null ? active : arrived, flags, probe, origin, tls);
        }
    }
}
