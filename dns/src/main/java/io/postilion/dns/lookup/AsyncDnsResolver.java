package io.postilion.dns.lookup;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
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

    private static final Logger LOG = LoggerFactory.getLogger(AsyncDnsResolver.class);

    private final Resolver resolver;
    private final Executor executor;
    private final SecureRandom ids;
    private final DnsReplyFilter filter;
    private final DnsAnswerCache cache;
    private final MeterRegistry meters;

    private AsyncDnsResolver(Resolver resolver, Executor executor, SecureRandom ids) {
        this(resolver, executor, ids, DnsReplyFilter.none(), null, null);
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
     * The same resolver, remembering successful answers for their smallest TTL (at most {@code maxTtl}),
     * up to {@code maxEntries} names. Failures are never cached.
     */
    public AsyncDnsResolver withCache(int maxEntries, Duration maxTtl, Clock clock) {
        return new AsyncDnsResolver(resolver, executor, ids, filter, new DnsAnswerCache(maxEntries, maxTtl, clock), meters);
    }

    /** The same resolver, counting lookups in {@code postilion_dns_lookups_total{type,outcome,cached}}. */
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

    /** As {@link #lookup(String, int, boolean)} with an absolute {@link Name}. */
    public Mono<DnsAnswer> lookup(Name qname, int type, boolean dnssec) {
        if (cache != null) {
            DnsAnswer cached = cache.get(qname.toString(), type, dnssec);
            if (cached != null) {
                count(cached, true);
                return Mono.just(cached);
            }
        }
        return step(qname, qname, type, dnssec, 1, true).map(this::filtered).doOnNext(answer -> {
            if (cache != null) {
                cache.put(qname.toString(), type, dnssec, answer);
            }
            count(answer, false);
        });
    }

    private void count(DnsAnswer answer, boolean cached) {
        if (meters != null) {
            meters.counter("postilion_dns_lookups_total", "type", Type.string(answer.type()),
                    "outcome", answer.outcome().name().toLowerCase(java.util.Locale.ROOT), "cached", Boolean.toString(cached))
                    .increment();
        }
    }

    /** LOOKUP-18: drop records the reply filter says IGNORE; a bad action or table error is temporary. */
    private DnsAnswer filtered(DnsAnswer answer) {
        if (!answer.ok()) {
            return answer;
        }
        List<Record> kept = new ArrayList<>();
        for (Record r : answer.records()) {
            String text = RecordText.render(r);
            Optional<String> action;
            try {
                action = filter.lookup(text);
            } catch (Exception e) {
                LOG.warn("{}: DNS reply filter lookup error for \"{}\": {}", answer.printableName(), text, e.toString());
                return failure(answer.queryName(), answer.type(), DnsOutcome.TEMPORARY, answer.rcode(),
                        DnsTexts.notFound(answer.queryName(), answer.type(), "Invalid DNS reply filter syntax"));
            }
            if (action.isEmpty()) {
                kept.add(r);
            } else if (action.get().trim().equalsIgnoreCase("IGNORE")) {
                LOG.info("ignoring DNS RR: {}", text);
            } else {
                LOG.warn("unknown DNS reply filter action \"{}\" for \"{}\"", action.get(), text);
                return failure(answer.queryName(), answer.type(), DnsOutcome.TEMPORARY, answer.rcode(),
                        DnsTexts.notFound(answer.queryName(), answer.type(), "Invalid DNS reply filter syntax"));
            }
        }
        if (kept.size() == answer.records().size()) {
            return answer;
        }
        if (kept.isEmpty()) {
            return failure(answer.queryName(), answer.type(), DnsOutcome.POLICY, answer.rcode(),
                    DnsTexts.serviceError(answer.queryName(), answer.type(), "DNS reply filter drops all results"));
        }
        return new DnsAnswer(answer.queryName(), answer.type(), DnsOutcome.OK, kept, answer.authenticated(), answer.rcode(),
                answer.canonicalName(), "");
    }

    private Mono<DnsAnswer> step(Name original, Name current, int type, boolean dnssec, int queryCount, boolean adSoFar) {
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
                .onErrorResume(Exception.class, e -> Mono.just(failure(original, type, DnsOutcome.TEMPORARY, -1,
                        DnsTexts.notFound(original, type, DnsTexts.TRY_AGAIN))));
    }

    private Mono<DnsAnswer> interpret(Name original, Name current, int type, boolean dnssec, int queryCount,
            boolean adSoFar, Message reply) {
        int rcode = reply.getRcode();
        boolean ad = adSoFar && reply.getHeader().getFlag(Flags.AD);
        if (reply.getHeader().getFlag(Flags.TC)) {
            return Mono.just(failure(original, type, DnsOutcome.TEMPORARY, rcode,
                    DnsTexts.notFound(original, type, DnsTexts.TRY_AGAIN)));
        }
        switch (rcode) {
            case Rcode.NOERROR:
                break;
            case Rcode.NXDOMAIN:
                return Mono.just(failure(original, type, DnsOutcome.NOT_FOUND, rcode,
                        DnsTexts.notFound(original, type, DnsTexts.HOST_NOT_FOUND)));
            case Rcode.SERVFAIL:
                return Mono.just(failure(original, type, DnsOutcome.TEMPORARY, rcode,
                        DnsTexts.notFound(original, type, DnsTexts.TRY_AGAIN)));
            default:
                return Mono.just(failure(original, type, DnsOutcome.NON_RECOVERABLE, rcode,
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
                return Mono.just(new DnsAnswer(original, type, DnsOutcome.OK, found, ad, rcode, owner, ""));
            }
            if (cnameTarget == null || cnameTarget.equals(owner)) {
                break;
            }
            owner = cnameTarget;
            followed = true;
        }
        if (followed) {
            if (queryCount >= MAX_QUERIES) {
                return Mono.just(failure(original, type, DnsOutcome.NOT_FOUND, rcode,
                        DnsTexts.notFound(original, type, "name server loop")));
            }
            return step(original, owner, type, dnssec, queryCount + 1, ad);
        }
        return Mono.just(failure(original, type, DnsOutcome.NOT_FOUND, rcode,
                DnsTexts.notFound(original, type, DnsTexts.NO_DATA)));
    }

    private static DnsAnswer failure(Name name, int type, DnsOutcome outcome, int rcode, String reason) {
        return new DnsAnswer(name, type, outcome, List.of(), false, rcode, name, reason);
    }
}
