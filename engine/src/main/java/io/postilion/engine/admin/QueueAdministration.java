package io.postilion.engine.admin;

import reactor.core.publisher.Mono;

/**
 * What the admin endpoint may do to the queue, as the relay offers it. An interface of its own so
 * that the endpoint (who may ask, and how) and the queue manager (what happens) know nothing of
 * each other.
 */
public interface QueueAdministration {

    /** The queue listed as the queue command prints it: mailq's layout, or one JSON object per message. */
    Mono<String> listing(boolean json);

    /** Retries deferred mail now; emits how many messages were handed back for delivery. */
    Mono<Integer> flush();

    /** Removes one message in whatever state; emits false when it is not in the queue. */
    Mono<Boolean> delete(String queueId);

    /** Removes every message in whatever state; emits how many were removed. */
    Mono<Long> deleteAll();
}
