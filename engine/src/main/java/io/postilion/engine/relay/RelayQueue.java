package io.postilion.engine.relay;

import io.postilion.engine.listener.MessageSink;
import io.postilion.engine.listener.ReceivedMessage;
import reactor.core.publisher.Flux;

/**
 * The relay's durable queue as one piece: it takes accepted messages (as the listener's sink, so
 * 250 follows durability), keeps delivery state (as the queue manager's store), and gives back at
 * start-up what a previous run left, with the recipients already done marked.
 */
public interface RelayQueue extends MessageSink, QueueStore, AutoCloseable {

    /**
     * When a message {@link #recover} gave back is next due; a time already past (the default)
     * means now. Deferred mail keeps the time its last attempt set.
     */
    default java.time.Instant nextAttempt(String queueId) {
        return java.time.Instant.EPOCH;
    }

    /** Messages left by an earlier run (incoming ones completed, active and deferred ones), once each. */
    Flux<QueuedMessage> recover();

    /**
     * The message the listener just handed over, as the queue manager will deliver it: its
     * content read back from the durable copy, so a message waiting in the queue costs no memory.
     */
    QueuedMessage queued(ReceivedMessage accepted);

    /** The queue's messages with their pending recipients (postilion queue). */
    reactor.core.publisher.Mono<java.util.List<QueueEntry>> list();

    /** Messages in each state, for metrics and the queue command. */
    java.util.Map<String, Integer> counts();

    @Override
    void close();
}
