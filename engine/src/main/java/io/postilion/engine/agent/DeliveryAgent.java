package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.DeliveryFlag;
import io.postilion.engine.delivery.PostmasterTranscript;

import io.postilion.dns.NextHopResolver;
import io.postilion.dns.Target;
import io.postilion.dns.TargetList;
import io.postilion.dns.destination.Destination;
import io.postilion.dns.destination.DestinationList;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.destination.UnixDestination;
import io.postilion.transport.protocol.AddressCheck;
import io.postilion.transport.protocol.AddressRole;
import io.postilion.transport.protocol.EnvelopeAddress;
import io.postilion.transport.protocol.EnvelopeOptions;
import io.postilion.transport.protocol.MailFromCommand;
import io.postilion.transport.protocol.MimeDowngrade;
import io.postilion.transport.protocol.RcptToCommand;
import io.postilion.transport.protocol.RecipientEnvelope;
import io.postilion.transport.protocol.SenderEnvelope;
import io.postilion.transport.protocol.Smtputf8;
import io.postilion.transport.protocol.XforwardCommands;
import io.postilion.transport.cache.CacheKey;
import io.postilion.transport.cache.ConnectionCache;
import io.postilion.transport.cache.ParkedSession;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.Handshake;
import io.postilion.transport.session.SmtpClient;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.Stage;
import io.postilion.transport.session.StageFailure;
import io.postilion.transport.session.Transaction;
import io.micrometer.core.instrument.MeterRegistry;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Verdict;
import io.postilion.engine.delivery.VerdictSource;
import io.postilion.engine.rewrite.MessagePreparation;
import io.postilion.engine.rewrite.Preparation;
import io.postilion.engine.rewrite.RewriteLog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Postfix's smtp(8)/lmtp(8) as a whole: one delivery request in, one result per recipient out.
 * It walks the destinations (the next-hop, then smtp_fallback_relay), each destination's servers
 * in order, and runs at most one transaction per server, carrying the recipients kept by one
 * server on to the next (SESS-1..3, LOOKUP-20..22).
 *
 * <p>Every failure ends as a recipient result with a DSN status: nothing escapes as an exception.
 */
public final class DeliveryAgent {

    private final AgentSettings settings;
    private final SmtpClient client;
    private final NextHopResolver resolver;
    private final DestinationParser parser;
    private final Clock clock;
    private final DeliveryMetrics metrics;
    private final MessagePreparation preparation;
    private final ConnectionCache cache;
    private volatile BestMxHandoff bestMxHandoff = BestMxHandoff.NONE;
    /** LOG-8: the informational lines and warnings, to the mail log as well. */
    private final AgentLog info;

    public DeliveryAgent(AgentSettings settings, NextHopResolver resolver, DestinationParser parser, Clock clock) {
        this(settings, resolver, parser, clock, DeliveryMetrics.none(settings.session().lmtp() ? "lmtp" : "smtp"));
    }

