package io.postilion.engine.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationLoader;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private static final Instant T0 = Instant.parse("2026-11-23T00:00:00Z");
    private final RetryPolicy postfix = RetryPolicy.from(ConfigurationLoader.fromText("", "main.cf", List.of()));

    @Test
    void theWaitIsTheMessagesAgeBetweenTheBackoffLimits() {
        assertEquals(T0.plusSeconds(10 + 300), postfix.nextAttempt(T0, T0.plusSeconds(10)), "young: minimal_backoff_time");
        assertEquals(T0.plusSeconds(1000 + 1000), postfix.nextAttempt(T0, T0.plusSeconds(1000)), "the age itself");
        assertEquals(T0.plusSeconds(9000 + 4000), postfix.nextAttempt(T0, T0.plusSeconds(9000)), "old: maximal_backoff_time");
    }

    @Test
    void mailIsReturnedAfterItsQueueLifetime() {
        assertFalse(postfix.expired(T0, T0.plus(Duration.ofDays(5)).minusSeconds(1), false));
        assertTrue(postfix.expired(T0, T0.plus(Duration.ofDays(5)), false));
        RetryPolicy shortBounces = RetryPolicy.from(ConfigurationLoader.fromText("bounce_queue_lifetime = 1d\n", "main.cf", List.of()));
        assertTrue(shortBounces.expired(T0, T0.plus(Duration.ofDays(1)), true), "a notice uses bounce_queue_lifetime");
        assertFalse(shortBounces.expired(T0, T0.plus(Duration.ofDays(1)), false));
    }

    @Test
    void delayWarningsAreOffByDefaultAndSentOnce() {
        assertFalse(postfix.delayWarningDue(T0, T0.plus(Duration.ofDays(4)), false));
        RetryPolicy warn = RetryPolicy.from(ConfigurationLoader.fromText("delay_warning_time = 4h\n", "main.cf", List.of()));
        assertFalse(warn.delayWarningDue(T0, T0.plus(Duration.ofHours(3)), false));
        assertTrue(warn.delayWarningDue(T0, T0.plus(Duration.ofHours(4)), false));
        assertFalse(warn.delayWarningDue(T0, T0.plus(Duration.ofHours(5)), true));
    }

    @Test
    void backoffLimitsTheWrongWayRoundAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(Duration.ofSeconds(500), Duration.ofSeconds(400),
                Duration.ofDays(5), Duration.ofDays(5), Duration.ZERO));
    }
}
