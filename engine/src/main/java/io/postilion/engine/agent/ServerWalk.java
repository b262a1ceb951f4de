package io.postilion.engine.agent;

import io.postilion.dns.NextHopResolver;
import io.postilion.dns.Target;
import io.postilion.dns.TargetList;
import io.postilion.dns.destination.Destination;
import io.postilion.dns.destination.DestinationList;
import io.postilion.dns.destination.InetDestination;
import io.postilion.dns.destination.UnixDestination;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.PostmasterTranscript;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.Verdict;
import io.postilion.engine.delivery.VerdictSource;
import io.postilion.engine.tls.TlsDecision;
import io.postilion.engine.tls.TlsPolicyQuery;
import io.postilion.engine.tls.TlsPolicyResolver;
import io.postilion.dns.ServerRrset;
import io.postilion.tls.RequireTlsStatus;
import io.postilion.tls.TlsFeatureStatus;
import io.postilion.tls.TlsPolicy;
import io.postilion.transport.cache.ConnectionCache;
import io.postilion.transport.cache.ParkedSession;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.Handshake;
import io.postilion.transport.session.HelloContext;
import io.postilion.transport.session.SmtpClient;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.Stage;
import io.postilion.transport.session.StageFailure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * Where the server list is walked: the port of Postfix's smtp_connect.c. It tries the destinations
 * in order (the next-hop, then smtp_fallback_relay: LOOKUP-20/21), and each destination's servers
 * in order (SESS-1..3), over a parked session when the cache has one and a new connection
 * otherwise. Each session gets a handshake and at most one transaction ({@link TransactionRun});
 * the recipients a server keeps go on to the next one. A destination's list is left when
 * smtp_mx_session_limit sessions have been used; the walk ends when every recipient is decided,
 * after a final destination, or when a message is too big (XFER-1). Whoever is left then takes
 * the last error, turned into a recoverable configuration problem or passed to best_mx_transport
 * where Postfix does so (LOOKUP-22, MISC-2).
 *
 * <p>All the per-request state lives in the {@link Attempt}; this class holds only collaborators,
 * so one instance serves every delivery of its agent.
 */
final class ServerWalk {

    /** 4.3.5: Postfix pretends a configuration problem is recoverable (smtp_connect.c). */
    private static final DsnStatus CONFIGURATION_PROBLEM = DsnStatus.of(4, 3, 5);
    /** XFER-1: the message is larger than the server takes. */
    private static final DsnStatus TOO_BIG = DsnStatus.of(5, 3, 4);
    /** REPLY-13: SMTPUTF8 required but not offered; soft unless the server is the last. */
    private static final DsnStatus SMTPUTF8_REQUIRED = DsnStatus.of(5, 6, 7);
    /** TLS-19: REQUIRETLS could not be satisfied (STARTTLS refused, certificate not matched). */
    private static final DsnStatus REQUIRETLS_NOT_SATISFIED = DsnStatus.of(5, 7, 10);
    /** TLS-19: the server lacks what REQUIRETLS needs (STARTTLS or REQUIRETLS not announced). */
    private static final DsnStatus REQUIRETLS_NOT_SUPPORTED = DsnStatus.of(5, 7, 30);

    private final AgentSettings settings;
    private final SmtpClient client;
    private final NextHopResolver resolver;
    private final ConnectionCache cache;
    private final Clock clock;
    private final DeliveryMetrics metrics;
    /** LOG-8: the informational lines and warnings, to the mail log as well. */
    private final AgentLog info;
    private final TransactionRun run;
    private final SaslLogin sasl;
    /** TLS-3: each server's policy, computed before it is connected to. */
    private final TlsPolicyResolver tlsPolicies;
    /** TLS-11, TLS-12, SASL-10: whether a failed opportunistic TLS session is retried in plaintext. */
    private final PlaintextFallback fallback;

    ServerWalk(AgentSettings settings, SmtpClient client, NextHopResolver resolver, ConnectionCache cache, Clock clock,
            DeliveryMetrics metrics, AgentLog info, TransactionRun run, TlsPolicyResolver tlsPolicies) {
        this.settings = settings;
        this.client = client;
        this.resolver = resolver;
        this.cache = cache;
        this.clock = clock;
        this.metrics = metrics;
        this.info = info;
        this.run = run;
        this.tlsPolicies = tlsPolicies;
        this.sasl = new SaslLogin(settings.sasl(), settings.rewriting(), info, settings.session().lmtp());
        this.fallback = new PlaintextFallback(settings.minimalBackoff(), sasl, settings.sasl().enabled(),
                RequireTlsDemand.NOT_REQUESTED);
    }

