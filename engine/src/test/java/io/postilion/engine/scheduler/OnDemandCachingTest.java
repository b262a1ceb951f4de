package io.postilion.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.postilion.engine.agent.CacheHint;
import org.junit.jupiter.api.Test;

/** The scheduler's on-demand caching advice, as qmgr(8) gives it (CACHE-1). */
class OnDemandCachingTest {

    @Test
    void aFirstDeliveryGetsNoCaching_CACHE1() {
        assertEquals(CacheHint.OFF, new OnDemandCaching().starting(10_000, 1));
    }

    @Test
    void concurrencyAloneDoesNotSwitchCachingOn_CACHE1() {
        OnDemandCaching c = new OnDemandCaching();
        for (int busy = 1; busy <= 5; busy++) {
            assertEquals(CacheHint.OFF, c.starting(10_000, busy));
        }
    }

    @Test
    void aBackToBackDeliveryLoadsAndStores_CACHE1() {
        OnDemandCaching c = new OnDemandCaching();
        c.starting(10_000, 1);
        c.done(10_500);
        assertEquals(CacheHint.LOAD_AND_STORE, c.starting(11_500, 1), "within a second of the last one ending");
    }

    @Test
    void aDeliveryMoreThanASecondLaterIsNotBackToBack_CACHE1() {
        OnDemandCaching c = new OnDemandCaching();
        c.starting(10_000, 1);
        c.done(10_500);
        assertEquals(CacheHint.OFF, c.starting(11_501, 1));
    }

    @Test
    void storeStaysOnWhileConcurrentAndGoesOffWhenDrainingButLoadStays_CACHE1() {
        OnDemandCaching c = new OnDemandCaching();
        c.starting(10_000, 1);
        c.done(10_100);
        assertEquals(CacheHint.LOAD_AND_STORE, c.starting(10_200, 1));
        assertEquals(CacheHint.LOAD_AND_STORE, c.starting(20_000, 2), "concurrent: store stays on");
        c.done(20_100);
        assertEquals(CacheHint.LOAD, c.starting(30_000, 1), "neither concurrent nor back-to-back: drain the cache");
        c.done(30_100);
        assertEquals(CacheHint.LOAD_AND_STORE, c.starting(30_200, 1), "back-to-back again");
    }
}
