package io.postilion.dns.lookup;

import io.postilion.dns.destination.HostNames;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicReference;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Non-blocking DNS lookups on dnsjava's asynchronous resolver: each query is a {@code sendAsync}
 * completing into a {@link Mono} (no thread per query). UDP first, TCP when the reply is truncated;
 * CNAME chains followed (at most 10 queries per lookup, LOOKUP-3); with {@code dnssec} the query
 * sets EDNS0 DO and AD, and the answer carries the reply's AD bit.
 */
public final class AsyncDnsResolver {

    /** Postfix's CNAME chase budget per lookup. */
    static final int MAX_QUERIES = 10;

    /** EDNS0 UDP payload advertised with DNSSEC queries (DNS flag day 2020). */
    static final int EDNS_PAYLOAD = 1232;

    /** Every lookup: {@code type}, {@code outcome}, {@code cached}. */
    static final String LOOKUPS = "postilion_dns_lookups_total";

    /** Lookups answered without a query of their own (from the cache, or by joining one in flight). */
    static final String CACHE_HITS = "postilion_dns_cache_hits_total";

    /** Lookups with a cache that had to query (one per query, however many lookups shared it). */
    static final String CACHE_MISSES = "postilion_dns_cache_misses_total";

    /** Latency of uncached lookups (all queries of one lookup, CNAMEs included): {@code type}, {@code outcome}. */
    static final String QUERY_DURATION = "postilion_dns_query_duration";

    private static final Logger LOG = LoggerFactory.getLogger(AsyncDnsResolver.class);

    private final Resolver resolver;
    private final Executor executor;
    private final SecureRandom ids;
    private final DnsReplyFilter filter;
    private final DnsAnswerCache cache;
    private final MeterRegistry meters;

    private AsyncDnsResolver(Resolver resolver, Executor executor, SecureRandom ids) {
        this(resolver, executor, ids, DnsReplyFilter.NONE, null, null);
    }

    private AsyncDnsResolver(Resolver resolver, Executor executor, SecureRandom ids, DnsReplyFilter filter,
            DnsAnswerCache cache, MeterRegistry meters) {
        this.resolver = resolver;
        this.executor = executor;
        this.ids = ids;
        this.filter = filter;
        this.cache = cache;
        this.meters = meters;
    }

    /** The same resolver with {@code smtp_dns_reply_filter} applied to every successful answer (LOOKUP-18). */
    public AsyncDnsResolver withReplyFilter(DnsReplyFilter replyFilter) {
        return new AsyncDnsResolver(resolver, executor, ids, Objects.requireNonNull(replyFilter, "replyFilter"), cache,
                meters);
    }

    /**
     * The same resolver, remembering successful answers for their smallest TTL and NXDOMAIN/NODATA
     * answers for the RFC 2308 negative TTL (min(SOA TTL, SOA MINIMUM) of the authority section's SOA;
     * not cached without one), each at most {@code maxTtl}, up to {@code maxEntries} keys. Temporary
     * and other failures are never cached. Concurrent lookups of one (name, type, dnssec) share one
     * query. With {@link #withMeterRegistry}, also counts {@code postilion_dns_cache_hits_total} and
     * {@code postilion_dns_cache_misses_total} ({@code type}, {@code outcome}).
     */
    public AsyncDnsResolver withCache(int maxEntries, Duration maxTtl, Clock clock) {
        return new AsyncDnsResolver(resolver, executor, ids, filter, new DnsAnswerCache(maxEntries, maxTtl, clock), meters);
    }

    /**
     * As {@link #withCache(int, Duration, Clock)}, with a cache of its own whose answers, positive or
     * negative, live at least {@code minTtl} (a TTL of zero included) and at most {@code maxTtl}: the
     * TLSA cache of TLS-8 (1 to 100 seconds). The queries still go to the same servers.
     */
    public AsyncDnsResolver withCache(int maxEntries, Duration minTtl, Duration maxTtl, Clock clock) {
        return new AsyncDnsResolver(resolver, executor, ids, filter, new DnsAnswerCache(maxEntries, minTtl, maxTtl, clock),
                meters);
    }

