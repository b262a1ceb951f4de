package io.postilion.dns.lookup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.Record;

/**
 * Successful answers kept for their smallest TTL (capped), so that a busy destination is not looked up
 * for every delivery. Failures are never cached. Bounded: when full, expired entries go, then all.
 */
final class DnsAnswerCache {

    private record Key(String name, int type, boolean dnssec) {}

    private record Entry(DnsAnswer answer, Instant expires) {}

    private final Map<Key, Entry> entries = new ConcurrentHashMap<>();
    private final int maxEntries;
    private final Duration maxTtl;
    private final Clock clock;

    DnsAnswerCache(int maxEntries, Duration maxTtl, Clock clock) {
        this.maxEntries = maxEntries;
        this.maxTtl = maxTtl;
        this.clock = clock;
    }

    DnsAnswer get(String name, int type, boolean dnssec) {
        Key key = new Key(name.toLowerCase(Locale.ROOT), type, dnssec);
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

    void put(String name, int type, boolean dnssec, DnsAnswer answer) {
        if (!answer.ok() || answer.records().isEmpty()) {
            return;
        }
        long ttl = answer.records().stream().mapToLong(Record::getTTL).min().orElse(0);
        Duration d = Duration.ofSeconds(ttl);
        if (d.compareTo(maxTtl) > 0) {
            d = maxTtl;
        }
        if (d.isZero()) {
            return;
        }
        if (entries.size() >= maxEntries) {
            Instant now = clock.instant();
            entries.values().removeIf(e -> !now.isBefore(e.expires()));
            if (entries.size() >= maxEntries) {
                entries.clear();
            }
        }
        entries.put(new Key(name.toLowerCase(Locale.ROOT), type, dnssec), new Entry(answer, clock.instant().plus(d)));
    }

    int size() {
        return entries.size();
    }
}
