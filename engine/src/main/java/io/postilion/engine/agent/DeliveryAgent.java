package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.DeliveryFlag;

import io.postilion.dns.NextHopResolver;
import io.postilion.dns.destination.DestinationList;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.transport.protocol.AddressCheck;
import io.postilion.transport.protocol.AddressRole;
import io.postilion.transport.protocol.EnvelopeAddress;
import io.postilion.transport.cache.ConnectionCache;
import io.postilion.transport.session.SmtpClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Verdict;
import io.postilion.engine.delivery.VerdictSource;
import io.postilion.engine.rewrite.MessagePreparation;
import io.postilion.engine.rewrite.Preparation;
import io.postilion.engine.rewrite.RewriteLog;
import io.postilion.engine.tls.MtaStsSettings;
import io.postilion.engine.tls.TlsPolicyResolver;
import io.postilion.engine.tls.TlsaFinder;
import io.postilion.tls.sts.MtaSts;
import io.postilion.tls.sts.StsPolicyFetcher;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Postfix's smtp(8)/lmtp(8) as a whole, and the library's entry point: one delivery request in,
 * one result per recipient out. Here a request is checked (addresses that cannot go on the wire,
 * a destination that does not parse) and prepared (rewriting, header and body checks) once; the
 * servers are then tried by {@code ServerWalk}, and the results are filtered, logged and measured
 * in {@code report}. The agent also owns what outlives one request: the connection cache and the
 * best_mx_transport handoff.
 *
 * <p>Every failure ends as a recipient result with a DSN status: nothing escapes as an exception.
 */
public final class DeliveryAgent {

    /** TLS-8: the TLSA cache's size and its TTL clamp. */
    private static final int TLSA_CACHE_ENTRIES = 10_000;
    private static final java.time.Duration TLSA_MIN_TTL = java.time.Duration.ofSeconds(1);
    private static final java.time.Duration TLSA_MAX_TTL = java.time.Duration.ofSeconds(100);

    private final AgentSettings settings;
    private final DestinationParser parser;
    private final Clock clock;
    private final DeliveryMetrics metrics;
    private final MessagePreparation preparation;
    private final ConnectionCache cache;
    private final ServerWalk walk;
    private volatile BestMxHandoff bestMxHandoff = BestMxHandoff.NONE;
    /** LOG-8: the informational lines and warnings, to the mail log as well. */
    private final AgentLog info;

    public DeliveryAgent(AgentSettings settings, NextHopResolver resolver, DestinationParser parser, Clock clock) {
        this(settings, resolver, parser, clock, DeliveryMetrics.none(settings.serviceName()));
    }

    public DeliveryAgent(AgentSettings settings, NextHopResolver resolver, DestinationParser parser, Clock clock,
            DeliveryMetrics metrics) {
        this.settings = settings;
        SmtpClient client = SmtpClient.create(settings.session()).source(settings.source()).transport(settings.transport());
        this.cache = new ConnectionCache(settings.reuse().idleLimit());
        this.parser = parser;
        this.clock = clock;
        this.metrics = metrics;
        this.preparation = new MessagePreparation(settings.rewriting(), RewriteLog.logger());
        this.info = new AgentLog(settings.serviceName());
        this.walk = new ServerWalk(settings, client, resolver, cache, clock, metrics, info,
                new TransactionRun(settings, cache, clock, info), tlsPolicies(settings, resolver, clock));
    }

    /**
     * TLS-3's resolver, with DANE's TLSA lookups and MTA-STS (TLS-32) when it is on: its policies outlive requests (they are
     * cached for max_age), so the agent owns them; STS records are looked up, and the policy host
     * found, through the agent's own resolver.
     */
    private static TlsPolicyResolver tlsPolicies(AgentSettings settings, NextHopResolver resolver, Clock clock) {
        // TLS-8: TLSA answers are kept 1 to 100 seconds whatever their TTL, in a cache of their own
        TlsaFinder tlsa = new TlsaFinder(resolver.dns().withCache(TLSA_CACHE_ENTRIES, TLSA_MIN_TTL, TLSA_MAX_TTL, clock),
                settings.tlsPolicy().dane().forceInsecureHostTlsaLookup());
        MtaStsSettings s = settings.mtaSts();
        if (!s.enabled()) {
            return new TlsPolicyResolver(settings.tlsPolicy(), tlsa, null, null);
        }
        MtaSts sts = new MtaSts(resolver.dns(), new StsPolicyFetcher(resolver.dns(), s.trust(), s.fetchTimeout(),
                settings.transport().loops()), clock);
        return new TlsPolicyResolver(settings.tlsPolicy(), tlsa, sts, s);
    }