    public DeliveryAgent(AgentSettings settings, NextHopResolver resolver, DestinationParser parser, Clock clock,
            DeliveryMetrics metrics) {
        this.settings = settings;
        this.client = SmtpClient.create(settings.session()).source(settings.source());
        this.cache = new ConnectionCache(settings.reuse().idleLimit());
        this.resolver = resolver;
        this.parser = parser;
        this.clock = clock;
        this.metrics = metrics;
        this.preparation = new MessagePreparation(settings.rewriting(), RewriteLog.logger());
        this.info = new AgentLog(settings.session().lmtp() ? "lmtp" : "smtp");
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
            Attempt a = new Attempt(request);
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
                    .flatMap(ready -> ready ? destinations(a, list, 0) : Mono.empty())
                    .then(Mono.defer(() -> endOfList(a)))
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

    // ------------------------------------------------------------ destinations (LOOKUP-20/21)

    private Mono<Void> destinations(Attempt a, DestinationList list, int index) {
        if (a.done() || a.stopped || index >= list.destinations().size()) {
            return Mono.empty();
        }
        Destination d = list.destinations().get(index);
        a.lastItemWasFallback = d.fallbackRelay();
        if (d instanceof UnixDestination u) {
            Server socket = new Server(Endpoint.unix(settings.myHostname(), u.path()), false, false);
            return servers(a, List.of(socket), true, 0, 0); // SESS-6: a socket is always final
        }
        // LOOKUP-2: loop detection only for SMTP to port 25
        boolean loopCheck = !settings.session().lmtp() && ((io.postilion.dns.destination.InetDestination) d).port() == 25;
        return resolver.resolve(list, index).flatMap(targets -> {
            targets.warnings().forEach(w -> info.warn(a.request.queueId() + ": " + w));
            if (!targets.ok()) {
                var f = targets.failure().orElseThrow();
                a.error(DsnStatus.parse(f.status()), f.reason(), Verdict.local(VerdictSource.DNS, f.reason()));
                a.lastRelay = "none";
                return targets.finalNexthop() ? Mono.empty() : destinations(a, list, index + 1);
            }
            return servers(a, servers(targets, loopCheck), targets.finalNexthop(), 0, 0)
                    .then(Mono.defer(() -> targets.finalNexthop() ? Mono.empty() : destinations(a, list, index + 1)));
        });
    }

    private static List<Server> servers(TargetList targets, boolean loopCheck) {
        int best = targets.targets().stream().mapToInt(Target::preference).min().orElse(0);
        List<Server> out = new ArrayList<>(targets.targets().size());
        for (Target t : targets.targets()) {
            out.add(new Server(Endpoint.inet(t.hostname(), t.socketAddress()), t.preference() == best, loopCheck));
        }
        return out;
    }

    /** A server to try, with what SESS-15 needs: is it a best-preference MX, is loop detection on. */
    private record Server(Endpoint endpoint, boolean bestMx, boolean loopCheck) {
    }

    // ------------------------------------------------------------ servers (SESS-1..3)

    private Mono<Void> servers(Attempt a, List<Server> endpoints, boolean finalDestination, int index, int sessions) {
        if (a.done() || a.stopped || index >= endpoints.size()) {
            return Mono.empty();
        }
        Server target = endpoints.get(index);
        Endpoint ep = target.endpoint();
        boolean lastAddress = index == endpoints.size() - 1;
        if (settings.logTlsStatus()) {
            a.tls = io.postilion.tls.TlsFeatureStatus.undecided(settings.session().tlsLevel()).logForm(); // LOG-5
        }
        ServerContext reusedAt = new ServerContext(ep.hostname(), ep.display(), ep.displayWithPort(),
                finalDestination && lastAddress, settings.softBounce(), settings.session().lmtp());
        // Optional, because a delivery over a reused session completes empty as well.
        return cached(a, target).map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty()).flatMap(p -> p.isEmpty()
                ? connectAndDeliver(a, endpoints, finalDestination, index, sessions)
                : reusedSession(a, p.get(), target, reusedAt, finalDestination, sessions)
                        .flatMap(next -> next < 0 ? Mono.<Void>empty() : servers(a, endpoints, finalDestination, index + 1, next)));
    }

    /** CACHE-5/6: a parked session for this request's next-hop or for this server, RSET-probed. */
    private Mono<ParkedSession> cached(Attempt a, Server target) {
        if (!a.caching.load()) {
            return Mono.empty();
        }
        Mono<ParkedSession> byNexthop = a.nexthopClaimed ? Mono.empty() : cache.take(nexthopKey(a));
        return byNexthop.switchIfEmpty(Mono.defer(() -> cache.take(endpointKey(a, target.endpoint()))));
    }

    private CacheKey nexthopKey(Attempt a) {
        return CacheKey.nexthop(transport(), ConnectionReuse.firstItem(a.request.nexthop()), tlsLevel(), a.utf8Required());
    }

    private CacheKey endpointKey(Attempt a, Endpoint ep) {
        return CacheKey.endpoint(transport(), ep.displayWithPort(), tlsLevel(), a.utf8Required());
    }

    private String transport() {
        return settings.session().lmtp() ? "lmtp" : "smtp";
    }

    private String tlsLevel() {
        return settings.session().tlsLevel().name();
    }

    /** A reused session skips greeting, hello and the SIZE pre-check (CACHE-7, CACHE-10). */
    private Mono<Integer> reusedSession(Attempt a, ParkedSession p, Server target, ServerContext server,
            boolean finalDestination, int sessions) {
        int count = sessions + 1;
        boolean lastSession = settings.mxSessionLimit() > 0 && count >= settings.mxSessionLimit();
        ServerContext at = server.asFinal(server.finalServer() || finalDestination && lastSession).withConnUse(p.uses() + 1);
        a.lastRelay = server.relay();
        SessionTranscript transcript = transcript(a, p.session());
        noteTls(a, p.session());
        return transaction(a, p.session(), p.handshake(), at, p.connectedAt(), p.uses() + 1, p.bestMx())
                .doOnTerminate(() -> endTranscript(a, p.session(), transcript))
                .thenReturn(lastSession ? -1 : count);
    }

