package io.postilion.engine.scheduler;

import io.postilion.engine.agent.CacheHint;

/**
 * The scheduler's half of on-demand connection caching (CACHE-1), per destination, as qmgr(8)
 * decides it: caching (load and store) goes on once a delivery starts within a second of the
 * previous one ending (back-to-back), and stays on while deliveries are concurrent or
 * back-to-back; when they are neither, store goes off and load stays on, so that connections
 * already parked are used up instead of new ones being opened. Concurrency alone does not switch
 * caching on: a burst no larger than the initial window does not need it.
 *
 * <p>Not thread-safe: owned by the scheduler's serialized loop.
 */
final class OnDemandCaching {

    /** Back-to-back means starting at most this long after the previous delivery ended. */
    static final long BACK_TO_BACK_MILLIS = 1000;

    private boolean load;
    private boolean store;
    private long lastDone = Long.MIN_VALUE;

    /**
     * The hint for a delivery starting now.
     *
     * @param busy deliveries in progress to this destination, this one included
     */
    CacheHint starting(long nowMillis, int busy) {
        boolean backToBack = lastDone != Long.MIN_VALUE && nowMillis - lastDone <= BACK_TO_BACK_MILLIS;
        if (!store) {
            if (backToBack) {
                load = true;
                store = true;
            }
        } else if (busy <= 1 && !backToBack) {
            store = false;
        }
        return store ? CacheHint.LOAD_AND_STORE : load ? CacheHint.LOAD : CacheHint.OFF;
    }

    /** A delivery to this destination ended. */
    void done(long nowMillis) {
        lastDone = nowMillis;
    }
}