    // ------------------------------------------------------------ destinations (LOOKUP-20/21)

    /** Walks the destinations in order until every recipient is decided or the walk must stop. */
    Mono<Void> destinations(Attempt a, DestinationList list) {
        return destinations(a, list, 0);
    }

    private Mono<Void> destinations(Attempt a, DestinationList list, int index) {
        if (a.done() || a.stopped || index >= list.destinations().size()) {
            return Mono.empty();
        }
        Destination d = list.destinations().get(index);
        a.lastItemWasFallback = d.fallbackRelay();
        if (d instanceof UnixDestination u) {
            // TLS-7: for a socket both hostname and nexthop are $myhostname (Postfix's smtp_connect_local)
            Server socket = new Server(Endpoint.unix(settings.myHostname(), u.path()), false, false, u.path(),
                    settings.myHostname(), null, ServerRrset.NONE);
            a.currentNexthop = u.path();
            return servers(a, List.of(socket), true, 0, 0); // SESS-6: a socket is always final
        }
        // LOOKUP-2: loop detection only for SMTP to port 25
        boolean loopCheck = !settings.session().lmtp() && ((InetDestination) d).port() == 25;
        return resolver.resolve(list, index).flatMap(targets -> {
            targets.warnings().forEach(w -> info.warn(a.request.queueId() + ": " + w));
            if (!targets.ok()) {
                var f = targets.failure().orElseThrow();
                a.error(DsnStatus.parse(f.status()), f.reason(), Verdict.local(VerdictSource.DNS, f.reason()));
                a.lastRelay = "none";
                return targets.finalNexthop() ? Mono.empty() : destinations(a, list, index + 1);
            }
            InetDestination inet = (InetDestination) d;
            a.currentNexthop = inet.nexthop();
            return servers(a, serversOf(targets, loopCheck, inet.nexthop(), inet.host()), targets.finalNexthop(), 0, 0)
                    .then(Mono.defer(() -> targets.finalNexthop() ? Mono.empty() : destinations(a, list, index + 1)));
        });
    }

    private List<Server> serversOf(TargetList targets, boolean loopCheck, String dest, String tlsNexthop) {
        int best = targets.targets().stream().mapToInt(Target::preference).min().orElse(0);
        List<Server> out = new ArrayList<>(targets.targets().size());
        for (Target t : targets.targets()) {
            Endpoint ep = Endpoint.inet(t.hostname(), t.socketAddress());
            out.add(new Server(ep, t.preference() == best, loopCheck, dest, tlsNexthop, t, targets.rrset()));
        }
        return out;
    }

    /**
     * A server to try, with what SESS-15 needs (is it a best-preference MX, is loop detection on)
     * and the destination it was found for, as written (SASL-2's next-hop key) and as the
     * next-hop domain a secure level's certificate must name (TLS-7), and how DNS found it (DANE,
     * TLS-8: the target, null for a socket, and the MX/SRV RRset).
     */
    private record Server(Endpoint endpoint, boolean bestMx, boolean loopCheck, String dest, String tlsNexthop,
            Target target, ServerRrset rrset) {

        /** TLS-3's question for this server, with what the message asked of TLS (TLS-19, TLS-20). */
        TlsPolicyQuery tlsQuery(io.postilion.engine.delivery.TlsRequest asked) {
            int port = endpoint.address() instanceof java.net.InetSocketAddress inet ? inet.getPort() : 0;
            return new TlsPolicyQuery(dest, tlsNexthop, endpoint.hostname(), port, endpoint.isUnixSocket(), target, rrset,
                    asked.requireTls(), asked.tlsRequiredNo());
        }
    }

    // ------------------------------------------------------------ servers (SESS-1..3)

