package io.postilion.engine.scheduler;

import io.postilion.engine.config.Configuration;
import java.time.Duration;

/**
 * Where shared destination limits come from when {@code redis_url} is set: a module on the class
 * path (the fleet) registers one with {@link java.util.ServiceLoader}. The engine depends on no
 * such module; without one, a set {@code redis_url} stops start-up (exit 78) rather than leave the
 * fleet's limits silently local.
 */
public interface DestinationLimitsProvider {

    /**
     * The limits for one transport's scheduler.
     *
     * @param cfg the transport's view of the configuration (smtp_ or lmtp_ names)
     * @param redisUrl the non-empty value of {@code redis_url}
     * @param concurrencyLimit the destination concurrency limit for the fleet as a whole (0 = none)
     * @param rateDelay the transport's {@code *_destination_rate_delay} (zero = none): the least
     *     time between the starts of two deliveries to one destination, for the fleet as a whole
     */
    DestinationLimits limits(Configuration cfg, String redisUrl, int concurrencyLimit, Duration rateDelay);
}
