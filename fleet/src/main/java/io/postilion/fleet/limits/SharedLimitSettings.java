package io.postilion.fleet.limits;

import java.time.Duration;
import java.util.Objects;

/**
 * How the shared limits behave: the limits themselves, and the timings of leases, renewals and
 * heartbeats. A lease's expiry is several renewal periods so that one or two late or lost renewals
 * do not free a slot still in use; a dead node's slots come free within one expiry.
 *
 * @param keyPrefix prefix of every Redis key, so that several fleets can share one server
 * @param concurrencyLimit connection slots per destination for the whole fleet (0 = none)
 * @param ratePerSecond messages per second per destination for the whole fleet (0 = none)
 * @param burst tokens a destination's bucket holds at most (at least 1 when a rate is set)
 * @param leaseExpiry how long a lease lives without renewal
 * @param renewEvery how often held leases are renewed (well below leaseExpiry)
 * @param heartbeatEvery how often this node announces itself and learns the fleet size
 * @param nodeExpiry how long a node counts in the fleet size after its last heartbeat
 * @param retryDelay how long a refused destination waits before it asks again
 * @param commandTimeout how long one Redis command may take before Redis counts as unreachable
 */
public record SharedLimitSettings(String keyPrefix, int concurrencyLimit, double ratePerSecond, int burst,
        Duration leaseExpiry, Duration renewEvery, Duration heartbeatEvery, Duration nodeExpiry, Duration retryDelay,
        Duration commandTimeout) {

    public SharedLimitSettings {
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        if (concurrencyLimit < 0 || ratePerSecond < 0 || burst < 0) {
            throw new IllegalArgumentException("limits must not be negative");
        }
        if (ratePerSecond > 0 && burst < 1) {
            throw new IllegalArgumentException("a rate needs a burst of at least 1");
        }
        for (Duration d : new Duration[] {leaseExpiry, renewEvery, heartbeatEvery, nodeExpiry, retryDelay, commandTimeout}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("every duration must be positive");
            }
        }
        if (renewEvery.multipliedBy(2).compareTo(leaseExpiry) > 0) {
            throw new IllegalArgumentException("leases must live at least two renewal periods: " + leaseExpiry
                    + " for renewals every " + renewEvery);
        }
    }

    /**
     * The relay's figures: leases renewed every 2 s and living 10 s (a dead node's slots are free
     * again within 10 s; four renewals may be lost before a live lease is), heartbeats every 2 s
     * counting for 10 s, a refused destination asks again after 100 ms, and Redis counts as
     * unreachable after a command waits 1 s.
     */
    public static SharedLimitSettings of(int concurrencyLimit, double ratePerSecond) {
        return new SharedLimitSettings("postilion:", concurrencyLimit, ratePerSecond,
                Math.max(1, (int) Math.ceil(ratePerSecond)), Duration.ofSeconds(10), Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ofSeconds(1));
    }

    /**
     * The relay's figures for a destination concurrency limit and a {@code *_destination_rate_delay}:
     * the delay becomes a rate of one delivery start per delay for the whole fleet with a burst of
     * 1, so that no two starts (from any nodes) come closer than the delay on average and a quiet
     * destination does not save up starts to spend at once. A zero delay is no rate.
     */
    public static SharedLimitSettings paced(int concurrencyLimit, Duration rateDelay) {
        Objects.requireNonNull(rateDelay, "rateDelay");
        if (rateDelay.isNegative()) {
            throw new IllegalArgumentException("the rate delay must not be negative: " + rateDelay);
        }
        if (rateDelay.isZero()) {
            return of(concurrencyLimit, 0);
        }
        SharedLimitSettings s = of(concurrencyLimit, 1e9 / rateDelay.toNanos());
        return new SharedLimitSettings(s.keyPrefix, s.concurrencyLimit, s.ratePerSecond, 1, s.leaseExpiry,
                s.renewEvery, s.heartbeatEvery, s.nodeExpiry, s.retryDelay, s.commandTimeout);
    }

    public SharedLimitSettings withTimings(Duration leaseExpiry, Duration renewEvery, Duration heartbeatEvery,
            Duration nodeExpiry) {
        return new SharedLimitSettings(keyPrefix, concurrencyLimit, ratePerSecond, burst, leaseExpiry, renewEvery,
                heartbeatEvery, nodeExpiry, retryDelay, commandTimeout);
    }

    public SharedLimitSettings withKeyPrefix(String prefix) {
        return new SharedLimitSettings(prefix, concurrencyLimit, ratePerSecond, burst, leaseExpiry, renewEvery,
                heartbeatEvery, nodeExpiry, retryDelay, commandTimeout);
    }

    public SharedLimitSettings withRetryDelay(Duration d) {
        return new SharedLimitSettings(keyPrefix, concurrencyLimit, ratePerSecond, burst, leaseExpiry, renewEvery,
                heartbeatEvery, nodeExpiry, d, commandTimeout);
    }
}
