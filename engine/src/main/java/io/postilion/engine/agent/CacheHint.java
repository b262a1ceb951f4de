package io.postilion.engine.agent;

/**
 * The scheduler's per-request advice on connection caching (CACHE-1, on-demand caching): whether
 * this delivery may reuse parked connections (load) and park its own afterwards (store). A
 * destination listed in smtp_connection_cache_destinations caches regardless of the hint.
 */
public enum CacheHint {
    /** No backlog: neither reuse nor park. */
    OFF(false, false),
    /** Deliveries are draining: reuse parked connections, park none. */
    LOAD(true, false),
    /** Back-to-back deliveries: reuse and park. */
    LOAD_AND_STORE(true, true),
    /**
     * The delivery holds a connection slot leased from limits shared by a fleet: neither reuse nor
     * park, even for a destination in smtp_connection_cache_destinations. A parked connection
     * would keep a slot open at the destination that no lease accounts for, and the fleet's
     * limit would no longer hold.
     */
    NEVER(false, false);

    private final boolean load;
    private final boolean store;

    CacheHint(boolean load, boolean store) {
        this.load = load;
        this.store = store;
    }

    public boolean load() {
        return load;
    }

    public boolean store() {
        return store;
    }
}
