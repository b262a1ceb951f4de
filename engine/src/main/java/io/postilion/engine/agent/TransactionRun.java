package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryFlag;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Recipient;
import io.postilion.tls.TlsLevel;
import io.postilion.tls.TlsPolicy;
import io.postilion.transport.cache.CacheKey;
import io.postilion.transport.cache.ConnectionCache;
import io.postilion.transport.cache.ParkedSession;
import io.postilion.transport.protocol.EnvelopeAddress;
import io.postilion.transport.protocol.EnvelopeOptions;
import io.postilion.transport.protocol.MailFromCommand;
import io.postilion.transport.protocol.MimeDowngrade;
import io.postilion.transport.protocol.RcptToCommand;
import io.postilion.transport.protocol.RecipientEnvelope;
import io.postilion.transport.protocol.SenderEnvelope;
import io.postilion.transport.protocol.XforwardCommands;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.Handshake;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.StageFailure;
import io.postilion.transport.session.Transaction;
import io.postilion.transport.session.TransactionResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * One mail transaction on a session that has already said hello (Postfix's smtp_proto.c, seen
 * from the agent): it writes the MAIL FROM and RCPT TO lines for the recipients still open, runs
 * the transaction, lets {@link TransactionOutcomes} decide the recipients from the replies, and
 * then ends the session the way the cache rules want: parked for reuse, QUIT, or closed.
 *
 * <p>It is kept apart from {@link ServerWalk} because it knows nothing of server lists: it is
 * handed one session and one set of recipients. It also owns the connection cache keys, so the
 * walk looks sessions up under the very keys they were parked under here.
 */
final class TransactionRun {

    private final AgentSettings settings;
    private final ConnectionCache cache;
    private final Clock clock;
    private final AgentLog info;

    TransactionRun(AgentSettings settings, ConnectionCache cache, Clock clock, AgentLog info) {
        this.settings = settings;
        this.cache = cache;
        this.clock = clock;
        this.info = info;
    }

    /**
     * Runs one transaction for the recipients still open.
     *
     * @param uses the transactions this session will have carried, this one included
     * @param bestMx whether the server is a best-preference MX, kept with a parked session
     */
    Mono<Void> transaction(Attempt a, SmtpSession s, Handshake h, ServerContext server, Instant connectedAt,
            int uses, boolean bestMx) {
        return transaction(a, s, h, server, connectedAt, uses, bestMx, java.util.function.UnaryOperator.identity());
    }