    /**
     * The same resolver, counting lookups in {@code postilion_dns_lookups_total{type,outcome,cached}},
     * timing uncached ones in {@code postilion_dns_query_duration{type,outcome}}, and with a cache
     * counting its hits and misses. Tags never carry the name.
     */
    public AsyncDnsResolver withMeterRegistry(MeterRegistry registry) {
        return new AsyncDnsResolver(resolver, executor, ids, filter, cache, Objects.requireNonNull(registry, "registry"));
    }

    /** A DRBG seeded now (at construction, off the event loops) so that later IDs need no file reads. */
    private static SecureRandom newIdSource() {
        SecureRandom random;
        try {
            random = SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            random = new SecureRandom();
        }
        random.nextInt();
        return random;
    }

    private int nextId() {
        return ids.nextInt(0x10000);
    }

    /**
     * A resolver for the configured servers; creates no threads of its own (dnsjava's one shared NIO
     * selector does the I/O). Answers are handled on the common fork-join pool.
     */
    public static AsyncDnsResolver create(DnsResolverConfig config) {
        return create(config, ForkJoinPool.commonPool());
    }

    /** As {@link #create(DnsResolverConfig)}, handling answers on {@code executor} (e.g. a Reactor scheduler). */
    public static AsyncDnsResolver create(DnsResolverConfig config, Executor executor) {
        List<Resolver> resolvers = new ArrayList<>();
        SecureRandom random = newIdSource();
        SourcePortIoClientFactory io = new SourcePortIoClientFactory(random);
        config.servers().forEach(server -> {
            SimpleResolver r = new SimpleResolver(server);
            r.setIoClientFactory(io);
            r.setTimeout(config.timeout());
            resolvers.add(r);
        });
        ExtendedResolver extended = new ExtendedResolver(resolvers);
        extended.setRetries(config.attempts());
        extended.setLoadBalance(false);
        extended.setTimeout(config.timeout().multipliedBy((long) config.attempts() * resolvers.size()).plus(Duration.ofMillis(500)));
        return new AsyncDnsResolver(extended, Objects.requireNonNull(executor, "executor"), random);
    }

    /** Wraps any dnsjava resolver (for tests and custom transports). */
    public static AsyncDnsResolver wrap(Resolver resolver) {
        return new AsyncDnsResolver(Objects.requireNonNull(resolver, "resolver"), ForkJoinPool.commonPool(), newIdSource());
    }

    public Mono<DnsAnswer> mx(String name, boolean dnssec) {
        return lookup(name, Type.MX, dnssec);
    }

    public Mono<DnsAnswer> a(String name, boolean dnssec) {
        return lookup(name, Type.A, dnssec);
    }

    public Mono<DnsAnswer> aaaa(String name, boolean dnssec) {
        return lookup(name, Type.AAAA, dnssec);
    }

    public Mono<DnsAnswer> cname(String name, boolean dnssec) {
        return lookup(name, Type.CNAME, dnssec);
    }

    public Mono<DnsAnswer> srv(String name, boolean dnssec) {
        return lookup(name, Type.SRV, dnssec);
    }

    public Mono<DnsAnswer> tlsa(String name, boolean dnssec) {
        return lookup(name, Type.TLSA, dnssec);
    }

    /**
     * Looks up {@code name} (absolute; a trailing dot is implied) for records of {@code type}. Never
     * errors: every failure is a classified {@link DnsAnswer}.
     */
    public Mono<DnsAnswer> lookup(String name, int type, boolean dnssec) {
        Name qname;
        try {
            qname = Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            Name shown = Name.root;
            try {
                shown = Name.fromConstantString("invalid.");
            } catch (RuntimeException ignored) {
                // keep root
            }
            return Mono.just(new DnsAnswer(shown, type, DnsOutcome.MALFORMED, List.of(), false, -1, shown,
                    "Name service error for name=" + name + " type=" + Type.string(type) + ": " + DnsTexts.MALFORMED));
        }
        return lookup(qname, type, dnssec);
    }

