package io.postilion.engine.scheduler;

import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * Limits on a destination kept outside this scheduler, for example by a fleet of relay nodes that
 * share one concurrency limit and one message rate per destination. The scheduler's own window
 * still applies; a delivery starts only when the window has room and this grants a lease.
 *
 * <p>A {@link Lease} is one connection slot to a destination, held for one delivery (one session)
 * and released exactly once when it ends, however it ends. Where the implementation also limits
 * message rates, granting a lease takes the token for the delivery: one round trip per delivery.
 *
 * <p>The default, {@link #local()}, has no limits of its own; the scheduler recognises it and
 * never calls it, so a single node pays nothing for the hook.
 */
public interface DestinationLimits {

    /**
     * Asks for one slot to {@code destination}. Emits the lease, or completes empty when the
     * destination is at its shared limit (or out of tokens): the scheduler then leaves it alone
     * for {@link #retryDelay()} and asks again. Must not block; it may complete on any thread.
     * An error counts as a refusal; an implementation should rather fall back to local limits.
     * If the subscription is cancelled, a lease granted afterwards must not stay held: the
     * implementation releases it or lets it expire. (The scheduler never cancels an ask: it
     * releases a lease that arrives after its end itself.)
     */
    Mono<Lease> acquire(String destination);

    /** How long a destination whose lease was refused waits before it asks again. */
    Duration retryDelay();

    /** One connection slot to a destination, held for the length of one delivery. */
    interface Lease {
        /** Frees the slot. Called exactly once per granted lease; must not block, may run on any thread. */
        void release();
    }

    /** No limits beyond the scheduler's own window: the single-node default. */
    static DestinationLimits local() {
        return LocalLimits.INSTANCE;
    }

    /** Whether these are the local limits, which the scheduler skips without a call. */
    default boolean isLocal() {
        return this == LocalLimits.INSTANCE;
    }
}
