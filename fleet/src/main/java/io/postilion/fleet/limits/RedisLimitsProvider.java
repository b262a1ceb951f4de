package io.postilion.fleet.limits;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.scheduler.DestinationLimits;
import io.postilion.engine.scheduler.DestinationLimitsProvider;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registered with {@link java.util.ServiceLoader}: when {@code redis_url} is set, gives the
 * engine's schedulers limits shared through that Redis. One instance per URL and limit, reused
 * when the configuration is read again, closed when the JVM exits.
 */
public final class RedisLimitsProvider implements DestinationLimitsProvider {

    private static final Map<String, RedisDestinationLimits> OPEN = new ConcurrentHashMap<>();
    /** This process in the fleet: host, pid, and a random part in case a pid is reused. */
    private static final String NODE = ManagementFactory.getRuntimeMXBean().getName() + "-"
            + UUID.randomUUID().toString().substring(0, 8);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.values().forEach(RedisDestinationLimits::close),
                "postilion-shared-limits-close"));
    }

    /**
     * A rate delay becomes the fleet's rate for each destination: one delivery start per delay for
     * the fleet as a whole, through the destination's token bucket in Redis.
     */
    @Override
    public DestinationLimits limits(Configuration cfg, String redisUrl, int concurrencyLimit, Duration rateDelay) {
        if (concurrencyLimit == 0 && rateDelay.isZero()) {
            return DestinationLimits.local(); // nothing to share: no round trip per delivery
        }
        SharedLimitSettings settings = SharedLimitSettings.paced(concurrencyLimit, rateDelay);
        return OPEN.computeIfAbsent(redisUrl + " " + concurrencyLimit + " " + rateDelay.toMillis() + "ms",
                k -> new RedisDestinationLimits(redisUrl, NODE, settings));
    }
}
