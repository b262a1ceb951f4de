package io.postilion.engine.relay;

import io.postilion.engine.listener.ReceivedMessage;
import reactor.core.publisher.Mono;

/**
 * The relay's one way in for mail that does not come through its SMTP listener (the fleet's
 * Kafka consumer, a library user): the same path the listener uses, so such a message is
 * stored, logged (cleanup's message-id line), counted (postilion_messages_accepted_total) and
 * handed to the queue manager exactly like one received by SMTP.
 */
public interface RelayIngress {

    /** A new, unique queue id for the message about to be accepted. */
    String newQueueId();

    /**
     * Whether the spool has room for a message of {@code size} bytes (queue_minfree and
     * message_size_limit), answered at once without I/O.
     */
    boolean hasRoomFor(long size);

    /**
     * Messages in the queue manager's hands (being delivered, waiting for a retry, or parked for
     * room among the active ones): a feeder that must not outrun delivery pauses on it.
     */
    int inFlight();

    /**
     * Makes the message durable in the spool and submits it for delivery. Completes only when the
     * message is durable (its group commit covered it); an error means it was not stored. Until
     * the relay has recovered its spool at start-up, the message waits, so nothing goes out twice.
     */
    Mono<Void> accept(ReceivedMessage message);
}