    private Mono<Void> servers(Attempt a, List<Server> endpoints, boolean finalDestination, int index, int sessions) {
        if (a.done() || a.stopped || index >= endpoints.size()) {
            return Mono.empty();
        }
        Server target = endpoints.get(index);
        if (settings.logTlsStatus()) {
            a.tls = TlsFeatureStatus.undecided(tlsPolicies.settings().level()).logForm() // LOG-5
                    + (a.request.tls().requireTls() ? "/" + RequireTlsStatus.UNDECIDED.logForm() : "");
        }
        // TLS-3 before the cache: a session parked under the next-hop key ran at some level, and is
        // taken only by a request whose policy for this server has that same level (CACHE-8), so a
        // session parked in plaintext never carries mail the policy now wants encrypted (an STS
        // policy published meanwhile, TLS-32); a skipped server is skipped even when one is parked.
        return tlsPolicies.resolve(target.tlsQuery(a.request.tls())).flatMap(d -> withPolicy(a, endpoints, finalDestination, index,
                sessions, d));
    }

    /** What TLS-3 decided for the server at {@code index}: skip it, or a parked session or a new connection under the policy. */
    private Mono<Void> withPolicy(Attempt a, List<Server> endpoints, boolean finalDestination, int index, int sessions,
            TlsDecision d) {
        if (d instanceof TlsDecision.Ignore ignore) {
            info.warn(ignore.warning()); // TLS-14: no error is recorded for the server
            return servers(a, endpoints, finalDestination, index + 1, sessions);
        }
        if (d instanceof TlsDecision.Skip skip) {
            return skipped(a, endpoints, finalDestination, index, sessions, skip);
        }
        TlsDecision.Use use = (TlsDecision.Use) d;
        use.warnings().forEach(w -> info.warn(a.request.queueId() + ": " + w)); // TLS-4, TLS-8, TLS-28
        TlsPolicy policy = use.policy();
        // Optional, because a delivery over a reused session completes empty as well.
        return byNexthop(a, policy).switchIfEmpty(Mono.defer(() -> byEndpoint(a, endpoints.get(index), policy)))
                .map(Optional::of).defaultIfEmpty(Optional.empty())
                .flatMap(p -> p.isPresent() ? reused(a, p.get(), endpoints, finalDestination, index, sessions)
                        : connectAndDeliver(a, endpoints, finalDestination, index, sessions, policy));
    }

    private Mono<Void> reused(Attempt a, ParkedSession p, List<Server> endpoints, boolean finalDestination, int index,
            int sessions) {
        return reusedSession(a, p, endpoints.get(index), context(endpoints, finalDestination, index), finalDestination, sessions)
                .flatMap(next -> {
                    if (a.retryPlain && !p.session().endpoint().address().equals(endpoints.get(index).endpoint().address())) {
                        // TLS-12 after a session parked under the next-hop key for another server than the one at
                        // this index: the plaintext retry belongs to that server, which is not on this list; the
                        // kept recipients go to this index's server instead, under its own policy.
                        a.retryPlain = false;
                        return servers(a, endpoints, finalDestination, index, sessions);
                    }
                    return afterSession(a, endpoints, finalDestination, index, sessions, next, p.session().tlsPolicy());
                });
    }

    /**
     * After a session at {@code index} under {@code tls}: TLS-11/12's plaintext retry when the
     * session asked for it (the same address at once, TLS off for this one retry; neither the
     * address nor the session count advances), else the next server, unless {@code next} says stop.
     */
    private Mono<Void> afterSession(Attempt a, List<Server> endpoints, boolean finalDestination, int index, int sessions,
            int next, TlsPolicy tls) {
        if (a.retryPlain) {
            a.retryPlain = false;
            return connectAndDeliver(a, endpoints, finalDestination, index, sessions, tls.plaintext(), tls.level());
        }
        return next < 0 ? Mono.<Void>empty() : servers(a, endpoints, finalDestination, index + 1, next);
    }

    /** SESS-3: the server at {@code index}; it is the final one when it ends a final destination's list. */
    private ServerContext context(List<Server> endpoints, boolean finalDestination, int index) {
        Endpoint ep = endpoints.get(index).endpoint();
        boolean lastAddress = index == endpoints.size() - 1;
        return new ServerContext(ep.hostname(), ep.display(), ep.displayWithPort(), finalDestination && lastAddress,
                settings.softBounce(), settings.session().lmtp());
    }

    /** SESS-2: whether session number {@code count} reaches smtp_mx_session_limit, the destination's last. */
    private boolean sessionLimitReached(int count) {
        return settings.mxSessionLimit() > 0 && count >= settings.mxSessionLimit();
    }