    private Mono<Void> connectAndDeliver(Attempt a, List<Server> endpoints, boolean finalDestination, int index, int sessions) {
        Server target = endpoints.get(index);
        Endpoint ep = target.endpoint();
        boolean lastAddress = index == endpoints.size() - 1;
        Instant connectAt = clock.instant();
        return client.connect(ep).flatMap(c -> {
            metrics.connection(c.ok());
            // LOG-1: without a session there is no relay to name
            a.lastRelay = c.ok() ? ep.displayWithPort() : "none";
            if (!c.ok()) {
                StageFailure f = c.failure();
                info.info(a.request.queueId() + ": " + f.text()); // LOG-8
                // REPLY-12: throttles only if it ends the list (LOOKUP-22)
                a.error(DsnStatus.parse(f.status()), f.text(), Trouble.verdictOf(f, ep.hostname()));
                return servers(a, endpoints, finalDestination, index + 1, sessions);
            }
            ServerContext server = new ServerContext(ep.hostname(), ep.display(), ep.displayWithPort(),
                    finalDestination && lastAddress, settings.softBounce(), settings.session().lmtp());
            SessionTranscript transcript = transcript(a, c.session());
            return session(a, c.session(), target, server, finalDestination, sessions, connectAt)
                    .doOnNext(n -> endTranscript(a, c.session(), transcript))
                    .flatMap(next -> next < 0 ? Mono.<Void>empty() : servers(a, endpoints, finalDestination, index + 1, next));
        });
    }

    /** One session: handshake, at most one transaction. Returns the session count, or -1 to stop. */
    private Mono<Integer> session(Attempt a, SmtpSession s, Server target, ServerContext server, boolean finalDestination,
            int sessions, Instant connectedAt) {
        boolean utf8 = Smtputf8.required(a.request.smtputf8Requested(), a.request.sender(), a.request.headersUtf8(),
                a.undecided().stream().map(i -> a.request.recipients().get(i).address()).toList());
        return s.handshake(utf8).flatMap(h -> {
            noteTls(a, s);
            if (!h.ok()) {
                if (h.failure().reply() != null && Trouble.fromReply(h.failure().reply(), "", server.host()).protocolError()) {
                    raise(a, PostmasterNotices.ErrorClass.PROTOCOL); // LOG-9
                }
                handshakeFailure(a, h, server);
                return Mono.just(sessions);
            }
            if (target.loopCheck() && h.helloStage() == Stage.EHLO && h.capabilities().serverNameIs(settings.myHostname())) {
                // SESS-15: the server calls itself by our name; a bounce when it is a best MX
                info.warn("host " + s.endpoint().displayWithPort() + " replied to HELO/EHLO with my own hostname "
                        + settings.myHostname());
                String loop = "mail for " + a.request.nexthop() + " loops back to myself";
                TransactionOutcomes.siteFailure(a, a.undecided(), DsnStatus.of(target.bestMx() ? 5 : 4, 4, 6), loop,
                        Verdict.local(VerdictSource.LOCAL, loop), false, server);
                return s.quit().thenReturn(sessions);
            }
            int count = sessions + 1;
            boolean lastSession = settings.mxSessionLimit() > 0 && count >= settings.mxSessionLimit();
            ServerContext at = server.asFinal(server.finalServer() || finalDestination && lastSession);
            if (sizeExceeded(a, s, h, at)) {
                // XFER-14: no transaction was started; the session is cached if it may be, else dropped without QUIT
                if (a.caching.store() && !s.tlsActive() && settings.reuse().mayPark(connectedAt, 1, clock.instant())
                        && s.usable()) {
                    park(a, s, h, connectedAt, 0, target.bestMx());
                } else {
                    s.close();
                }
                return Mono.just(a.stopped || lastSession ? -1 : count);
            }
            return transaction(a, s, h, at, connectedAt, 1, target.bestMx()).thenReturn(lastSession ? -1 : count);
        });
    }

