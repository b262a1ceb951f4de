package io.postilion.engine.scheduler;

import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * The single-node {@link DestinationLimits}: grants every lease at once. The scheduler never
 * asks it (it checks {@link DestinationLimits#isLocal()} first); it answers anyway so that code
 * calling it directly gets the obvious result.
 */
enum LocalLimits implements DestinationLimits, DestinationLimits.Lease {
    INSTANCE;

    private static final Mono<DestinationLimits.Lease> GRANTED = Mono.just(INSTANCE);

    @Override
    public Mono<DestinationLimits.Lease> acquire(String destination) {
        return GRANTED;
    }

    @Override
    public Duration retryDelay() {
        return Duration.ZERO;
    }

    @Override
    public void release() {
        // nothing was taken
    }
}