    /** CACHE-5: a parked session for this request's next hop, RSET-probed. */
    private Mono<ParkedSession> byNexthop(Attempt a, TlsPolicy policy) {
        // TLS-19: a REQUIRETLS message never goes over a cached session
        return !a.caching.load() || a.nexthopClaimed || a.request.tls().requireTls() ? Mono.empty()
                : cache.take(run.nexthopKey(a, policy.level()));
    }

    /** CACHE-6: a parked session for this server under the policy just computed for it (CACHE-8), RSET-probed. */
    private Mono<ParkedSession> byEndpoint(Attempt a, Server target, TlsPolicy policy) {
        return !a.caching.load() || a.request.tls().requireTls() ? Mono.empty()
                : cache.take(run.endpointKey(a, target.endpoint(), policy));
    }

    /** A reused session skips greeting, hello and the SIZE pre-check (CACHE-7, CACHE-10). */
    private Mono<Integer> reusedSession(Attempt a, ParkedSession p, Server target, ServerContext server,
            boolean finalDestination, int sessions) {
        int count = sessions + 1;
        boolean lastSession = sessionLimitReached(count);
        ServerContext at = server.asFinal(server.finalServer() || finalDestination && lastSession).withConnUse(p.uses() + 1);
        a.lastRelay = server.relay();
        SessionTranscript transcript = transcript(a, p.session());
        a.plaintextRetryOf = null;
        noteTls(a, p.session());
        p.session().logTlsReuse(info); // TLS-30
        return run.transaction(a, p.session(), p.handshake(), at, p.connectedAt(), p.uses() + 1, p.bestMx(),
                        onTlsBreak(a, p.session(), a.currentNexthop))
                .doOnTerminate(() -> endTranscript(a, p.session(), transcript))
                .thenReturn(lastSession ? -1 : count);
    }

    /** TLS-3: an invalid policy skips the server; its error stays for the recipients no other server decides. */
    private Mono<Void> skipped(Attempt a, List<Server> endpoints, boolean finalDestination, int index, int sessions,
            TlsDecision.Skip skip) {
        Endpoint ep = endpoints.get(index).endpoint();
        if (skip.warning() != null) {
            info.warn(a.request.queueId() + ": " + skip.warning());
        }
        a.lastRelay = "none";
        a.error(DsnStatus.parse(skip.status()), skip.reason(), Verdict.local(VerdictSource.TLS, skip.reason()));
        info.info(a.request.queueId() + ": " + ep.displayWithPort() + ": " + skip.reason());
        return servers(a, endpoints, finalDestination, index + 1, sessions);
    }

    private Mono<Void> connectAndDeliver(Attempt a, List<Server> endpoints, boolean finalDestination, int index, int sessions,
            TlsPolicy tls) {
        return connectAndDeliver(a, endpoints, finalDestination, index, sessions, tls, null);
    }

    /** @param retryOf the level a plaintext retry stands in for (TLS-11/12, LOG-5); null for an ordinary connection */
    private Mono<Void> connectAndDeliver(Attempt a, List<Server> endpoints, boolean finalDestination, int index, int sessions,
            TlsPolicy tls, io.postilion.tls.TlsLevel retryOf) {
        a.plaintextRetryOf = retryOf;
        Server target = endpoints.get(index);
        Endpoint ep = target.endpoint();
        Instant connectAt = clock.instant();
        if (settings.logTlsStatus()) {
            a.tls = (a.plaintextRetryOf != null ? TlsFeatureStatus.undecided(a.plaintextRetryOf)
                    : TlsFeatureStatus.undecided(tls.level())).logForm() // LOG-5
                    + (tls.requireTls() != io.postilion.tls.RequireTls.NONE ? "/" + RequireTlsStatus.UNDECIDED.logForm() : "");
        }
        return client.connect(ep, tls).flatMap(c -> {
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
            ServerContext server = context(endpoints, finalDestination, index);
            SessionTranscript transcript = transcript(a, c.session());
            return session(a, c.session(), target, server, finalDestination, sessions, connectAt)
                    .doOnNext(n -> endTranscript(a, c.session(), transcript))
                    .flatMap(next -> afterSession(a, endpoints, finalDestination, index, sessions, next, tls));
        });
    }