    /**
     * As above; {@code onBreak} says at which server a broken connection fails the recipients
     * still open (TLS-12: the plaintext retry keeps them).
     */
    Mono<Void> transaction(Attempt a, SmtpSession s, Handshake h, ServerContext server, Instant connectedAt,
            int uses, boolean bestMx, java.util.function.UnaryOperator<ServerContext> onBreak) {
        DeliveryRequest req = a.request;
        List<Integer> indexes = a.undecided();
        var caps = h.capabilities();
        boolean utf8 = a.deliveryNeedsSmtputf8();
        boolean downgrade = MimeDowngrade.needed(caps, req.bodyType(), settings.disableMimeOutputConversion(), utf8);
        // TLS-19, XFER-3: REQUIRETLS goes out when requested and not disabled here, to a server that
        // announced it over TLS; relaxed (opportunistic), RET=HDRS limits what a bounce exposes.
        io.postilion.tls.RequireTls requireTls = s.tlsPolicy().requireTls();
        EnvelopeOptions opts = EnvelopeOptions.DEFAULT.withQuoteRfc821(settings.quoteRfc821Envelope())
                .withMimeDowngrade(downgrade).withSmtpUtf8Flagged(req.smtputf8Requested())
                .withRequireTlsDisabled(!requireTls.requested())
                .withRequireTlsRelaxed(requireTls == io.postilion.tls.RequireTls.OPPORTUNISTIC
                        || requireTls == io.postilion.tls.RequireTls.OPPORTUNISTIC_STARTTLS)
                .withSendDummyAuth(settings.sasl().enabled() && settings.sasl().sendDummyMailAuth() && s.authenticated());
        SenderEnvelope sender = new SenderEnvelope(new EnvelopeAddress(a.prepared.sender()), req.content().size(),
                req.bodyType(), req.envId(), req.ret(), req.smtputf8Requested(), requireTls.requested());
        List<String> rcpts = new ArrayList<>(indexes.size());
        for (int i : indexes) {
            Recipient r = req.recipients().get(i);
            String wire = a.prepared.recipients().get(i); // DATA-26: the log keeps r.address()
            rcpts.add(RcptToCommand.of(RecipientEnvelope.of(wire).withOriginalAddress(r.originalAddress())
                    .withDsnOrcpt(r.orcpt()).withNotify(r.notifyOn()), caps, opts).line());
        }
        a.mailFromAt = clock.instant();
        // CACHE-4: decided when the transaction is built; past the limits QUIT follows the dot.
        // CACHE-3/TLS-21: a TLS session is cached only with connection reuse on; otherwise QUIT
        // follows its dot as for any session that is not kept.
        boolean keep = mayPark(a, s, connectedAt, uses);
        List<String> xforward = settings.sendXforward() && caps.xforwardOffered()
                ? XforwardCommands.of(req.origin(), req.queueId(), caps.xforward()) : List.of(); // XFER-2
        Transaction tx = new Transaction(MailFromCommand.of(sender, caps, opts).line(), rcpts, a.prepared.content(),
                settings.content().withDowngrade(downgrade), keep)
                .dotDelay(h.delayDotCrlf() ? settings.session().pix().delay() : Duration.ZERO) // SESS-18
                .xforward(xforward)
                .purpose(req.probe() ? settings.verifyTarget().purpose() : Transaction.Purpose.DELIVER); // MISC-1
        ServerContext at = server.forSuccess(req.flags().contains(DeliveryFlag.X) || settings.assumeFinal(), caps.dsn());
        return s.transaction(tx).flatMap(result -> {
            warnAboutXforward(s, xforward, result);
            if (result.brokeLongLine() && !a.loggedLineBreak) {
                a.loggedLineBreak = true; // DATA-3: once per request, as Postfix's logged_line_length_limit
                info.info(req.queueId() + ": breaking line > " + tx.options().lineLengthLimit()
                        + " bytes with <CR><LF>SPACE");
            }
            if (result.protocolError()) {
                a.raise(PostmasterNotices.ErrorClass.PROTOCOL); // LOG-9, REPLY-6/8
            }
            if (result.failure() != null && (result.failure().kind() == StageFailure.Kind.LOCAL
                    || result.failure().kind() == StageFailure.Kind.DATA)) {
                a.raise(PostmasterNotices.ErrorClass.DATA);
            }
            boolean good = TransactionOutcomes.apply(a, indexes, result, at, onBreak);
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

    /**
     * CACHE-3/4/9, TLS-21: whether this request may park a session that will then have carried
     * {@code uses} transactions; a TLS session only when its policy allows connection reuse
     * (smtp_tls_connection_reuse, or a policy's connection_reuse=yes).
     */
    boolean mayPark(Attempt a, SmtpSession s, Instant connectedAt, int uses) {
        // TLS-21: a TLS session only with connection reuse; TLS-19: a REQUIRETLS message's session never
        return a.caching.store() && (!s.tlsActive() || s.tlsPolicy().connectionReuse()) && !a.request.tls().requireTls()
                && settings.reuse().mayPark(connectedAt, uses, clock.instant());
    }

    /** CACHE-8: the first good session of a request is filed under the next-hop too; later ones by endpoint only. */
    void park(Attempt a, SmtpSession s, Handshake h, Instant connectedAt, int uses, boolean bestMx) {
        List<CacheKey> keys = new ArrayList<>(2);
        keys.add(endpointKey(a, s.endpoint(), s.tlsPolicy()));
        if (!a.nexthopClaimed) {
            keys.add(nexthopKey(a, s.tlsPolicy().level()));
            a.nexthopClaimed = true;
        }
        cache.park(keys, new ParkedSession(s, h, connectedAt, uses, bestMx));
    }

    /**
     * CACHE-5, CACHE-8: the next-hop key at {@code level}; a session is filed at the level it ran
     * at, so one that fell back to plaintext (TLS-11) is never found by a request at level may.
     */
    CacheKey nexthopKey(Attempt a, TlsLevel level) {
        return CacheKey.nexthop(settings.serviceName(), ConnectionReuse.firstItem(a.request.nexthop()), tlsKey(a, level.name()),
                a.utf8Required()).withSaslIdentity(saslIdentity(a, ""));
    }

    /**
     * CACHE-8: a "TLS-Required: no" message's level may have been lowered for it alone (TLS-20), so
     * its sessions are filed apart and never carry mail that did not relax TLS.
     */
    private static String tlsKey(Attempt a, String level) {
        return a.request.tls().tlsRequiredNo() && !a.request.tls().requireTls() ? level + "/tls-required-no" : level;
    }

    /**
     * CACHE-6, CACHE-8: the key of a session filed under the server it is connected to, under the
     * policy computed for that server: its level and, at a level that must match the certificate,
     * the next hop the certificate was matched for, so that a verified session never carries mail
     * for another next hop.
     */
    CacheKey endpointKey(Attempt a, Endpoint ep, TlsPolicy policy) {
        String tls = policy.level().mustMatch() ? policy.level().name() + " " + a.currentNexthop : policy.level().name();
        return CacheKey.endpoint(settings.serviceName(), ep.displayWithPort(), tlsKey(a, tls), a.utf8Required())
                .withSaslIdentity(saslIdentity(a, ep.hostname()));
    }

    /**
     * SASL-11: with a password table, a session is filed under the request's next hop and the
     * server's name (the keys its credentials were found by) and, with sender-dependent
     * authentication, the sender; so a session authenticated for one never carries another's mail.
     */
    private String saslIdentity(Attempt a, String hostname) {
        SaslSettings sasl = settings.sasl();
        if (!sasl.enabled()) {
            return "";
        }
        String sender = sasl.senderDependent() ? a.request.sender() : "";
        return a.request.nexthop() + "\n" + hostname + "\n" + sender;
    }

    /** XFER-2: a refused XFORWARD is only worth a warning. */
    private void warnAboutXforward(SmtpSession s, List<String> lines, TransactionResult r) {
        for (int k = 0; k < r.xforward().size() && k < lines.size(); k++) {
            var reply = r.xforward().get(k);
            if (!reply.isPositive()) {
                boolean nameAddr = lines.get(k).matches("XFORWARD (NAME|ADDR|PORT)=.*");
                info.warn("host " + s.endpoint().displayWithPort() + " said: " + reply.text() + " (in reply to XFORWARD "
                        + (nameAddr ? "name/address" : "helo/protocol") + " command)");
            }
        }
    }
}
