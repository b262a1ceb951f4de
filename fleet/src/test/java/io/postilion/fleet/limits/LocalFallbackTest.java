package io.postilion.fleet.limits;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.postilion.engine.scheduler.DestinationLimits;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The fallback's pace while Redis is out, on a clock the test moves: a node keeps the fleet's
 * pace scaled by the fleet size, so that every node falling back together keeps the fleet's.
 */
class LocalFallbackTest {

    /** Starts at an odd value near the wrap, as System.nanoTime may: only differences count. */
    private final AtomicLong nanos = new AtomicLong(Long.MAX_VALUE - TimeUnit.SECONDS.toNanos(5));
    private final AtomicInteger fleet = new AtomicInteger(1);

    private LocalFallback fallback(SharedLimitSettings s) {
        return new LocalFallback(s, fleet::get, nanos::get);
    }

    private void pass(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void aRateDelayOfDInAFleetOf3IsOneStartPer3DOnEachNode() {
        fleet.set(3);
        LocalFallback f = fallback(SharedLimitSettings.paced(0, Duration.ofSeconds(1)));
        assertNotNull(f.acquire("d.test"), "a new destination starts at once");
        pass(Duration.ofMillis(2_999));
        assertNull(f.acquire("d.test"), "this node's share is one start per 3 s");
        assertNotNull(f.acquire("other.test"), "each destination has its own pace");
        pass(Duration.ofMillis(1));
        assertNotNull(f.acquire("d.test"), "3 s after the last start");
        assertNull(f.acquire("d.test"), "burst 1: no second start at once");
    }

    @Test
    void aNodeThatNeverSawTheFleetKeepsTheDelayItself_andAQuietDestinationSavesNothingUp() {
        LocalFallback f = fallback(SharedLimitSettings.paced(0, Duration.ofSeconds(1)));
        assertNotNull(f.acquire("d.test"));
        pass(Duration.ofMillis(999));
        assertNull(f.acquire("d.test"));
        pass(Duration.ofMillis(1));
        assertNotNull(f.acquire("d.test"));
        pass(Duration.ofMinutes(10)); // quiet for a long time
        assertNotNull(f.acquire("d.test"));
        assertNull(f.acquire("d.test"), "one start, not ten minutes' worth");
    }

    @Test
    void aStartRefusedForThePaceGivesItsConcurrencySlotBack() {
        LocalFallback f = fallback(SharedLimitSettings.paced(1, Duration.ofSeconds(1)));
        DestinationLimits.Lease first = f.acquire("d.test");
        assertNotNull(first);
        assertNull(f.acquire("d.test"), "the one slot is held");
        first.release();
        assertNull(f.acquire("d.test"), "the slot is free but the pace is not");
        org.junit.jupiter.api.Assertions.assertEquals(0, f.held("d.test"), "the refusal took no slot");
        pass(Duration.ofSeconds(1));
        assertNotNull(f.acquire("d.test"));
    }
}