    /** One session: handshake, at most one transaction. Returns the session count, or -1 to stop. */
    private Mono<Integer> session(Attempt a, SmtpSession s, Server target, ServerContext server, boolean finalDestination,
            int sessions, Instant connectedAt) {
        // SESS-18 measures the message's age at the greeting; SESS-8 warns only with loop detection on
        HelloContext hello = new HelloContext(a.request.queueId(), Duration.between(a.request.arrival(), clock.instant()),
                a.deliveryNeedsSmtputf8(), target.loopCheck() ? settings.myHostname() : null, info);
        return s.handshake(hello).flatMap(h -> {
            noteTls(a, s);
            if (h.ok() && a.transcript != null) {
                a.transcript.features(h.capabilities()); // MISC-3, debug_peer_level 2 and up
            }
            if (!h.ok()) {
                if (h.failure().reply() != null && Trouble.fromReply(h.failure().reply(), "", server.host()).protocolError()) {
                    a.raise(PostmasterNotices.ErrorClass.PROTOCOL); // LOG-9
                }
                if (h.failure().kind() == StageFailure.Kind.DATA) {
                    a.raise(PostmasterNotices.ErrorClass.DATA); // SESS-13: a table that could not answer
                }
                if (s.tlsHandshakeFailed()) {
                    tlsHandshakeFailure(a, s, h.failure(), target, server);
                } else {
                    handshakeFailure(a, h, broken(h.failure(), onTlsBreak(a, s, target.dest()), server));
                }
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
            return sasl.login(s, h, a.request.sender(), s.endpoint().hostname(), target.dest())
                    .map(Optional::of).defaultIfEmpty(Optional.empty())
                    .flatMap(failed -> failed.isPresent()
                            ? authFailure(a, s, failed.get(), broken(failed.get(), onTlsBreak(a, s, target.dest()), server),
                                    sessions)
                            : afterHello(a, s, h, target, server, finalDestination, sessions, connectedAt));
        });
    }

    /**
     * SASL-7: a failed authentication is a site-level failure (the destination is throttled) and
     * the session is never reused; QUIT goes out if the connection can still carry it.
     */
    private Mono<Integer> authFailure(Attempt a, SmtpSession s, StageFailure f, ServerContext server, int sessions) {
        if (!server.finalServer()) {
            info.info(a.request.queueId() + ": " + f.text()); // LOG-8: the skipped server
        }
        TransactionOutcomes.siteFailure(a, a.undecided(), f, server);
        return (f.connectionUsable() ? s.quit() : Mono.fromRunnable(s::close)).thenReturn(sessions);
    }

    /** The rest of a session once hello (and AUTH) are done: the size pre-check, then one transaction. */
    private Mono<Integer> afterHello(Attempt a, SmtpSession s, Handshake h, Server target, ServerContext server,
            boolean finalDestination, int sessions, Instant connectedAt) {
        {
            int count = sessions + 1;
            boolean lastSession = sessionLimitReached(count);
            ServerContext at = server.asFinal(server.finalServer() || finalDestination && lastSession);
            if (sizeExceeded(a, s, h, at)) {
                // XFER-14: no transaction was started; the session is cached if it may be, else dropped without QUIT
                if (run.mayPark(a, s, connectedAt, 1) && s.usable()) {
                    run.park(a, s, h, connectedAt, 0, target.bestMx());
                } else {
                    s.close();
                }
                return Mono.just(a.stopped || lastSession ? -1 : count);
            }
            return run.transaction(a, s, h, at, connectedAt, 1, target.bestMx(), onTlsBreak(a, s, target.dest()))
                    .thenReturn(lastSession ? -1 : count);
        }
    }

    /**
     * TLS-10: the TLS handshake failed; the connection is dead (no QUIT). 4.7.5 "Cannot start TLS:
     * handshake failure", which throttles the destination unless the level is may. When TLS-11
     * allows, the server is not final for this failure, so its recipients are kept (even at the
     * last address) for the plaintext retry the walk makes next.
     */
    private void tlsHandshakeFailure(Attempt a, SmtpSession s, StageFailure f, Server target, ServerContext server) {
        boolean retry = fallback.afterHandshakeFailure(a, s, target.dest());
        ServerContext at = retry ? server.asFinal(false) : server;
        if (!at.finalServer()) {
            info.info(a.request.queueId() + ": " + f.text()); // LOG-8: the skipped server
        }
        TransactionOutcomes.siteFailure(a, a.undecided(), DsnStatus.parse(f.status()), f.text(),
                Trouble.verdictOf(f, server.host()), false, at, s.tlsPolicy().level() != io.postilion.tls.TlsLevel.MAY);
        a.retryPlain = retry;
    }

    /**
     * TLS-12: what a broken connection (EOF, timeout) makes of the server for the recipients still
     * open: when the plaintext retry is allowed, a server that is not final (they are kept for it),
     * and the walk is told to make that retry.
     */
    private java.util.function.UnaryOperator<ServerContext> onTlsBreak(Attempt a, SmtpSession s, String nexthop) {
        return server -> {
            if (!fallback.afterSessionFailure(a, s, nexthop)) {
                return server;
            }
            a.retryPlain = true;
            return server.asFinal(false);
        };
    }

    /** {@code onBreak}'s view of the server when {@code f} is a broken connection; the server itself otherwise. */
    private static ServerContext broken(StageFailure f, java.util.function.UnaryOperator<ServerContext> onBreak,
            ServerContext server) {
        boolean broke = f.kind() == StageFailure.Kind.LOST || f.kind() == StageFailure.Kind.TIMEOUT;
        return broke ? onBreak.apply(server) : server;
    }

    private void handshakeFailure(Attempt a, Handshake h, ServerContext server) {
        StageFailure f = h.failure();
        DsnStatus status = DsnStatus.parse(f.status());
        if (f.stage() == Stage.GREETING && f.kind() == StageFailure.Kind.REPLY && f.reply() != null
                && f.reply().codeClass() == 5 && status.isPermanent() && settings.skip5xxGreeting()) {
            status = status.withClass(4); // SESS-7
        }
        // REPLY-13: SMTPUTF8 required, and REQUIRETLS's own failures (TLS-19), let other servers try first
        boolean softUnlessFinal = status.equals(SMTPUTF8_REQUIRED) || f.kind() == StageFailure.Kind.LOCAL
                && (status.equals(REQUIRETLS_NOT_SATISFIED) || status.equals(REQUIRETLS_NOT_SUPPORTED));
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

    // ------------------------------------------------------------ a session's transcript and TLS status

    /**
     * LOG-9, MISC-3: a transcript for the session when notices or debug_peer_list need one; null,
     * and nothing allocated, in the common case that neither does.
     */
    private SessionTranscript transcript(Attempt a, SmtpSession s) {
        boolean debug = a.debugRequest || settings.debugPeers().matchesServer(s.endpoint().hostname(), s.endpoint().address());
        boolean record = settings.notices().any() && !settings.notices().isNotice(a.request.sender());
        SessionTranscript t = record || debug ? new SessionTranscript(s.endpoint().displayWithPort(), record,
                debug ? settings.debugLevel() : 0, settings.serviceName()) : null;
        s.transcript(t);
        a.transcript = t;
        return t;
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

    /** LOG-5: the tls= field follows the server's TLS decision; a plaintext retry reads {@code may:none}. */
    private void noteTls(Attempt a, SmtpSession s) {
        if (settings.logTlsStatus()) {
            a.tls = a.plaintextRetryOf != null && s.tlsPolicy().level() == io.postilion.tls.TlsLevel.NONE
                    ? TlsFeatureStatus.undecided(a.plaintextRetryOf).compliant(io.postilion.tls.TlsLevel.NONE).logForm()
                    : s.tlsFeatures();
        }
    }

    // ------------------------------------------------------------ the end (LOOKUP-22)

    /**
     * When the servers have run out: the recipients still open take the last error, which the
     * caller's {@code handoff} may take over instead (MISC-2).
     */
    Mono<Void> endOfList(Attempt a, BestMxHandoff handoff) {
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
                return passToBestMxTransport(a, left, handoff); // MISC-2
            }
        }
        decideLeftovers(a, left, status, reason, verdict);
        return Mono.empty();
    }

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
    private Mono<Void> passToBestMxTransport(Attempt a, List<Integer> left, BestMxHandoff handoff) {
        String spec = settings.bestMxTransport().trim();
        int colon = spec.indexOf(':');
        String transport = colon < 0 ? spec : spec.substring(0, colon);
        String nexthop = colon < 0 || colon == spec.length() - 1 ? a.request.nexthop() : spec.substring(colon + 1);
        List<Recipient> open = left.stream().map(i -> a.request.recipients().get(i)).toList();
        DeliveryRequest passed = a.request.withRecipients(open);
        return handoff.pass(transport, nexthop, passed)
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
}
