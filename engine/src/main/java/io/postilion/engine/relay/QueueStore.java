package io.postilion.engine.relay;

import io.postilion.engine.delivery.RecipientResult;
import reactor.core.publisher.Mono;

/**
 * What the queue manager needs from durable storage, and no more: record each recipient's final
 * result as it happens (so a restart never sends it again), move a message between the active
 * and deferred states, remove it when every recipient is done, or delete it on the administrator's
 * word. The spool implements it; tests use a map.
 */
public interface QueueStore {

    /** Records the result of recipient {@code index} of message {@code queueId}; completes when durable. */
    Mono<Void> record(String queueId, int index, RecipientResult result);

    /** The message waits in the deferred state for its next attempt. */
    Mono<Void> defer(String queueId);

    /**
     * As {@link #defer(String)}, remembering when the next attempt is due, so that a restart
     * does not retry all deferred mail at once (Postfix keeps it in the queue file's mtime).
     */
    default Mono<Void> defer(String queueId, java.time.Instant nextAttempt) {
        return defer(queueId);
    }

    /**
     * Whether {@link #load} gives a deferred message back, so the queue manager need not keep it
     * in memory while it waits for its retry.
     */
    default boolean loads() {
        return false;
    }

    /**
     * A deferred message as stored, with the recipients already done marked and its content read
     * from the store when delivered; empty when the store does not keep messages (see {@link #loads}).
     */
    default Mono<QueuedMessage> load(String queueId) {
        return Mono.empty();
    }

    /**
     * Whether the message as it was handed over (recovered after a restart) must be
     * {@linkplain #load loaded} before it is delivered: the store read only part of it, unchecked,
     * and checks it whole as it loads it.
     */
    default boolean mustLoad(String queueId) {
        return false;
    }

    /**
     * The message waits in the store, by id, for room among the active ones
     * (qmgr_message_active_limit): whatever the store keeps in memory for it may go, since it
     * will be {@linkplain #load loaded} again.
     */
    default void parked(String queueId) {
    }

    /** The message is being delivered again. */
    Mono<Void> activate(String queueId);

    /** Every recipient is done: the message leaves the queue. */
    Mono<Void> remove(String queueId);

    /**
     * The administrator removes the message, whatever state it is in (corrupt included); gives
     * whether there was one.
     */
    Mono<Boolean> delete(String queueId);
}