    /**
     * As {@link #lookup(String, int, boolean)} with an absolute {@link Name}. With a cache, the cache is
     * consulted when the result is subscribed to, and concurrent lookups of one (name, type, dnssec)
     * share one query.
     */
    public Mono<DnsAnswer> lookup(Name qname, int type, boolean dnssec) {
        if (cache == null) {
            return query(qname, type, dnssec).doOnNext(answer -> count(answer, false));
        }
        return Mono.defer(() -> {
            String name = qname.toString();
            DnsAnswer cached = cache.get(name, type, dnssec);
            if (cached != null) {
                count(cached, true);
                countCache(CACHE_HITS, cached);
                return Mono.just(cached);
            }
            DnsAnswerCache.Key key = DnsAnswerCache.Key.of(name, type, dnssec);
            AtomicReference<Mono<DnsAnswer>> self = new AtomicReference<>();
            // The answer is cached (in query) before the in-flight entry goes, and that goes before the
            // answer is emitted, so that a later lookup never joins a finished query; doFinally covers
            // cancellation.
            Mono<DnsAnswer> mine = query(qname, type, dnssec)
                    .doOnNext(answer -> {
                        cache.finished(key, self.get());
                        countCache(CACHE_MISSES, answer);
                    })
                    .doFinally(signal -> cache.finished(key, self.get()))
                    .cache();
            self.set(mine);
            Mono<DnsAnswer> shared = cache.joinOrRegister(key, mine);
            if (shared == null) {
                return mine.doOnNext(answer -> count(answer, false));
            }
            return shared.doOnNext(answer -> {
                count(answer, false);
                countCache(CACHE_HITS, answer);
            });
        });
    }

    /** One uncached lookup: the queries, the reply filter, the cache update and the latency timer. */
    private Mono<DnsAnswer> query(Name qname, int type, boolean dnssec) {
        return Mono.defer(() -> {
            Timer.Sample sample = meters == null ? null : Timer.start(meters);
            return step(qname, qname, type, dnssec, 1, true).map(resolved -> {
                DnsAnswer answer = filtered(resolved.answer());
                if (cache != null) {
                    if (answer.ok()) {
                        cache.put(qname.toString(), type, dnssec, answer);
                    } else if (answer == resolved.answer()) {
                        cache.putNegative(qname.toString(), type, dnssec, answer, resolved.negativeTtl());
                    }
                }
                if (sample != null) {
                    sample.stop(meters.timer(QUERY_DURATION, "type", Type.string(type), "outcome", outcomeTag(answer)));
                }
                return answer;
            });
        });
    }

    private void count(DnsAnswer answer, boolean cached) {
        if (meters != null) {
            meters.counter(LOOKUPS, "type", Type.string(answer.type()), "outcome", outcomeTag(answer),
                    "cached", Boolean.toString(cached)).increment();
        }
    }

    private void countCache(String counter, DnsAnswer answer) {
        if (meters != null) {
            meters.counter(counter, "type", Type.string(answer.type()), "outcome", outcomeTag(answer)).increment();
        }
    }

    private static String outcomeTag(DnsAnswer answer) {
        return answer.outcome().name().toLowerCase(Locale.ROOT);
    }

