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
