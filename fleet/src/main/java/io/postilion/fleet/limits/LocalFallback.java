package io.postilion.fleet.limits;

import io.postilion.engine.scheduler.DestinationLimits;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

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
    private final ConcurrentHashMap<String, AtomicInteger> slots = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    LocalFallback(SharedLimitSettings settings, IntSupplier fleetSize) {
        this.settings = settings;
        this.fleetSize = fleetSize;
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
            Bucket b = buckets.computeIfAbsent(destination, d -> new Bucket());
            double rate = settings.ratePerSecond() / Math.max(1, fleetSize.getAsInt());
            if (!b.take(rate, Math.max(1, settings.burst() / Math.max(1, fleetSize.getAsInt())), System.nanoTime())) {
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

    /** A token bucket in memory; the only lock is the bucket's own, held for a few arithmetic steps. */
    private static final class Bucket {
        private double tokens = -1;
        private long at;

        synchronized boolean take(double ratePerSecond, int burst, long nanos) {
            if (tokens < 0) {
                tokens = burst;
                at = nanos;
            }
            tokens = Math.min(burst, tokens + (nanos - at) / 1e9 * ratePerSecond);
            at = nanos;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }
}