    private void handshakeFailure(Attempt a, Handshake h, ServerContext server) {
        StageFailure f = h.failure();
        DsnStatus status = DsnStatus.parse(f.status());
        if (f.stage() == Stage.GREETING && f.kind() == StageFailure.Kind.REPLY && f.reply() != null
                && f.reply().codeClass() == 5 && status.isPermanent() && settings.skip5xxGreeting()) {
            status = status.withClass(4); // SESS-7
        }
        boolean softUnlessFinal = status.equals(SMTPUTF8_REQUIRED);
        if (!server.finalServer()) {
            info.info(a.request.queueId() + ": " + f.text()); // LOG-8: the skipped server
        }
        TransactionOutcomes.siteFailure(a, a.undecided(), status, f.text(), Trouble.verdictOf(f, server.host()),
                softUnlessFinal, server);
    }

    /** XFER-1: a message larger than the server's SIZE limit bounces here, and no other server is tried. */
    private boolean sizeExceeded(Attempt a, SmtpSession s, Handshake h, ServerContext server) {
        long limit = h.capabilities().sizeLimit();
        long size = a.request.content().size();
        if (limit <= 0 || size <= limit) {
            return false;
        }
        String reason = "message size " + size + " exceeds size limit " + limit + " of server " + s.endpoint().display();
        Decision d = server.decide(TOO_BIG, false);
        Verdict mine = Verdict.local(VerdictSource.LOCAL, reason);
        for (int i : a.undecided()) {
            a.apply(i, d, reason, mine, server.relay(), server.connUse());
        }
        a.stopped = !d.keep(); // REPLY-14: under soft_bounce a non-final server keeps them for the next
        return true;
    }

    private Mono<Void> transaction(Attempt a, SmtpSession s, Handshake h, ServerContext server, Instant connectedAt,
            int uses, boolean bestMx) {
        DeliveryRequest req = a.request;
        List<Integer> indexes = a.undecided();
        var caps = h.capabilities();
        boolean utf8 = Smtputf8.required(req.smtputf8Requested(), req.sender(), req.headersUtf8(),
                indexes.stream().map(i -> req.recipients().get(i).address()).toList());
        boolean downgrade = MimeDowngrade.needed(caps, req.bodyType(), settings.disableMimeOutputConversion(), utf8);
        EnvelopeOptions opts = EnvelopeOptions.DEFAULT.withQuoteRfc821(settings.quoteRfc821Envelope())
                .withMimeDowngrade(downgrade).withSmtpUtf8Flagged(req.smtputf8Requested());
        SenderEnvelope sender = new SenderEnvelope(new EnvelopeAddress(a.prepared.sender()), req.content().size(),
                req.bodyType(), req.envId(), req.ret(), req.smtputf8Requested(), false);
        List<String> rcpts = new ArrayList<>(indexes.size());
        for (int i : indexes) {
            Recipient r = req.recipients().get(i);
            String wire = a.prepared.recipients().get(i); // DATA-26: the log keeps r.address()
            rcpts.add(RcptToCommand.of(RecipientEnvelope.of(wire).withOriginalAddress(r.originalAddress())
                    .withDsnOrcpt(r.orcpt()).withNotify(r.notifyOn()), caps, opts).line());
        }
        a.mailFromAt = clock.instant();
        // CACHE-4: decided when the transaction is built; past the limits QUIT follows the dot.
        // CACHE-3/TLS-21: a TLS session is never cached (smtp_tls_connection_reuse = no, Postfix's
        // smtp_start_tls), so QUIT follows its dot as for any session that is not kept.
        boolean keep = a.caching.store() && !s.tlsActive() && settings.reuse().mayPark(connectedAt, uses, clock.instant());
        List<String> xforward = settings.sendXforward() && caps.xforwardOffered()
                ? XforwardCommands.of(req.origin(), req.queueId(), caps.xforward()) : List.of(); // XFER-2
        Transaction tx = new Transaction(MailFromCommand.of(sender, caps, opts).line(), rcpts, a.prepared.content(),
                settings.content().withDowngrade(downgrade), keep)
                .xforward(xforward)
                .purpose(req.probe() ? settings.verifyTarget().purpose() : Transaction.Purpose.DELIVER); // MISC-1
        ServerContext at = server.forSuccess(req.flags().contains(DeliveryFlag.X) || settings.assumeFinal(), caps.dsn());
        return s.transaction(tx).flatMap(result -> {
            warnAboutXforward(s, xforward, result);
            if (result.protocolError()) {
                raise(a, PostmasterNotices.ErrorClass.PROTOCOL); // LOG-9, REPLY-6/8
            }
            if (result.failure() != null && (result.failure().kind() == StageFailure.Kind.LOCAL
                    || result.failure().kind() == StageFailure.Kind.DATA)) {
                raise(a, PostmasterNotices.ErrorClass.DATA);
            }
            boolean good = TransactionOutcomes.apply(a, indexes, result, at);
            if (good) {
                a.completedTransaction();
            }
            if (!keep) {
                return Mono.<Void>empty();
            }
            if (result.protocolError()) {
                // CACHE-3: never cached; as Postfix's smtp_cleanup_session, a session that is neither
                // cached nor expired is closed without QUIT (after the dot no QUIT was pipelined).
                s.close();
                return Mono.<Void>empty();
            }
            if (!result.reusable() || !s.usable()) {
                return s.quit();
            }
            park(a, s, h, connectedAt, uses, bestMx);
            return Mono.<Void>empty();
        }).then();
    }

