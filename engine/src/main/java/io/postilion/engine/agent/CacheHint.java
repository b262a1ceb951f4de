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
    LOAD_AND_STORE(true, true);

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