    /**
     * LOOKUP-18, in Postfix's order: a null MX/SRV answer, and one whose every MX/SRV target is an
     * invalid name, is judged before any filtering (nullMX, malformed), and records with an invalid
     * target are dropped unseen when valid ones exist. Each remaining record is looked up as
     * rendered; a result whose first word is IGNORE (any case) drops it; any other result, or a table
     * error, makes the whole query a temporary failure; nothing left is the "policy" failure.
     */
    private DnsAnswer filtered(DnsAnswer answer) {
        if (!answer.ok() || filter == DnsReplyFilter.NONE) {
            return answer;
        }
        List<Record> candidates = new ArrayList<>();
        for (Record r : answer.records()) {
            Name target = target(r);
            if (target != null && target.equals(Name.root)) {
                return answer; // null MX / null SRV: never filtered away
            }
            if (target == null || HostNames.isValidHostname(DnsTexts.printable(target))) {
                candidates.add(r);
            }
        }
        if (candidates.isEmpty()) {
            return answer; // every target malformed: the caller reports that, unfiltered
        }
        List<Record> kept = new ArrayList<>();
        for (Record r : candidates) {
            String text = RecordText.render(r);
            Optional<String> action;
            try {
                action = filter.lookup(text);
            } catch (Exception e) {
                LOG.warn("{}: DNS reply filter lookup error for \"{}\": {}", answer.printableName(), text, e.toString());
                return invalidFilter(answer);
            }
            if (action.isEmpty()) {
                kept.add(r);
            } else if (firstWord(action.get()).equalsIgnoreCase("IGNORE")) {
                LOG.info("ignoring DNS RR: {}", text);
            } else {
                LOG.warn("{}: unknown DNS filter action: \"{}\"", filter.title(), action.get());
                return invalidFilter(answer);
            }
        }
        if (kept.size() == answer.records().size()) {
            return answer;
        }
        if (kept.isEmpty()) {
            return failure(answer.queryName(), answer.type(), DnsOutcome.POLICY, answer.rcode(),
                    DnsTexts.lookupError(answer.queryName(), answer.type(), "DNS reply filter drops all results"));
        }
        return new DnsAnswer(answer.queryName(), answer.type(), DnsOutcome.OK, kept, answer.authenticated(), answer.rcode(),
                answer.canonicalName(), "");
    }

    private static DnsAnswer invalidFilter(DnsAnswer answer) {
        return failure(answer.queryName(), answer.type(), DnsOutcome.TEMPORARY, answer.rcode(),
                DnsTexts.lookupError(answer.queryName(), answer.type(), "Invalid DNS reply filter syntax"));
    }

    /** The command of a filter result: Postfix compares only the text before the first blank. */
    private static String firstWord(String s) {
        int end = 0;
        while (end < s.length() && s.charAt(end) != ' ' && s.charAt(end) != '\t') {
            end++;
        }
        return s.substring(0, end);
    }

    /** The host an MX or SRV record names, null for other types. */
    private static Name target(Record r) {
        if (r instanceof MXRecord mx) {
            return mx.getTarget();
        }
        if (r instanceof SRVRecord srv) {
            return srv.getTarget();
        }
        return null;
    }

    private Mono<Resolved> step(Name original, Name current, int type, boolean dnssec, int queryCount, boolean adSoFar) {
        return Mono.defer(() -> {
                    // Message.newQuery would draw the ID from dnsjava's NativePRNG, which reads /dev/urandom
                    // on every call (a blocking file read on the calling thread); use our pre-seeded DRBG.
                    Message query = new Message(nextId());
                    query.getHeader().setFlag(Flags.RD);
                    query.addRecord(Record.newRecord(current, type, DClass.IN), Section.QUESTION);
                    if (dnssec) {
                        query.getHeader().setFlag(Flags.AD);
                        query.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
                    }
                    return Mono.fromCompletionStage(resolver.sendAsync(query, executor));
                })
                .flatMap(reply -> interpret(original, current, type, dnssec, queryCount, adSoFar, reply))
                .doOnError(e -> LOG.debug("DNS query for {}/{} failed", current, Type.string(type), e))
                // Errors (including BlockHound's report) propagate; I/O problems and timeouts are answers.
                .onErrorResume(Exception.class, e -> done(failure(original, type, DnsOutcome.TEMPORARY, -1,
                        DnsTexts.notFound(original, type, DnsTexts.TRY_AGAIN))));
    }

