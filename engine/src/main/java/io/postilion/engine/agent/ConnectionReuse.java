package io.postilion.engine.agent;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The connection cache's rules as the agent applies them (spec section 10): which requests may
 * reuse and park connections (CACHE-1), and whether a session may be parked once more (CACHE-2,
 * CACHE-4, CACHE-9).
 *
 * @param destinations smtp_connection_cache_destinations: names that always cache
 * @param onDemand smtp_connection_cache_on_demand (yes): follow the scheduler's hint otherwise
 * @param idleLimit smtp_connection_cache_time_limit (2s)
 * @param reuseTimeLimit smtp_connection_reuse_time_limit (300s), counted from the connect
 * @param reuseCountLimit smtp_connection_reuse_count_limit (0 = none; N allows N+1 transactions)
 */
public record ConnectionReuse(List<String> destinations, boolean onDemand, Duration idleLimit, Duration reuseTimeLimit,
        int reuseCountLimit) {

    public ConnectionReuse {
        destinations = destinations.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
        Objects.requireNonNull(idleLimit, "idleLimit");
        Objects.requireNonNull(reuseTimeLimit, "reuseTimeLimit");
    }

    /** Postfix's defaults. */
    public static ConnectionReuse defaults() {
        return new ConnectionReuse(List.of(), true, Duration.ofSeconds(2), Duration.ofSeconds(300), 0);
    }

    /**
     * CACHE-1: load and store for a request, decided from its first destination's host part
     * (brackets and port ignored): always when listed, else as the scheduler advises; never for a
     * delivery under a shared lease ({@link CacheHint#NEVER}).
     */
    public CacheHint decide(String nexthop, CacheHint hint) {
        if (hint == CacheHint.NEVER) {
            return CacheHint.NEVER;
        }
        if (destinations.contains(hostPart(firstItem(nexthop)))) {
            return CacheHint.LOAD_AND_STORE;
        }
        return onDemand ? hint : CacheHint.OFF;
    }

    /** CACHE-4/9: whether a session that has now carried {@code uses} transactions may be parked again. */
    public boolean mayPark(Instant connectedAt, int uses, Instant now) {
        if (!now.isBefore(connectedAt.plus(reuseTimeLimit))) {
            return false;
        }
        return reuseCountLimit <= 0 || uses <= reuseCountLimit;
    }

    /** The first item of a destination list, as written (CACHE-5's key). */
    public static String firstItem(String nexthop) {
        String t = nexthop.trim();
        int end = 0;
        while (end < t.length() && t.charAt(end) != ',' && !Character.isWhitespace(t.charAt(end))) {
            end++;
        }
        return t.substring(0, end);
    }

    static String hostPart(String item) {
        String s = item.toLowerCase(Locale.ROOT);
        if (s.startsWith("unix:")) {
            return s.substring(5); // a UNIX-socket LMTP server: its path
        }
        if (s.startsWith("inet:")) {
            s = s.substring(5);
        }
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            return close > 0 ? s.substring(1, close) : s;
        }
        int colon = s.indexOf(':');
        return colon > 0 ? s.substring(0, colon) : s;
    }
}
