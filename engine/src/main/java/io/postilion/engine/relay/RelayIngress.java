package io.postilion.engine.relay;

import io.postilion.engine.listener.MessageSink;

/**
 * The relay's one way in for mail that does not come through its SMTP listener (the fleet's
 * Kafka consumer, a library user): the same path the listener uses, so such a message is
 * stored, logged (cleanup's message-id line), counted (postilion_messages_accepted_total) and
 * handed to the queue manager exactly like one received by SMTP. It is the listener's own
 * {@link MessageSink} (a new queue id, room in the spool, {@code accept} completing only when
 * the message is durable; until the relay has recovered its spool at start-up a message waits,
 * so nothing goes out twice), plus what a feeder needs to pace itself.
 */
public interface RelayIngress extends MessageSink {

    /**
     * Messages in the queue manager's hands (being delivered, waiting for a retry, or parked for
     * room among the active ones): a feeder that must not outrun delivery pauses on it.
     */
    int inFlight();
}