    /** MISC-2: who takes mail when this MTA is the best MX and best_mx_transport names a transport. */
    public DeliveryAgent bestMxHandoff(BestMxHandoff handoff) {
        this.bestMxHandoff = handoff == null ? BestMxHandoff.NONE : handoff;
        return this;
    }

    /** Starts an agent for library users, configured from main.cf parameters. */
    public static Builder builder(Configuration configuration) {
        return new Builder(configuration);
    }

    /**
     * Delivers one request. The Mono completes with one result per recipient and never errors for
     * a delivery problem; it is cold, so nothing happens until it is subscribed to.
     */
    public Mono<DeliveryReport> deliver(DeliveryRequest request) {
        return deliver(request, CacheHint.OFF);
    }

    /**
     * Delivers one request with the scheduler's connection-cache advice for its destination
     * (CACHE-1).
     */
    public Mono<DeliveryReport> deliver(DeliveryRequest request, CacheHint hint) {
        return Mono.defer(() -> {
            Instant start = clock.instant();
            // smtputf8_enable = no: Postfix's pipeline never raises an SMTPUTF8 flag, so nothing is
            // asked of the server (no SMTPUTF8 on MAIL FROM, no 5.6.7, no utf-8 ORCPT).
            Attempt a = new Attempt(settings.session().smtputf8() ? request : request.withoutSmtputf8());
            a.caching = settings.reuse().decide(request.nexthop(), hint); // CACHE-1
            a.debugRequest = settings.debugPeers().matchesNexthop(request.nexthop()); // MISC-3
            if (!checkAddresses(a)) {
                return Mono.just(report(a, start));
            }
            DestinationList list = parser.parse(request.nexthop(), settings.fallbackRelay());
            list.warnings().forEach(info::warn); // LOG-8, DEST-2, DEST-14
            if (!list.isValid()) {
                var bad = list.error().orElseThrow();
                DsnStatus status = DsnStatus.parse(bad.status());
                for (int i : a.undecided()) {
                    a.apply(i, Decision.drop(Outcome.DEFERRED, status), bad.reason(),
                            Verdict.local(VerdictSource.LOCAL, bad.reason()), "none", 0);
                }
                return Mono.just(report(a, start));
            }
            return prepare(a)
                    .flatMap(ready -> ready ? walk.destinations(a, list) : Mono.empty())
                    .then(Mono.defer(() -> walk.endOfList(a, bestMxHandoff)))
                    .then(Mono.fromSupplier(() -> report(a, start)));
        });
    }

    /** CLARIFICATIONS 3: CR, LF or NUL in an address never reaches the wire. */
    private boolean checkAddresses(Attempt a) {
        if (EnvelopeAddress.check(a.request.sender(), AddressRole.SENDER) instanceof AddressCheck.Refused bad) {
            for (int i : a.undecided()) {
                a.apply(i, Decision.drop(Outcome.BOUNCED, DsnStatus.parse(bad.status())), bad.reason(),
                        Verdict.local(VerdictSource.LOCAL, bad.reason()), "none", 0);
            }
            return false;
        }
        List<Recipient> rcpts = a.request.recipients();
        for (int i = 0; i < rcpts.size(); i++) {
            if (EnvelopeAddress.check(rcpts.get(i).address(), AddressRole.RECIPIENT) instanceof AddressCheck.Refused bad) {
                a.apply(i, Decision.drop(Outcome.BOUNCED, DsnStatus.parse(bad.status())), bad.reason(),
                        Verdict.local(VerdictSource.LOCAL, bad.reason()), "none", 0);
            }
        }
        return !a.done();
    }