    /** CACHE-8: the first good session of a request is filed under the next-hop too; later ones by endpoint only. */
    private void park(Attempt a, SmtpSession s, Handshake h, Instant connectedAt, int uses, boolean bestMx) {
        List<CacheKey> keys = new ArrayList<>(2);
        keys.add(endpointKey(a, s.endpoint()));
        if (!a.nexthopClaimed) {
            keys.add(nexthopKey(a));
            a.nexthopClaimed = true;
        }
        cache.park(keys, new ParkedSession(s, h, connectedAt, uses, bestMx));
    }

    /** Closes the parked sessions (QUIT); deliveries in progress are not affected. */
    public void close() {
        cache.close();
    }

    /** Sessions parked for reuse right now. */
    public int parkedSessions() {
        return cache.size();
    }

    // ------------------------------------------------------------ the end (LOOKUP-22)

    private Mono<Void> endOfList(Attempt a) {
        List<Integer> left = a.undecided();
        if (left.isEmpty()) {
            return Mono.empty();
        }
        DsnStatus status = a.lastStatus();
        String reason = a.lastReason();
        Verdict verdict = a.lastVerdict();
        if (status == null) {
            status = DsnStatus.of(4, 3, 0);
            reason = "server unavailable or unable to receive mail";
            verdict = Verdict.local(VerdictSource.CONNECTION, reason);
        } else if (!status.isTransient()) {
            // Postfix's smtp_connect.c: configuration problems are pretended recoverable, in this order.
            if (a.lastItemWasFallback) {
                info.warn("smtp_fallback_relay configuration problem");
                status = CONFIGURATION_PROBLEM;
            } else if (!settings.session().lmtp() && !settings.relayhost().isEmpty()
                    && ConnectionReuse.firstItem(a.request.nexthop()).equals(settings.relayhost())) {
                // the relayhost does not resolve, refuses to talk to us, or loops back to us
                info.warn("relayhost configuration problem");
                status = CONFIGURATION_PROBLEM;
            } else if (status.is(4, 6) && !settings.session().lmtp() && !settings.bestMxTransport().isBlank()) {
                return passToBestMxTransport(a, left); // MISC-2
            }
        }
        decideLeftovers(a, left, status, reason, verdict);
        return Mono.empty();
    }

    /** 4.3.5: Postfix pretends a configuration problem is recoverable (smtp_connect.c). */
    private static final DsnStatus CONFIGURATION_PROBLEM = DsnStatus.of(4, 3, 5);
    /** XFER-1: the message is larger than the server takes. */
    private static final DsnStatus TOO_BIG = DsnStatus.of(5, 3, 4);
    /** REPLY-13: SMTPUTF8 required but not offered; soft unless the server is the last. */
    private static final DsnStatus SMTPUTF8_REQUIRED = DsnStatus.of(5, 6, 7);

    /** LOOKUP-22: the recipients no server decided take the (converted) last error. */
    private void decideLeftovers(Attempt a, List<Integer> left, DsnStatus status, String reason, Verdict verdict) {
        for (int i : left) {
            a.apply(i, Trouble.decide(status, false, true, settings.softBounce()), reason, verdict, a.lastRelay, 0);
            a.siteFailureDecided(i); // REPLY-12: smtp_connect.c ends the list with smtp_sess_fail
        }
    }

