package io.postilion.dns.lookup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.Record;
import reactor.core.publisher.Mono;

/**
 * Answers kept by (name, type, dnssec) so that a busy destination is not looked up for every delivery.
 * Successful answers live for their smallest TTL; NXDOMAIN and NODATA answers (RFC 2308) for
 * min(SOA TTL, SOA MINIMUM) of the SOA in the reply's authority section, and are not cached when the
 * reply has none. Both are capped at {@code maxTtl}. Temporary and other failures are never cached.
 * Bounded: when full, expired entries go, then all.
 *
 * <p>Also holds the queries in flight, so that concurrent lookups of one key share one query.
 */
final class DnsAnswerCache {

    record Key(String name, int type, boolean dnssec) {
        static Key of(String name, int type, boolean dnssec) {
            return new Key(name.toLowerCase(Locale.ROOT), type, dnssec);
        }
    }

    private record Entry(DnsAnswer answer, Instant expires) {}

    private final Map<Key, Entry> entries = new ConcurrentHashMap<>();
    private final Map<Key, Mono<DnsAnswer>> inFlight = new ConcurrentHashMap<>();
    private final int maxEntries;
    private final Duration minTtl;
    private final Duration maxTtl;
    private final Clock clock;

    DnsAnswerCache(int maxEntries, Duration maxTtl, Clock clock) {
        this(maxEntries, Duration.ZERO, maxTtl, clock);
    }

    /** With {@code minTtl}: an answer whose TTL is shorter (zero included) is kept that long (TLS-8's clamp). */
    DnsAnswerCache(int maxEntries, Duration minTtl, Duration maxTtl, Clock clock) {
        this.maxEntries = maxEntries;
        this.minTtl = minTtl;
        this.maxTtl = maxTtl;
        this.clock = clock;
    }

    DnsAnswer get(String name, int type, boolean dnssec) {
        Key key = Key.of(name, type, dnssec);
        Entry e = entries.get(key);
        if (e == null) {
            return null;
        }
        if (!clock.instant().isBefore(e.expires())) {
            entries.remove(key, e);
            return null;
        }
        return e.answer();
    }

    /** Keeps a successful answer for its smallest record TTL; anything else is ignored. */
    void put(String name, int type, boolean dnssec, DnsAnswer answer) {
        if (!answer.ok() || answer.records().isEmpty()) {
            return;
        }
        long ttl = answer.records().stream().mapToLong(Record::getTTL).min().orElse(0);
        store(Key.of(name, type, dnssec), answer, ttl);
    }

    /**
     * Keeps a NXDOMAIN/NODATA answer ({@link DnsOutcome#NOT_FOUND}) for {@code negativeTtl} seconds,
     * the RFC 2308 negative TTL; a TTL of zero or less (no SOA) caches nothing.
     */
    void putNegative(String name, int type, boolean dnssec, DnsAnswer answer, long negativeTtl) {
        if (answer.outcome() != DnsOutcome.NOT_FOUND || negativeTtl <= 0 && minTtl.isZero()) {
            return;
        }
        store(Key.of(name, type, dnssec), answer, negativeTtl);
    }

    private void store(Key key, DnsAnswer answer, long ttlSeconds) {
        Duration d = Duration.ofSeconds(Math.max(0, ttlSeconds));
        if (d.compareTo(minTtl) < 0) {
            d = minTtl;
        }
        if (d.compareTo(maxTtl) > 0) {
            d = maxTtl;
        }
        if (d.isZero() || d.isNegative()) {
            return;
        }
        if (entries.size() >= maxEntries) {
            Instant now = clock.instant();
            entries.values().removeIf(e -> !now.isBefore(e.expires()));
            if (entries.size() >= maxEntries) {
                entries.clear();
            }
        }
        entries.put(key, new Entry(answer, clock.instant().plus(d)));
    }

    /** The shared query for {@code key} if one is in flight, else registers {@code mine} and returns null. */
    Mono<DnsAnswer> joinOrRegister(Key key, Mono<DnsAnswer> mine) {
        return inFlight.putIfAbsent(key, mine);
    }

    /** Forgets {@code mine} as the query in flight for {@code key} (no-op if another one replaced it). */
    void finished(Key key, Mono<DnsAnswer> mine) {
        inFlight.remove(key, mine);
    }

    int size() {
        return entries.size();
    }

    int inFlight() {
        return inFlight.size();
    }
}
