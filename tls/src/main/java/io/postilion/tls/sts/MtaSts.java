package io.postilion.tls.sts;

import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsAnswer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import reactor.core.publisher.Mono;

/**
 * The MTA-STS policy of a recipient domain, discovered and cached as RFC 8461 sections 3 and 5.1
 * describe (TLS-32; Postfix leaves this to a policy plugin, TLS-16): look up the TXT record
 * {@code _mta-sts.DOMAIN}; when a cached policy is unexpired and its id equals the record's, use
 * it; otherwise fetch the policy over HTTPS, parse it, and cache it for its {@code max_age}. When
 * the record is missing, malformed or cannot be looked up, or the fetch or the parse fails, an
 * unexpired cached policy stays in force (a policy is withdrawn by publishing mode none, not by
 * deleting records); with none cached the domain has no policy, and mail goes as TLS-3 says.
 *
 * <p>Nothing blocks: DNS through the agent's asynchronous resolver, HTTPS through Reactor Netty.
 */
public final class MtaSts {

    private static final Logger log = LoggerFactory.getLogger(MtaSts.class);
    /** Beyond this many domains, expired entries are dropped before a new one is added. */
    private static final int CACHE_SOFT_LIMIT = 10_000;

    private final AsyncDnsResolver dns;
    private final StsPolicyFetcher fetcher;
    private final Clock clock;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /** A policy as fetched, with the TXT id it was fetched for and when it expires. */
    private record Cached(String id, StsPolicy policy, Instant expires) {
    }

    public MtaSts(AsyncDnsResolver dns, StsPolicyFetcher fetcher, Clock clock) {
        this.dns = Objects.requireNonNull(dns, "dns");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The policy in force for {@code domain}; empty when it has none. Never fails. */
    public Mono<Optional<StsPolicy>> policy(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        String key = d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
        return announcement(key).flatMap(record -> {
            Cached cached = unexpired(key);
            if (record.isEmpty()) {
                return Mono.just(cached == null ? Optional.<StsPolicy>empty() : Optional.of(cached.policy()));
            }
            String id = record.get().id();
            if (cached != null && cached.id().equals(id)) {
                return Mono.just(Optional.of(cached.policy()));
            }
            return fetcher.fetch(key).flatMap(body -> {
                try {
                    StsPolicy p = StsPolicyParser.parse(body);
                    store(key, new Cached(id, p, clock.instant().plus(Duration.ofSeconds(p.maxAgeSeconds()))));
                    log.info("MTA-STS policy for {} (id {}): mode {}, max_age {}", key, id, p.mode().word(), p.maxAgeSeconds());
                    return Mono.just(Optional.of(p));
                } catch (InvalidStsPolicyException e) {
                    return Mono.error(new StsFetchException("invalid MTA-STS policy for " + key + ": " + e.getMessage()));
                }
            }).onErrorResume(e -> {
                log.warn("MTA-STS policy for {} (id {}) not fetched: {}{}", key, id, e.getMessage(),
                        cached == null ? "; no policy" : "; the cached policy (id " + cached.id() + ") stays in force");
                return Mono.just(cached == null ? Optional.<StsPolicy>empty() : Optional.of(cached.policy()));
            });
        });
    }

    /** The domain's STSv1 TXT record; empty when there is none or it is unusable (the cache then decides). */
    private Mono<Optional<StsRecord>> announcement(String domain) {
        return dns.lookup("_mta-sts." + domain, Type.TXT, false).map(answer -> {
            if (!answer.ok()) {
                return Optional.<StsRecord>empty();
            }
            try {
                return StsRecord.select(texts(answer));
            } catch (InvalidStsPolicyException e) {
                log.warn("MTA-STS record of {} ignored: {}", domain, e.getMessage());
                return Optional.<StsRecord>empty();
            }
        }).onErrorResume(e -> Mono.just(Optional.empty()));
    }

    /** Each TXT record as its strings joined (RFC 8461 section 3.1), bytes kept as they are. */
    private static List<String> texts(DnsAnswer answer) {
        List<String> out = new ArrayList<>();
        for (TXTRecord r : answer.records(TXTRecord.class)) {
            StringBuilder b = new StringBuilder();
            for (byte[] s : r.getStringsAsByteArrays()) {
                b.append(new String(s, StandardCharsets.ISO_8859_1));
            }
            out.add(b.toString());
        }
        return out;
    }

    private Cached unexpired(String domain) {
        Cached c = cache.get(domain);
        if (c != null && !clock.instant().isBefore(c.expires())) {
            cache.remove(domain, c);
            return null;
        }
        return c;
    }

    private void store(String domain, Cached c) {
        if (cache.size() >= CACHE_SOFT_LIMIT) {
            Instant now = clock.instant();
            cache.values().removeIf(x -> !now.isBefore(x.expires()));
        }
        cache.put(domain, c);
    }
}
