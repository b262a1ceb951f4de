package io.postilion.engine.listener;

import reactor.core.publisher.Mono;

/**
 * Where accepted messages go: the spool, in the relay. The listener replies 250 only when the
 * Mono from {@link #accept} completes, so a sink that completes before the message is durable
 * breaks the relay's promise; an error becomes a 451 and the client keeps the message.
 */
public interface MessageSink {

    /** A new, unique queue id; called at MAIL FROM, so the Received: header can name it. */
    String newQueueId();

    /**
     * Whether the queue has room for a message of {@code declaredSize} bytes (0 when the client
     * gave no SIZE): Postfix's smtpd_check_queue, asked at MAIL so that a full disk refuses early
     * with 452 4.3.1 instead of failing after the content. Must answer at once, without I/O.
     */
    default boolean hasRoomFor(long declaredSize) {
        return true;
    }

    /** Makes the message durable; completes when it is. */
    Mono<Void> accept(ReceivedMessage message);
}