    private Mono<Resolved> interpret(Name original, Name current, int type, boolean dnssec, int queryCount,
            boolean adSoFar, Message reply) {
        int rcode = reply.getRcode();
        boolean ad = adSoFar && reply.getHeader().getFlag(Flags.AD);
        if (reply.getHeader().getFlag(Flags.TC)) {
            return done(failure(original, type, DnsOutcome.TEMPORARY, rcode,
                    DnsTexts.notFound(original, type, DnsTexts.TRY_AGAIN)));
        }
        switch (rcode) {
            case Rcode.NOERROR:
                break;
            case Rcode.NXDOMAIN:
                return Mono.just(new Resolved(failure(original, type, DnsOutcome.NOT_FOUND, rcode,
                        DnsTexts.notFound(original, type, DnsTexts.HOST_NOT_FOUND)), negativeTtl(reply, current)));
            case Rcode.SERVFAIL:
                return done(failure(original, type, DnsOutcome.TEMPORARY, rcode,
                        DnsTexts.notFound(original, type, DnsTexts.TRY_AGAIN)));
            default:
                return done(failure(original, type, DnsOutcome.NON_RECOVERABLE, rcode,
                        DnsTexts.serviceError(original, type, DnsTexts.NO_RECOVERY)));
        }
        List<Record> answer = reply.getSection(Section.ANSWER);
        Name owner = current;
        boolean followed = false;
        for (int hop = 0; hop <= MAX_QUERIES; hop++) {
            List<Record> found = new ArrayList<>();
            Name cnameTarget = null;
            for (Record r : answer) {
                if (!r.getName().equals(owner)) {
                    continue;
                }
                if (r.getType() == type) {
                    found.add(r);
                } else if (r.getType() == Type.CNAME && cnameTarget == null) {
                    cnameTarget = ((CNAMERecord) r).getTarget();
                }
            }
            if (!found.isEmpty()) {
                return done(new DnsAnswer(original, type, DnsOutcome.OK, found, ad, rcode, owner, ""));
            }
            if (cnameTarget == null || cnameTarget.equals(owner)) {
                break;
            }
            owner = cnameTarget;
            followed = true;
        }
        if (followed) {
            if (queryCount >= MAX_QUERIES) {
                return done(failure(original, type, DnsOutcome.NOT_FOUND, rcode,
                        DnsTexts.notFound(original, type, "name server loop")));
            }
            return step(original, owner, type, dnssec, queryCount + 1, ad);
        }
        // NODATA for the last name asked (after any CNAMEs in this reply).
        return Mono.just(new Resolved(failure(original, type, DnsOutcome.NOT_FOUND, rcode,
                DnsTexts.notFound(original, type, DnsTexts.NO_DATA)), negativeTtl(reply, owner)));
    }

    /**
     * RFC 2308 section 5: the negative TTL is min(SOA TTL, SOA MINIMUM) of the SOA in the authority
     * section whose owner encloses {@code name}; 0 (do not cache) when there is none.
     */
    static long negativeTtl(Message reply, Name name) {
        long ttl = 0;
        for (Record r : reply.getSection(Section.AUTHORITY)) {
            if (r instanceof SOARecord soa && name.subdomain(soa.getName())) {
                long t = Math.min(soa.getTTL(), soa.getMinimum());
                ttl = Math.max(ttl, t);
            }
        }
        return ttl;
    }

    /** An answer, and for NXDOMAIN/NODATA how long it may be cached (seconds; 0 = not at all). */
    private record Resolved(DnsAnswer answer, long negativeTtl) {}

    private static Mono<Resolved> done(DnsAnswer answer) {
        return Mono.just(new Resolved(answer, 0));
    }

    private static DnsAnswer failure(Name name, int type, DnsOutcome outcome, int rcode, String reason) {
        return new DnsAnswer(name, type, outcome, List.of(), false, rcode, name, reason);
    }
}
