package io.postilion.engine.relay;

import io.postilion.engine.config.Configuration;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * When deferred mail is tried again and when it is given up, as Postfix's queue manager decides:
 * the wait after a deferral is the message's age, kept between minimal_backoff_time and
 * maximal_backoff_time (so the waits roughly double as the message ages); a message older than
 * maximal_queue_lifetime (bounce_queue_lifetime for a notice, whose sender is null) is returned;
 * one delay warning is due once it is older than delay_warning_time (0 = never).
 *
 * @param minimalBackoff minimal_backoff_time (300s)
 * @param maximalBackoff maximal_backoff_time (4000s)
 * @param queueLifetime maximal_queue_lifetime (5d)
 * @param bounceLifetime bounce_queue_lifetime (5d)
 * @param delayWarning delay_warning_time (0h: off)
 */
public record RetryPolicy(Duration minimalBackoff, Duration maximalBackoff, Duration queueLifetime,
        Duration bounceLifetime, Duration delayWarning) {

    public RetryPolicy {
        Objects.requireNonNull(minimalBackoff, "minimalBackoff");
        Objects.requireNonNull(maximalBackoff, "maximalBackoff");
        Objects.requireNonNull(queueLifetime, "queueLifetime");
        Objects.requireNonNull(bounceLifetime, "bounceLifetime");
        Objects.requireNonNull(delayWarning, "delayWarning");
        if (maximalBackoff.compareTo(minimalBackoff) < 0) {
            throw new IllegalArgumentException("maximal_backoff_time " + maximalBackoff.toSeconds()
                    + "s is below minimal_backoff_time " + minimalBackoff.toSeconds() + "s");
        }
    }

    public static RetryPolicy from(Configuration cfg) {
        return new RetryPolicy(cfg.time("minimal_backoff_time"), cfg.time("maximal_backoff_time"),
                cfg.time("maximal_queue_lifetime"), cfg.time("bounce_queue_lifetime"), cfg.time("delay_warning_time"));
    }

    /** When a message that arrived at {@code arrival} and was just deferred is tried next. */
    public Instant nextAttempt(Instant arrival, Instant now) {
        Duration age = Duration.between(arrival, now);
        Duration wait = age.compareTo(minimalBackoff) < 0 ? minimalBackoff
                : age.compareTo(maximalBackoff) > 0 ? maximalBackoff : age;
        return now.plus(wait);
    }

    /** Whether a deferred message has been queued too long and its deferred recipients bounce. */
    public boolean expired(Instant arrival, Instant now, boolean nullSender) {
        Duration limit = nullSender ? bounceLifetime : queueLifetime;
        return Duration.between(arrival, now).compareTo(limit) >= 0;
    }

    /** Whether the one delay warning is due now. */
    public boolean delayWarningDue(Instant arrival, Instant now, boolean alreadyWarned) {
        return !alreadyWarned && !delayWarning.isZero() && Duration.between(arrival, now).compareTo(delayWarning) >= 0;
    }
}
