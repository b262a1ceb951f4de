package io.postilion.fleet.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.scheduler.DestinationLimits;
import io.postilion.engine.scheduler.SchedulerSettings;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * redis_url reaches the scheduler through the service registration when the fleet module is on
 * the class path, and a node whose Redis never answers still delivers within its local share.
 * No Redis needed: the URL points at a port nobody listens on.
 */
class RedisLimitsProviderTest {

    private static SchedulerSettings settings(String mainCf) {
        Configuration cfg = ConfigurationLoader.fromText(mainCf, "main.cf", List.of());
        return SchedulerSettings.fromConfiguration(cfg.forSmtp());
    }

    @Test
    void withRedisUrlTheSchedulersLimitsAreRedisOnes_andTheSameInstanceForTheSameUrl() {
        SchedulerSettings s = settings("redis_url = redis://127.0.0.1:1\nsmtp_destination_concurrency_limit = 7\n");
        RedisDestinationLimits limits = assertInstanceOf(RedisDestinationLimits.class, s.limits());
        assertFalse(s.limits().isLocal());
        assertSame(limits, settings("redis_url = redis://127.0.0.1:1\nsmtp_destination_concurrency_limit = 7\n").limits());
        assertFalse(limits.shared(), "nothing answers on port 1");
        assertEquals(7, limits.fallbackConcurrencyLimit(), "never saw the fleet: counts itself alone");
        for (int i = 0; i < 7; i++) {
            assertTrue(limits.acquire("d.test").blockOptional(Duration.ofSeconds(5)).isPresent(), "local share " + i);
        }
        assertTrue(limits.acquire("d.test").blockOptional(Duration.ofSeconds(5)).isEmpty(), "the 8th waits");
    }

    /**
     * The shutdown hook's close: several limiters whose Redis never answers (their clients still
     * trying to connect) are closed together within one limiter's bound, their dispatch threads end,
     * and a closed limiter still answers from its local share.
     */
    @Test
    void theShutdownHooksCloseOfSeveralLimitersIsBoundedAndEndsTheirThreads() throws Exception {
        SharedLimitSettings s = SharedLimitSettings.of(4, 0);
        List<RedisDestinationLimits> all = List.of(new RedisDestinationLimits("redis://127.0.0.1:1", "hook-a", s),
                new RedisDestinationLimits("redis://127.0.0.1:1", "hook-b", s),
                new RedisDestinationLimits("redis://127.0.0.1:1", "hook-c", s));
        long t0 = System.nanoTime();
        RedisLimitsProvider.closeAll(all);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(took.compareTo(all.get(0).closeBound()) <= 0, "within one bound: " + took);
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("postilion-shared-limits-hook-"))) {
            assertTrue(System.nanoTime() < until, "the dispatch threads end after the teardown");
            Thread.sleep(20);
        }
        assertTrue(all.get(0).acquire("d.test").blockOptional(Duration.ofSeconds(5)).isPresent(), "closed: the local share answers");
    }

    @Test
    void aMalformedRedisUrlIsABadValueNamingIt() {
        io.postilion.engine.config.ConfigurationException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.postilion.engine.config.ConfigurationException.class, () -> settings("redis_url = not a url\n"));
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("redis_url"), e.getMessage());
    }

    @Test
    void withoutRedisUrlOrWithoutALimitTheLimitsStayLocal() {
        assertTrue(settings("").limits().isLocal());
        assertSame(DestinationLimits.local(), settings("redis_url = redis://127.0.0.1:1\nsmtp_destination_concurrency_limit = 0\n").limits());
    }

    /**
     * smtp_destination_rate_delay reaches the fleet: with it set the limits are shared even without
     * a concurrency limit, the fleet-wide concurrency is 1 (as qmgr's), and the pace holds. Redis
     * never answers here, so this is the local fallback of a node alone: one start per delay.
     */
    @Test
    void aRateDelayIsSharedAsTheFleetsPace_evenWithoutAConcurrencyLimit() {
        SchedulerSettings s = settings("redis_url = redis://127.0.0.1:1\nsmtp_destination_concurrency_limit = 0\n"
                + "default_destination_rate_delay = 1h\n");
        RedisDestinationLimits limits = assertInstanceOf(RedisDestinationLimits.class, s.limits());
        assertEquals(1, limits.fallbackConcurrencyLimit(), "one delivery at a time to a paced destination");
        DestinationLimits.Lease first = limits.acquire("paced.test").blockOptional(Duration.ofSeconds(5)).orElseThrow();
        first.release();
        assertTrue(limits.acquire("paced.test").blockOptional(Duration.ofSeconds(5)).isEmpty(),
                "the slot is free, but the next start waits an hour");
        assertTrue(limits.acquire("other.test").blockOptional(Duration.ofSeconds(5)).isPresent(), "per destination");
        assertFalse(settings("redis_url = redis://127.0.0.1:1\nsmtp_destination_concurrency_limit = 0\n"
                + "default_destination_rate_delay = 2h\n").limits() == limits, "another delay, other limits");
    }

    @Test
    void aRateDelayBecomesOneStartPerDelayWithABurstOf1() {
        SharedLimitSettings s = SharedLimitSettings.paced(1, Duration.ofMillis(250));
        assertEquals(4.0, s.ratePerSecond(), 1e-9);
        assertEquals(1, s.burst(), "no saving up: two starts are never closer than the delay on average");
        assertEquals(0.0, SharedLimitSettings.paced(5, Duration.ZERO).ratePerSecond(), "no delay, no rate");
    }
}
