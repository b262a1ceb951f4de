package io.postilion.fleet.limits;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.scheduler.DestinationLimits;
import io.postilion.engine.scheduler.DestinationLimitsProvider;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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
        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeAll(OPEN.values()), "postilion-shared-limits-close"));
    }

    /**
     * At JVM exit: starts every instance's close at once and waits for all of them together at
     * most one instance's close bound, so that neither the number of instances nor a wedged Redis
     * client can hold the relay's exit up (what is left undone is left to daemon threads; the
     * leases expire by themselves).
     */
    static void closeAll(Collection<RedisDestinationLimits> all) {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        Duration bound = Duration.ZERO;
        for (RedisDestinationLimits l : all) {
            closing.add(l.closeAsync());
            bound = bound.compareTo(l.closeBound()) < 0 ? l.closeBound() : bound;
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // Best effort at exit: a lease not given back expires within its lease time.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