    /**
     * MISC-2: mail for a destination whose best MX is this MTA goes, whole, to best_mx_transport
     * ("transport" or "transport:nexthop"), and that transport's results are ours. A transport the
     * caller does not know defers the mail as a configuration error.
     */
    private Mono<Void> passToBestMxTransport(Attempt a, List<Integer> left) {
        String spec = settings.bestMxTransport().trim();
        int colon = spec.indexOf(':');
        String transport = colon < 0 ? spec : spec.substring(0, colon);
        String nexthop = colon < 0 || colon == spec.length() - 1 ? a.request.nexthop() : spec.substring(colon + 1);
        List<Recipient> open = left.stream().map(i -> a.request.recipients().get(i)).toList();
        DeliveryRequest passed = a.request.withRecipients(open);
        return bestMxHandoff.pass(transport, nexthop, passed)
                .doOnNext(report -> {
                    for (int k = 0; k < left.size() && k < report.results().size(); k++) {
                        a.take(left.get(k), report.results().get(k));
                    }
                })
                .switchIfEmpty(Mono.fromRunnable(() -> {
                    info.warn(a.request.queueId() + ": best_mx_transport " + spec + ": no such transport here");
                    String why = "mail transport unavailable: best_mx_transport " + spec;
                    decideLeftovers(a, left, CONFIGURATION_PROBLEM, why, Verdict.local(VerdictSource.LOCAL, why));
                }))
                .then();
    }

    /**
     * LOG-9, MISC-3: a transcript for the session when notices or debug_peer_list need one; null,
     * and nothing allocated, in the common case that neither does.
     */
    private SessionTranscript transcript(Attempt a, SmtpSession s) {
        boolean debug = a.debugRequest || settings.debugPeers().matchesServer(s.endpoint().hostname(), s.endpoint().address());
        boolean record = settings.notices().any() && !settings.notices().isNotice(a.request.sender());
        SessionTranscript t = record || debug ? new SessionTranscript(s.endpoint().displayWithPort(), record, debug) : null;
        s.transcript(t);
        a.transcript = t;
        return t;
    }

    private static void raise(Attempt a, PostmasterNotices.ErrorClass c) {
        if (a.transcript != null) {
            a.transcript.raise(c);
        }
    }

    private void endTranscript(Attempt a, SmtpSession s, SessionTranscript t) {
        if (t == null) {
            return;
        }
        a.transcript = null;
        s.transcript(null);
        if (t.raisedAnyOf(settings.notices().classes())) {
            a.transcripts.add(new PostmasterTranscript(a.request.queueId(), settings.notices().recipient(), t.server(),
                    t.lines()));
        }
    }

    /** LOG-5: the tls= field follows the server's TLS decision. */
    private void noteTls(Attempt a, SmtpSession s) {
        if (settings.logTlsStatus()) {
            a.tls = s.tlsStatus().logForm();
        }
    }

    /** XFER-2: a refused XFORWARD is only worth a warning. */
    private void warnAboutXforward(SmtpSession s, List<String> lines, io.postilion.transport.session.TransactionResult r) {
        for (int k = 0; k < r.xforward().size() && k < lines.size(); k++) {
            var reply = r.xforward().get(k);
            if (!reply.isPositive()) {
                boolean nameAddr = lines.get(k).matches("XFORWARD (NAME|ADDR|PORT)=.*");
                info.warn("host " + s.endpoint().displayWithPort() + " said: " + reply.text() + " (in reply to XFORWARD "
                        + (nameAddr ? "name/address" : "helo/protocol") + " command)");
            }
        }
    }

    /** Builds an agent from a configuration (SMTP or, with {@link #lmtp()}, LMTP), a clock and a meter registry. */
    public static final class Builder {
        private final Configuration configuration;
        private boolean lmtp;
        private Clock clock = Clock.systemUTC();
        private MeterRegistry registry;

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

        /** @throws io.postilion.engine.config.ConfigurationException for a value the agent cannot honour */
        public DeliveryAgent build() {
            return AgentConfiguration.agent(lmtp ? configuration.forLmtp() : configuration.forSmtp(), clock, registry);
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
        DeliveryLog.write(report, transport());
        metrics.recorded(report, Duration.between(start, end));
        return report;
    }
}