    /**
     * DATA-22..31: what goes on the wire, decided once before any connection; a refusal decides
     * every recipient still open. Emits whether delivery goes on.
     */
    private Mono<Boolean> prepare(Attempt a) {
        DeliveryRequest r = a.request;
        var request = new MessagePreparation.Request(r.queueId(), r.sender(),
                r.recipients().stream().map(Recipient::address).toList(),
                r.recipients().stream().map(Recipient::originalAddress).toList(), r.content(),
                r.flags().contains(DeliveryFlag.R), r.flags().contains(DeliveryFlag.O),
                r.flags().contains(DeliveryFlag.D));
        return preparation.prepare(request).map(p -> {
            if (p instanceof Preparation.Ready ready) {
                a.prepared = ready;
                return true;
            }
            Preparation.Refused refused = (Preparation.Refused) p;
            DsnStatus status = DsnStatus.parse(refused.status());
            for (int i : a.undecided()) {
                a.apply(i, Trouble.decide(status, false, true, settings.softBounce()), refused.reason(),
                        Verdict.local(VerdictSource.LOCAL, refused.reason()), "none", 0);
            }
            return false;
        });
    }

    /** How this agent's log lines show addresses and times; the scheduler's deferral lines follow it. */
    public io.postilion.engine.maillog.InfoLogFormat logFormat() {
        return settings.logFormat();
    }

    /** Closes the parked sessions (QUIT); deliveries in progress are not affected. */
    public void close() {
        cache.close();
    }

    /** Sessions parked for reuse right now. */
    public int parkedSessions() {
        return cache.size();
    }

    /** Builds an agent from a configuration (SMTP or, with {@link #lmtp()}, LMTP), a clock and a meter registry. */
    public static final class Builder {
        private final Configuration configuration;
        private boolean lmtp;
        private Clock clock = Clock.systemUTC();
        private MeterRegistry registry;
        private reactor.core.scheduler.Scheduler timer;

        private Builder(Configuration configuration) {
            this.configuration = java.util.Objects.requireNonNull(configuration, "configuration");
        }

        /** Deliver over LMTP, reading the lmtp_ twins of the parameters. */
        public Builder lmtp() {
            this.lmtp = true;
            return this;
        }

        public Builder clock(Clock c) {
            this.clock = java.util.Objects.requireNonNull(c, "clock");
            return this;
        }

        /** Where the delivery meters go; none are recorded without one. */
        public Builder meterRegistry(MeterRegistry r) {
            this.registry = r;
            return this;
        }

        /**
         * What runs the sessions' deliberate pauses (the PIX delay before the "." line, SESS-18):
         * Reactor's parallel scheduler unless a test passes a virtual-time one, so the pause is
         * proven without waiting for it.
         */
        public Builder timer(reactor.core.scheduler.Scheduler t) {
            this.timer = java.util.Objects.requireNonNull(t, "timer");
            return this;
        }

        /** @throws io.postilion.engine.config.ConfigurationException for a value the agent cannot honour */
        public DeliveryAgent build() {
            return AgentConfiguration.agent(lmtp ? configuration.forLmtp() : configuration.forSmtp(), clock, registry, timer);
        }
    }

    private DeliveryReport report(Attempt a, Instant start) {
        Instant end = clock.instant();
        Instant mail = a.mailFromAt;
        DeliveryRequest r = a.request;
        DeliveryReport.Timings t = new DeliveryReport.Timings(
                Duration.between(r.arrival(), end),
                Duration.between(r.arrival(), r.active()),
                Duration.between(r.active(), start),
                Duration.between(start, mail == null ? end : mail),
                mail == null ? Duration.ZERO : Duration.between(mail, end));
        // LOG-7: the status filter acts as results are recorded, after every decision was taken.
        List<RecipientResult> recorded = a.results().stream().map(settings.statusFilter()::apply).toList();
        if (r.probe()) {
            // MISC-1: a probe records what delivery would have done, as deliverable or undeliverable.
            // CLARIFICATIONS 7: without the negative cache a failure is "undeliverable-but-not-cached".
            boolean negative = settings.verifyNegativeCache();
            recorded = recorded.stream().map(x -> x.recast(x.outcome().asProbe(negative), x.status(), x.reason(),
                    x.outcome().asProbe(negative).dsnAction())).toList();
        }
        DeliveryReport report = new DeliveryReport(r.queueId(), recorded, a.throttle(), t, a.transcripts);
        DeliveryLog.write(report, settings.serviceName(), settings.logFormat());
        metrics.recorded(report, Duration.between(start, end));
        return report;
    }
}
