package io.postilion.fleet.limits;

/**
 * The Lua scripts that keep the shared limits. Each runs atomically in Redis, so checking a count
 * and taking a slot can never interleave with another node's. Times come from Redis's own clock
 * ({@code TIME}), never the nodes', so clock skew between nodes cannot stretch or shrink a lease.
 * A destination's keys share one hash tag ({@code {destination}}), so a Redis Cluster keeps them
 * in one slot and a script may touch both.
 */
final class LimitScripts {

    private LimitScripts() {
    }

    /** Redis's clock in milliseconds, as the first lines of every script. */
    private static final String NOW = "local t = redis.call('TIME')\n"
            + "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n";

    /**
     * KEYS: the destination's lease set, its bucket. ARGV: lease id, concurrency limit (0 none),
     * lease expiry ms, rate per second (0 none), burst. Returns 1 granted, 0 no free slot, -1 no
     * token. Invariants: after it runs, the set holds no expired lease; it never holds more
     * unexpired leases than the limit (a lease is added only when fewer are held); a token is taken
     * only together with a slot, so a refused slot costs no token.
     */
    static final String ACQUIRE = NOW
            + "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
            + "local limit = tonumber(ARGV[2])\n"
            + "if limit > 0 and redis.call('ZCARD', KEYS[1]) >= limit then return 0 end\n"
            + "local rate = tonumber(ARGV[4])\n"
            + "if rate > 0 then\n"
            + "  local burst = tonumber(ARGV[5])\n"
            + "  local b = redis.call('HMGET', KEYS[2], 'tokens', 'at')\n"
            + "  local tokens = tonumber(b[1]) or burst\n"
            + "  local at = tonumber(b[2]) or now\n"
            + "  tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)\n"
            + "  local ttl = math.ceil(burst / rate * 1000) + 1000\n"
            + "  if tokens < 1 then\n"
            + "    redis.call('HSET', KEYS[2], 'tokens', tostring(tokens), 'at', now)\n"
            + "    redis.call('PEXPIRE', KEYS[2], ttl)\n"
            + "    return -1\n"
            + "  end\n"
            + "  redis.call('HSET', KEYS[2], 'tokens', tostring(tokens - 1), 'at', now)\n"
            + "  redis.call('PEXPIRE', KEYS[2], ttl)\n"
            + "end\n"
            + "local expiry = tonumber(ARGV[3])\n"
            + "redis.call('ZADD', KEYS[1], now + expiry, ARGV[1])\n"
            + "redis.call('PEXPIRE', KEYS[1], expiry * 2)\n"
            + "return 1\n";

    /**
     * KEYS: the destination's lease set. ARGV: lease expiry ms, then lease ids. Pushes each
     * still-live lease's expiry forward and returns how many were lost (expired, perhaps already
     * counted out by another node's acquire). An expired lease is never brought back: that could
     * take the set over its limit.
     */
    static final String RENEW = NOW
            + "local expiry = tonumber(ARGV[1])\n"
            + "local lost = 0\n"
            + "for i = 2, #ARGV do\n"
            + "  local s = redis.call('ZSCORE', KEYS[1], ARGV[i])\n"
            + "  if s and tonumber(s) > now then\n"
            + "    redis.call('ZADD', KEYS[1], 'XX', now + expiry, ARGV[i])\n"
            + "  else\n"
            + "    if s then redis.call('ZREM', KEYS[1], ARGV[i]) end\n"
            + "    lost = lost + 1\n"
            + "  end\n"
            + "end\n"
            + "redis.call('PEXPIRE', KEYS[1], expiry * 2)\n"
            + "return lost\n";

    /**
     * KEYS: the fleet's node set. ARGV: node id, node expiry ms. Records this node as alive until
     * now + expiry, drops nodes whose heartbeat expired, and returns how many are alive (at least
     * this one).
     */
    static final String HEARTBEAT = NOW
            + "local expiry = tonumber(ARGV[2])\n"
            + "redis.call('ZADD', KEYS[1], now + expiry, ARGV[1])\n"
            + "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
            + "redis.call('PEXPIRE', KEYS[1], expiry * 2)\n"
            + "return redis.call('ZCARD', KEYS[1])\n";
}
