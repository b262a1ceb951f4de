package io.postilion.fleet.limits;

import io.postilion.engine.scheduler.DestinationLimits;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * This node's share of the fleet's limits while Redis cannot be reached: the fleet-wide limit
 * divided by the last known fleet size (at least 1), kept in memory. If every node falls back
 * together, the fleet as a whole stays within its limits (give or take rounding up to 1); a
 * node that has never seen the fleet size counts itself alone.
 *
 * <p>Lock-free: acquire and release may run on any thread, event loops included.
 */
final class LocalFallback {

    private final SharedLimitSettings settings;
    private final IntSupplier fleetSize;
    /** Monotonic nanoseconds (System.nanoTime; a test's own clock in tests). */
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, AtomicInteger> slots = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Pace> paces = new ConcurrentHashMap<>();

    LocalFallback(SharedLimitSettings settings, IntSupplier fleetSize) {
        this(settings, fleetSize, System::nanoTime);
    }

    LocalFallback(SharedLimitSettings settings, IntSupplier fleetSize, LongSupplier nanoClock) {
        this.settings = settings;
        this.fleetSize = fleetSize;
        this.nanoClock = nanoClock;
    }

    /** The concurrency limit this node keeps on its own: the fleet's divided by the fleet size, at least 1. */
    int localConcurrencyLimit() {
        return share(settings.concurrencyLimit());
    }

    private int share(int fleetWide) {
        return Math.max(1, fleetWide / Math.max(1, fleetSize.getAsInt()));
    }

    /** A local slot (and token), or null when this node's share is used up. */
    DestinationLimits.Lease acquire(String destination) {
        AtomicInteger held = null;
        if (settings.concurrencyLimit() > 0) {
            held = slots.computeIfAbsent(destination, d -> new AtomicInteger());
            int limit = localConcurrencyLimit();
            int now;
            do {
                now = held.get();
                if (now >= limit) {
                    return null;
                }
            } while (!held.compareAndSet(now, now + 1));
        }
        if (settings.ratePerSecond() > 0) {
            // This node's share of the pace: the fleet's rate over the fleet size, so with every
            // node falling back the fleet keeps the shared pace (a rate delay of d becomes one
            // start per d x fleet size here).
            int nodes = Math.max(1, fleetSize.getAsInt());
            long now = nanoClock.getAsLong();
            Pace p = paces.computeIfAbsent(destination, d -> new Pace(now));
            if (!p.take(settings.ratePerSecond() / nodes, Math.max(1, settings.burst() / nodes), now)) {
                if (held != null) {
                    held.decrementAndGet();
                }
                return null;
            }
        }
        AtomicInteger slot = held;
        AtomicInteger once = new AtomicInteger();
        return () -> {
            if (slot != null && once.getAndIncrement() == 0) {
                slot.decrementAndGet();
            }
        };
    }

    /** Slots held locally to a destination now (for tests and metrics). */
    int held(String destination) {
        AtomicInteger h = slots.get(destination);
        return h == null ? 0 : h.get();
    }

    /**
     * A destination's token bucket in memory, kept as the time at which it would be full again
     * (the generic cell rate algorithm): a start is allowed while that time is no further ahead
     * than burst - 1 intervals, and each start pushes it one interval on. One compare-and-set, no
     * lock, so an event loop may take from it.
     */
    private static final class Pace {
        /** System.nanoTime() at which the bucket is full again; at or before now, it is full. */
        private final AtomicLong fullAt;

        Pace(long nanos) {
            fullAt = new AtomicLong(nanos); // a new bucket is full, as a missing one in Redis
        }

        boolean take(double ratePerSecond, int burst, long nanos) {
            long interval = (long) Math.ceil(1e9 / ratePerSecond);
            long tolerance = (burst - 1L) * interval;
            while (true) {
                long full = fullAt.get();
                long from = full - nanos < 0 ? nanos : full; // nanoTime is compared by difference only
                if (from - nanos > tolerance) {
                    return false;
                }
                if (fullAt.compareAndSet(full, from + interval)) {
                    return true;
                }
            }
        }
    }
}
