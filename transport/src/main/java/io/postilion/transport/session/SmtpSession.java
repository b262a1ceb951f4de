package io.postilion.transport.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import io.postilion.tls.TlsFeatureStatus;
import io.postilion.tls.RequireTls;
import io.postilion.tls.RequireTlsStatus;
import io.postilion.tls.TlsLevel;
import io.postilion.tls.PeerCheck;
import io.postilion.tls.TlsPolicy;
import io.postilion.transport.content.ContentException;
import io.postilion.transport.content.ContentReadException;
import io.postilion.transport.protocol.Capabilities;
import io.postilion.transport.protocol.DiscardedKeywords;
import io.postilion.transport.protocol.EhloReplyParser;
import io.postilion.transport.protocol.Greeting;
import io.postilion.transport.reply.ReplyDecoder;
import io.postilion.transport.reply.SmtpReply;
import io.postilion.transport.sasl.SaslException;
import io.postilion.transport.sasl.SaslMechanism;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client session with one server: greeting, hello, STARTTLS, mail transactions, RSET and QUIT
 * (sections 3-4 of the spec). The session runs the wire exactly as Postfix does and reports every
 * reply as a value; deciding what the replies mean for each recipient is the delivery agent's job.
 * The mail transaction itself — pipelining, the 4096-byte window, course corrections, the content,
 * LMTP's per-recipient replies — is {@link PipelinedTransaction}'s; it writes, reads and times
 * through this class's package-private wire helpers, so there is one way to write a command.
 *
 * <p>All I/O completes on the connection's event loop; nothing here blocks. A session is used by
 * one caller at a time: one handshake, then transactions one after another.
 */
public final class SmtpSession {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);
    static final AttributeKey<SmtpSession> SESSION = AttributeKey.valueOf("postilion.session");

    private final Channel channel;
    private final Endpoint endpoint;
    private final SessionSettings settings;
    /** What TLS this server gets: computed by the caller before connecting (TLS-3). */
    private final TlsPolicy tls;
    private final ReplyReader reader;
    private final WriteProgress writeProgress = new WriteProgress();
    private Connection connection;
    private Capabilities capabilities = Capabilities.none();
    private boolean quitSent;
    private boolean tlsActive;
    /**
     * TLS-10: the TLS handshake failed, so the peer is in an undefined state and no further byte
     * may be written (Postfix's DONT_USE_FORBIDDEN_SESSION): no QUIT, no close_notify.
     */
    private boolean tlsFailed;
    private boolean authenticated;
    private TlsFeatureStatus tlsStatus;
    /** TLS-23: the REQUIRETLS feature; null when the message did not ask for it (or the policy said disable). */
    private RequireTlsStatus requireTlsStatus;
    /** TLS-13: the verifying levels' verdict on the server certificate; null until checked. */
    private PeerCheck.Result peerCheck;
    private volatile Transcript transcript = Transcript.NONE;

    private SmtpSession(Channel channel, Endpoint endpoint, SessionSettings settings, TlsPolicy tls) {
        this.channel = channel;
        this.endpoint = endpoint;
        this.settings = settings;
        this.tls = tls;
        this.reader = new ReplyReader(endpoint.display(), settings.timeouts().perRequestDeadline());
        this.tlsStatus = TlsFeatureStatus.undecided(tls.level());
        this.requireTlsStatus = tls.requireTls() == RequireTls.NONE ? null : RequireTlsStatus.UNDECIDED;
    }

    /**
     * Puts the reply pipeline on a new channel at initialisation, before any byte can arrive, so
     * the greeting cannot slip past the decoder.
     */
    static void install(Channel channel, Endpoint endpoint, SessionSettings settings, TlsPolicy tls) {
        SmtpSession s = new SmtpSession(channel, endpoint, settings, tls);
        ChannelPipeline p = channel.pipeline();
        p.addFirst("postilion.writeProgress", s.writeProgress);
        // Reactor Netty's bridge must stay last: it would swallow the bytes our decoder needs.
        if (p.get(NettyPipeline.ReactiveBridge) != null) {
            p.addBefore(NettyPipeline.ReactiveBridge, "postilion.progress", s.reader.new ProgressMarker());
        } else {
            p.addLast("postilion.progress", s.reader.new ProgressMarker());
        }
        p.addAfter("postilion.progress", "postilion.replyDecoder", new ReplyDecoder(settings.smtputf8(), settings.replyFilter()));
        p.addAfter("postilion.replyDecoder", "postilion.replyReader", s.reader);
        if (settings.wrapperMode() && tls.context() != null) {
            p.addFirst("postilion.tls", s.newSslHandler()); // TLS-14: TLS before the greeting
            s.tlsActive = true;
        }
        channel.attr(SESSION).set(s);
    }

    /** The session installed on the connection's channel, now bound to the connection. */
    static SmtpSession of(Connection connection) {
        SmtpSession s = connection.channel().attr(SESSION).get();
        s.connection = connection;
        // Reactor Netty reads only on an inbound subscriber's demand; our decoder is the reader.
        connection.channel().config().setAutoRead(true);
        connection.channel().read();
        return s;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    public Capabilities capabilities() {
        return capabilities;
    }

    /** Whether the server accepted an AUTH exchange on this session (SASL-8: AUTH=<> may follow). */
    public boolean authenticated() {
        return authenticated;
    }

    /** Whether the session runs over TLS (STARTTLS done, or wrapper mode). */
    public boolean tlsActive() {
        return tlsActive;
    }

    /**
     * TLS-10: whether the TLS handshake failed (after STARTTLS was accepted, or in wrapper mode).
     * Such a session is never written to again; TLS-11 may retry the server in plaintext.
     */
    public boolean tlsHandshakeFailed() {
        return tlsFailed;
    }

    /** The TLS policy this session was opened under (TLS-21: whether it may be parked; CACHE-8's key). */
    public TlsPolicy tlsPolicy() {
        return tls;
    }

    /**
     * Whether a verifying level found the server certificate trusted and matching (Postfix's
     * TLS_CERT_IS_MATCHED, which SASL-4 asks for); false at every other level.
     */
    public boolean certificateMatched() {
        return peerCheck != null && peerCheck.matched();
    }

    /** How the session stands against its TLS security level (LOG-5); undecided until the handshake settles it. */
    public TlsFeatureStatus tlsStatus() {
        return tlsStatus;
    }

    /**
     * LOG-5, TLS-23: the {@code tls=} field's features: the level's status, then the REQUIRETLS
     * status when the message asked for it, joined with {@code /} (e.g. {@code verify/requiretls}).
     */
    public String tlsFeatures() {
        return requireTlsStatus == null ? tlsStatus.logForm() : tlsStatus.logForm() + "/" + requireTlsStatus.logForm();
    }

    /**
     * Where the conversation goes from now on (LOG-9, MISC-3); {@link Transcript#NONE} for
     * nowhere. A reused session is given the transcript of its new request.
     */
    public void transcript(Transcript t) {
        Transcript to = t == null ? Transcript.NONE : t;
        this.transcript = to;
        reader.transcript(to);
    }

    /** Whether the connection is healthy and has not been sent QUIT. */
    public boolean usable() {
        return !quitSent && !tlsFailed && reader.usable() && channel.isActive();
    }

    // ---------------------------------------------------------------- handshake (SESS-7..14)

    /**
     * Reads the greeting and says hello: LHLO for LMTP; EHLO or HELO for SMTP as SESS-9 decides,
     * falling back to HELO when EHLO is refused with anything but 421 (SESS-11). On failure QUIT
     * is sent if the connection is still healthy.
     */
    public Mono<Handshake> handshake() {
        return handshake(false);
    }

    /**
     * As {@link #handshake()}, for a delivery that needs SMTPUTF8 (DATA-20): a server that does
     * not announce it fails with 5.6.7 right after its hello, and again after the EHLO over TLS
     * (SESS-16); the agent treats that as soft unless the server is the final one (REPLY-13).
     */
    public Mono<Handshake> handshake(boolean requiresSmtputf8) {
        return handshake(HelloContext.of(requiresSmtputf8));
    }

    /**
     * As {@link #handshake()}, for the request {@code ctx} describes: its SMTPUTF8 need (SESS-16),
     * its age for the PIX workarounds (SESS-18), and where the lines the handshake logs go.
     */
    public Mono<Handshake> handshake(HelloContext ctx) {
        HandshakeState st = new HandshakeState();
        st.ctx = ctx;
        Duration limit = settings.timeouts().helo();
        // TLS-13, TLS-14: in wrapper mode the certificate is judged before the greeting is read
        Mono<StageFailure> wrapperCheck = settings.wrapperMode() ? wrapperVerification(ctx) : Mono.empty();
        return wrapperCheck.flatMap(f -> failHandshake(st, f)).switchIfEmpty(Mono.defer(() -> reader.next(Stage.GREETING, limit)
                .flatMap(greeting -> {
                    st.greeting = greeting;
                    st.analysis = Greeting.analyze(greeting);
                    if (!greeting.isPositive()) {
                        return failHandshake(st, StageFailure.refused(Stage.GREETING, greeting, endpoint.display()));
                    }
                    greeted(st);
                    return hello(st, firstHello(st));
                })))
                .onErrorResume(SessionException.class, e -> failHandshake(st, e.failure()));
    }

    /**
     * Wrapper mode: once the handshake that began with the connection is done, the verifying
     * levels' check; empty when it passes, or when the handshake failed (reading the greeting
     * then reports the lost connection).
     */
    private Mono<StageFailure> wrapperVerification(HelloContext ctx) {
        return Mono.create(sink -> channel.eventLoop().execute(() -> {
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl == null) {
                sink.success();
                return;
            }
            ssl.handshakeFuture().addListener(f -> {
                if (!f.isSuccess()) {
                    sink.success(handshakeFailed()); // TLS-10, as after STARTTLS
                    return;
                }
                logEstablished(ctx);
                sink.success(verifyPeer(ctx, tls.level()));
            });
        }));
    }

    /**
     * TLS-10: the handshake failed; the connection is unusable: closed without QUIT and without
     * close_notify (TLS-33). "Cannot start TLS: handshake failure", 4.7.5.
     */
    private StageFailure handshakeFailed() {
        tlsFailed = true;
        abandon();
        return new StageFailure(Stage.STARTTLS, StageFailure.Kind.LOST, null, "4.7.5", "Cannot start TLS: handshake failure");
    }

    /**
     * TLS-30: with smtp_tls_loglevel 1 or more, one line after each handshake: how far the server
     * was authenticated, the protocol, the cipher and what the TLS library tells of the key
     * exchange and the server's signature.
     */
    private void logEstablished(HelloContext ctx) {
        logTls(ctx.log(), false);
    }

    /**
     * TLS-30: a parked TLS session taken from the connection cache logs the handshake line again,
     * with "reused" (at smtp_tls_loglevel 1 and above; nothing for a plaintext session).
     */
    public void logTlsReuse(SessionLog log) {
        if (tlsActive) {
            logTls(log, true);
        }
    }

    private void logTls(SessionLog log, boolean reused) {
        if (settings.tlsLogLevel() < 1) {
            return;
        }
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        javax.net.ssl.SSLSession session = ssl.engine().getSession();
        java.security.cert.Certificate[] chain;
        try {
            chain = session.getPeerCertificates();
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            chain = new java.security.cert.Certificate[0];
        }
        PeerCheck.Result check = chain.length == 0 ? null : tls.peerCheck().check(chain);
        String trust = TlsConnectionLine.trust(tls.level(), check);
        log.info(reused ? TlsConnectionLine.reused(trust, endpoint.displayWithPort(), session, chain)
                : TlsConnectionLine.established(trust, endpoint.displayWithPort(), session, chain));
    }

    /**
     * TLS-13: at a level that needs a certificate match, checks the server's chain against the
     * configured CAs and its names against the level's match list (TLS-7, TLS-24). Returns null
     * when the level is satisfied; otherwise logs why, as Postfix does even at smtp_tls_loglevel
     * 0, marks the TLS status violated, and returns the 4.7.5 site failure.
     */
    private StageFailure verifyPeer(HelloContext ctx, TlsLevel level) {
        if (!level.mustMatch()) {
            return null;
        }
        java.security.cert.Certificate[] chain;
        try {
            chain = channel.pipeline().get(SslHandler.class).engine().getSession().getPeerCertificates();
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            chain = new java.security.cert.Certificate[0];
        }
        peerCheck = tls.peerCheck().check(chain);
        if (peerCheck.matched()) {
            return null;
        }
        ctx.log().info((peerCheck.trusted() ? "server certificate verification failed for " : "certificate verification failed for ")
                + endpoint.displayWithPort() + ": " + peerCheck.problem());
        tlsStatus = tlsStatus.violated();
        if (tls.requireTls() == RequireTls.ENFORCE) { // TLS-13 under REQUIRETLS enforce (TLS-19)
            requireTlsStatus = RequireTlsStatus.VIOLATED_NO_CERT_MATCH;
            return new StageFailure(Stage.STARTTLS, StageFailure.Kind.LOCAL, null, "5.7.10",
                    "Sender requested REQUIRETLS, but the certificate of host " + endpoint.display() + " was not verified");
        }
        return new StageFailure(Stage.STARTTLS, StageFailure.Kind.LOCAL, null, "4.7.5", "Server certificate not verified");
    }

    /**
     * What the greeting decides (Postfix's smtp_helo, in its order): the PIX workarounds when the
     * banner looks masked (SESS-18), then the warning about a server that greets us with our own
     * name (SESS-8, only with loop detection on). Neither is looked at again after STARTTLS.
     */
    private void greeted(HandshakeState st) {
        if (st.analysis.pix()) {
            settings.pix().forServer(endpoint.addressText(), st.ctx.messageAge()).ifPresent(set -> {
                st.pix = set;
                st.ctx.log().info(prefixed(st.ctx, "enabling PIX workarounds: " + PixWorkaround.names(set) + " for "
                        + endpoint.displayWithPort()));
            });
        }
        if (st.ctx.myHostname() != null && st.analysis.firstWordIs(st.ctx.myHostname())) {
            st.ctx.log().warn("host " + endpoint.displayWithPort() + " greeted me with my own hostname "
                    + st.ctx.myHostname());
        }
    }

    private static String prefixed(HelloContext ctx, String line) {
        return ctx.queueId().isEmpty() ? line : ctx.queueId() + ": " + line;
    }

    private Stage firstHello(HandshakeState st) {
        if (settings.lmtp()) {
            return Stage.LHLO;
        }
        if (settings.neverSendEhlo() || st.pix.contains(PixWorkaround.DISABLE_ESMTP)) {
            return Stage.HELO;
        }
        return st.analysis.esmtp() || settings.alwaysSendEhlo() ? Stage.EHLO : Stage.HELO;
    }

    private Mono<Handshake> hello(HandshakeState st, Stage stage) {
        st.helloStage = stage;
        return command(stage, stage.name() + " " + settings.heloName()).flatMap(reply -> {
            st.hello = reply;
            if (reply.isPositive()) {
                if (stage == Stage.HELO) {
                    capabilities = Capabilities.none();
                } else {
                    DiscardedKeywords discard;
                    try {
                        discard = discardFor(st);
                    } catch (RuntimeException e) {
                        // SESS-13: a table that cannot answer ends the session as a local data error
                        st.ctx.log().warn(prefixed(st.ctx, settings.discardMaps().name() + " map lookup error for "
                                + endpoint.addressText()));
                        return failHandshake(st, new StageFailure(stage, StageFailure.Kind.DATA, null, "4.3.0",
                                "local data error while talking to " + endpoint.display()));
                    }
                    capabilities = EhloReplyParser.parse(reply, tlsActive, discard);
                }
                if (st.ctx.requiresSmtputf8() && !capabilities.smtpUtf8()) {
                    return failHandshake(st, new StageFailure(stage, StageFailure.Kind.LOCAL, null, "5.6.7",
                            "message requires SMTPUTF8, but no server was found that supports SMTPUTF8. The last attempted server was "
                                    + endpoint.display()));
                }
                if (tlsActive && tlsStatus.verdict() == TlsFeatureStatus.Verdict.UNDECIDED) {
                    tlsStatus = tlsStatus.compliant(tlsStatus.wanted()); // wrapper mode
                }
                if (tlsActive && tls.requireTls() == RequireTls.ENFORCE && !capabilities.requireTls()) {
                    // TLS-19, SESS-19: the REQUIRETLS check once TLS is on
                    requireTlsStatus = RequireTlsStatus.VIOLATED_NO_SUPPORT;
                    return failHandshake(st, new StageFailure(stage, StageFailure.Kind.LOCAL, null, "5.7.30",
                            "Sender requested REQUIRETLS, but host " + endpoint.display()
                                    + " does not support REQUIRETLS"));
                }
                return tlsActive ? ready(st) : startTls(st);
            }
            if (stage == Stage.EHLO && reply.code() != 421) {
                return hello(st, Stage.HELO);
            }
            return failHandshake(st, StageFailure.refused(stage, reply, endpoint.display())); // SESS-11
        });
    }

    /**
     * SESS-13: the keywords to discard from this EHLO or LHLO reply: the address map's entry for
     * this server, else smtp_discard_ehlo_keywords; looked up at every hello, and logged unless
     * the list says silent-discard.
     *
     * @throws RuntimeException when the address map cannot answer
     */
    private DiscardedKeywords discardFor(HandshakeState st) {
        DiscardedKeywords d = settings.discardMaps().find(endpoint.addressText())
                .map(DiscardedKeywords::parse).orElse(settings.discard());
        if (!d.keywords().isEmpty() && !d.silent()) {
            st.ctx.log().info("discarding EHLO keywords: " + d.names());
        }
        return d;
    }

    private Mono<Handshake> ready(HandshakeState st) {
        if (requireTlsStatus == RequireTlsStatus.UNDECIDED) {
            // TLS-23: what a session that goes on gave the request (the enforcing failures returned earlier)
            requireTlsStatus = !tlsActive ? RequireTlsStatus.NO_TLS
                    : !certificateMatched() ? RequireTlsStatus.NO_CERT_MATCH
                    : !capabilities.requireTls() ? RequireTlsStatus.NO_SUPPORT : RequireTlsStatus.MET;
        }
        return Mono.just(new Handshake(st.greeting, st.analysis, st.helloStage, st.hello, capabilities, null, st.pix));
    }

    /** TLS-9: STARTTLS when the level asks for it and the server offers it. */
    private Mono<Handshake> startTls(HandshakeState st) {
        TlsLevel level = effectiveLevel();
        if (level == TlsLevel.NONE && capabilities.startTls() && settings.noteStartTlsOffer()) {
            st.ctx.log().info("Host offered STARTTLS: [" + endpoint.hostname() + "]"); // TLS-9
        }
        if (level == TlsLevel.NONE) {
            tlsStatus = TlsFeatureStatus.undecided(level).compliant(TlsLevel.NONE);
            return ready(st);
        }
        if (!capabilities.startTls()) {
            if (tls.requireTls().requiresTls()) { // TLS-9 step 2 under REQUIRETLS (TLS-19)
                tlsStatus = tlsStatus.violated();
                requireTlsStatus = RequireTlsStatus.VIOLATED_NO_STARTTLS;
                return failHandshake(st, new StageFailure(Stage.STARTTLS, StageFailure.Kind.LOCAL, null, "5.7.30",
                        "Sender requested REQUIRETLS, but STARTTLS was not offered by host " + endpoint.display()));
            }
            if (level.requiresTls()) {
                tlsStatus = tlsStatus.violated();
                return failHandshake(st, new StageFailure(Stage.STARTTLS, StageFailure.Kind.LOCAL, null, "4.7.4",
                        "TLS is required, but was not offered by host " + endpoint.display()));
            }
            tlsStatus = tlsStatus.compliant(TlsLevel.NONE);
            return ready(st);
        }
        return command(Stage.STARTTLS, "STARTTLS").flatMap(reply -> {
            if (!reply.isPositive()) {
                if (tls.requireTls().requiresTls()) { // TLS-9 step 1 under REQUIRETLS (TLS-19)
                    tlsStatus = tlsStatus.violated();
                    requireTlsStatus = RequireTlsStatus.VIOLATED_NO_ENCRYPTION;
                    return failHandshake(st, new StageFailure(Stage.STARTTLS, StageFailure.Kind.LOCAL, reply, "5.7.10",
                            "Sender requested REQUIRETLS, but host " + endpoint.display() + " refused to start TLS: "
                                    + reply.text()));
                }
                if (level.requiresTls()) {
                    tlsStatus = tlsStatus.violated();
                    return failHandshake(st, new StageFailure(Stage.STARTTLS, StageFailure.Kind.REPLY, reply, reply.status(),
                            "TLS is required, but host " + endpoint.display() + " refused to start TLS: " + reply.text()));
                }
                tlsStatus = tlsStatus.compliant(TlsLevel.NONE);
                return ready(st);
            }
            return tlsHandshake().then(Mono.defer(() -> {
                logEstablished(st.ctx);
                StageFailure unverified = verifyPeer(st.ctx, level);
                if (unverified != null) {
                    return failHandshake(st, unverified); // the TLS channel works: QUIT goes out over it
                }
                tlsStatus = tlsStatus.compliant(level);
                capabilities = Capabilities.none(); // TLS-9: nothing learned in plaintext survives
                return hello(st, st.helloStage == Stage.LHLO ? Stage.LHLO : Stage.EHLO);
            }));
        });
    }

    /** SESS-6: TLS level may becomes none on a UNIX-domain socket. */
    private TlsLevel effectiveLevel() {
        TlsLevel level = tls.level();
        if (level == TlsLevel.MAY && endpoint.isUnixSocket()) {
            log.warn("TLS level may is reduced to none for the UNIX-domain socket {}", endpoint.display());
            return TlsLevel.NONE;
        }
        return level;
    }

    /**
     * Drops whatever plaintext followed the STARTTLS reply (response injection), puts TLS on the
     * wire and waits for the handshake under smtp_starttls_timeout. A failure leaves the
     * connection unusable (TLS-10).
     */
    private Mono<Void> tlsHandshake() {
        return Mono.<Void>create(sink -> channel.eventLoop().execute(() -> {
            reader.discardPlaintext();
            ChannelPipeline p = channel.pipeline();
            p.replace("postilion.replyDecoder", "postilion.replyDecoder", new ReplyDecoder(settings.smtputf8(), settings.replyFilter()));
            SslHandler ssl = newSslHandler();
            p.addFirst("postilion.tls", ssl);
            ssl.handshakeFuture().addListener(f -> {
                int dropped = reader.endDiscard();
                if (dropped > 0) {
                    log.warn("{}: discarded {} plaintext item(s) the server sent after its STARTTLS reply",
                            endpoint.display(), dropped);
                }
                if (f.isSuccess()) {
                    tlsActive = true;
                    sink.success();
                } else {
                    sink.error(new SessionException(handshakeFailed()));
                }
            });
        }));
    }

    /**
     * TLS-33: ends a connection after a failure: with TLS up, the TLS layer is taken off first so
     * that no close_notify goes out (Postfix stops a failed TLS session without SSL_shutdown).
     */
    private void abandon() {
        if (channel.eventLoop().inEventLoop()) {
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl != null && (tlsFailed || !reader.usable())) {
                channel.pipeline().remove(ssl);
            }
            connection.dispose();
        } else {
            channel.eventLoop().execute(this::abandon);
        }
    }

    private SslHandler newSslHandler() {
        // TLS-17: SNI only when smtp_tls_servername names one; the peer host given to the engine is
        // what it sends, so without a name none is given.
        SslHandler ssl = tls.serverName() != null && endpoint.address() instanceof java.net.InetSocketAddress inet
                ? tls.context().newHandler(channel.alloc(), tls.serverName(), inet.getPort())
                : tls.context().newHandler(channel.alloc());
        long limit = settings.timeouts().starttls().toMillis();
        ssl.setHandshakeTimeoutMillis(limit == 0 ? 0 : limit);
        // TLS-33: close_notify goes out on a normal end (Netty's default); with
        // tls_fast_shutdown_enable = no the server's own close_notify is awaited as well, within
        // smtp_starttls_timeout as Postfix's second SSL_shutdown() is.
        ssl.setCloseNotifyReadTimeoutMillis(settings.tlsFastShutdown() ? 0 : limit);
        return ssl;
    }

    private Mono<Handshake> failHandshake(HandshakeState st, StageFailure failure) {
        Handshake h = new Handshake(st.greeting, st.analysis, st.helloStage, st.hello, capabilities, failure, st.pix);
        return quit().thenReturn(h);
    }

    /** What the handshake has seen so far; used by one handshake chain at a time. */
    private static final class HandshakeState {
        SmtpReply greeting;
        Greeting analysis;
        Stage helloStage = Stage.GREETING;
        SmtpReply hello;
        HelloContext ctx;
        Set<PixWorkaround> pix = Set.of();
    }

    // ---------------------------------------------------------------- AUTH (SASL-5..7)

    /** RFC 5321 4.5.3.1.4: a command line, CRLF included, is at most 512 octets (SASL-5). */
    private static final int COMMAND_LINE_LIMIT = 512;
    /** SASL-6: more challenges than this is a loop, not an exchange. */
    private static final int MAX_CHALLENGES = 100;

    /**
     * Runs one SASL exchange with {@code mechanism} after a successful handshake. AUTH carries the
     * initial response when the whole line fits in 512 octets; otherwise AUTH goes alone and the
     * response follows the server's empty 334 (SASL-5). Every further 334 challenge is answered on
     * one line, at most 100 times (SASL-6). Gives the server's final reply, 2xx when authenticated
     * (SASL-7 turns any other into an outcome), or the failure that cut the exchange short: a
     * mechanism failure (4.7.0), a loop (4.3.0), a timeout or a lost connection. Replies are
     * read under the hello's time limit, as Postfix runs AUTH inside its hello stage. Neither the
     * responses nor anything derived from the secret reach the transcript.
     */
    public Mono<AuthResult> authenticate(SaslMechanism mechanism) {
        Stage stage = settings.lmtp() ? Stage.LHLO : Stage.EHLO;
        return exchange(mechanism, stage).map(reply -> {
                    authenticated = reply.isPositive();
                    return new AuthResult(reply, null);
                })
                .onErrorResume(SessionException.class, e -> Mono.just(new AuthResult(null, e.failure())));
    }

    private Mono<SmtpReply> exchange(SaslMechanism mechanism, Stage stage) {
        return Mono.defer(() -> {
            String name = mechanism.name();
            byte[] initial;
            try {
                initial = mechanism.initialResponse().orElse(null);
            } catch (SaslException e) {
                return Mono.error(authFailure(stage, e.getMessage()));
            }
            // Postfix never sends an empty initial response as "=": no bytes means no initial response.
            String first = initial == null || initial.length == 0 ? null : BASE64.encodeToString(initial);
            if (first != null && name.length() + first.length() + 8 <= COMMAND_LINE_LIMIT) {
                writeSecret("AUTH " + name + " " + first, "AUTH " + name + " " + HIDDEN);
                first = null;
            } else {
                writeLine("AUTH " + name, false);
            }
            return challenges(mechanism, stage, first, 0);
        });
    }

    private static final java.util.Base64.Encoder BASE64 = java.util.Base64.getEncoder();
    private static final String HIDDEN = "<hidden>";

    private Mono<SmtpReply> challenges(SaslMechanism mechanism, Stage stage, String deferred, int steps) {
        return reply(stage).flatMap(reply -> {
            if (!reply.isIntermediate()) {
                if (reply.isPositive() && !mechanism.complete()) {
                    // Cyrus's words for SASL_BADSERV: the server never proved it knows the secret.
                    return Mono.error(authFailure(stage, "server failed mutual authentication step"));
                }
                return Mono.just(reply);
            }
            if (steps + 1 > MAX_CHALLENGES) {
                return Mono.error(new SessionException(new StageFailure(stage, StageFailure.Kind.LOCAL, null, "4.3.0",
                        "SASL authentication failed; authentication protocol loop with server " + endpoint.display())));
            }
            List<String> lines = reply.lines();
            String challenge = lines.get(lines.size() - 1).strip();
            String answer;
            if (deferred != null) {
                if (!challenge.isEmpty()) {
                    // Both sides wanted to go first. (Postfix quotes its own deferred response here;
                    // that is the secret, so the server's challenge is quoted instead.)
                    return Mono.error(new SessionException(new StageFailure(stage, StageFailure.Kind.LOCAL, null, "4.7.0",
                            "SASL authentication failed; non-empty initial " + mechanism.name() + " challenge from server "
                                    + endpoint.display() + ": " + challenge)));
                }
                answer = deferred;
            } else {
                try {
                    byte[] decoded = java.util.Base64.getDecoder().decode(challenge);
                    answer = BASE64.encodeToString(mechanism.evaluate(decoded));
                } catch (IllegalArgumentException e) {
                    return Mono.error(authFailure(stage, "bad protocol / cancel")); // not base64
                } catch (SaslException e) {
                    return Mono.error(authFailure(stage, e.getMessage()));
                }
            }
            writeSecret(answer, HIDDEN);
            return challenges(mechanism, stage, null, steps + 1);
        });
    }

    /** SASL-4/6: "SASL authentication failed; cannot authenticate to server HOST[ADDR]: REASON", 4.7.0. */
    private SessionException authFailure(Stage stage, String reason) {
        return new SessionException(new StageFailure(stage, StageFailure.Kind.LOCAL, null, "4.7.0",
                "SASL authentication failed; cannot authenticate to server " + endpoint.display() + ": " + reason));
    }

    /** Writes one line whose content is secret: the transcript gets {@code shown} instead. */
    private void writeSecret(String line, String shown) {
        transcript.sent(shown);
        ByteBuf out = channel.alloc().buffer(line.length() + 2);
        out.writeCharSequence(line, StandardCharsets.UTF_8);
        out.writeBytes(CRLF);
        writeAndFlush(out);
    }

    // ---------------------------------------------------------------- transaction (XFER-20..30)

    /**
     * Runs one mail transaction, pipelined as the server allows (see {@link PipelinedTransaction});
     * see {@link TransactionResult} for what comes back.
     */
    public Mono<TransactionResult> transaction(Transaction tx) {
        return PipelinedTransaction.run(this, tx);
    }

    // ---------------------------------------------------------------- RSET probe and QUIT

    /** CACHE-7: a lone RSET on a reused session; true when the server answered 2xx. */
    public Mono<Boolean> rsetProbe() {
        return command(Stage.RSET, "RSET").map(SmtpReply::isPositive)
                .onErrorResume(SessionException.class, e -> Mono.just(false));
    }

    /**
     * Ends the session: QUIT if the connection is healthy (XFER-14), waiting for the reply only
     * when smtp_skip_quit_response is off, then closes. Never fails.
     */
    public Mono<Void> quit() {
        return Mono.defer(() -> {
            if (!usable()) {
                abandon();
                return Mono.empty();
            }
            return sendQuit();
        });
    }

    /**
     * Runs {@code task} on this session's event loop after {@code delay}, unless cancelled first:
     * a timer that costs no other thread's wake-up (the connection cache's idle limit).
     */
    public reactor.core.Disposable after(Duration delay, Runnable task) {
        ScheduledFuture<?> f = channel.eventLoop().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        return () -> f.cancel(false);
    }

    /** Closes the connection without QUIT. */
    public void close() {
        connection.dispose();
    }

    /** Writes QUIT and ends the session as {@link #afterQuit} does. */
    Mono<Void> sendQuit() {
        writeLine("QUIT", false);
        markQuitSent();
        return afterQuit();
    }

    /** After QUIT: its reply unless smtp_skip_quit_response, then the connection closes. Never fails. */
    Mono<Void> afterQuit() {
        if (settings.skipQuitResponse()) {
            return Mono.fromRunnable(connection::dispose);
        }
        return reply(Stage.QUIT).then()
                .onErrorResume(SessionException.class, e -> Mono.empty()) // TIME-7: nothing changes now
                .doFinally(sig -> connection.dispose());
    }

    /** Whether QUIT has been written on this connection. */
    boolean quitSent() {
        return quitSent;
    }

    /** Records that QUIT went out with bytes written elsewhere (after the content, XFER-24). */
    void markQuitSent() {
        quitSent = true;
    }

    // ---------------------------------------------------------------- wire helpers, shared with PipelinedTransaction

    /** The settings the session was opened with. */
    SessionSettings settings() {
        return settings;
    }

    /** The connection's buffer allocator. */
    ByteBufAllocator alloc() {
        return channel.alloc();
    }

    /** Where the conversation goes (the getter of {@link #transcript(Transcript)}). */
    Transcript transcript() {
        return transcript;
    }

    /** Sends one command and waits for its reply (no pipelining: hello, STARTTLS, RSET probe). */
    private Mono<SmtpReply> command(Stage stage, String line) {
        return Mono.defer(() -> {
            writeLine(line, false);
            return reply(stage);
        });
    }

    /** The next reply, awaited under {@code stage}'s time limit. */
    Mono<SmtpReply> reply(Stage stage) {
        return reader.next(stage, settings.timeouts().forStage(stage));
    }

    /**
     * The replies to a pipelined group, one per stage in order, each awaited under its stage's
     * time limit and handed to {@code each} with its index (see {@link ReplyReader#replies}).
     */
    Mono<Void> replies(List<Stage> stages, java.util.function.ObjIntConsumer<SmtpReply> each) {
        return reader.replies(stages, settings.timeouts()::forStage, each);
    }

    /**
     * Writes one command line and flushes it; with {@code thenQuit}, QUIT follows in the same
     * flush and the session counts as ended.
     */
    void writeLine(String line, boolean thenQuit) {
        writeAndFlush(lines(thenQuit ? List.of(line, "QUIT") : List.of(line), 0));
        if (thenQuit) {
            markQuitSent();
        }
    }

    /** Writes bytes made by {@link #lines} (and whatever the caller appended) and flushes them. */
    void writeAndFlush(ByteBuf out) {
        channel.writeAndFlush(out);
    }

    /**
     * The one encoding of command lines: each goes to the transcript and onto a new buffer with
     * its CRLF. {@code room} is extra capacity for bytes the caller appends (a BDAT payload).
     */
    ByteBuf lines(List<String> lines, int room) {
        int size = room;
        for (String l : lines) {
            size += l.length() * 3 + 2;
        }
        ByteBuf out = channel.alloc().buffer(size);
        for (String l : lines) {
            transcript.sent(l);
            out.writeCharSequence(l, StandardCharsets.UTF_8);
            out.writeBytes(CRLF);
        }
        return out;
    }

    /**
     * Writes content already whole in one buffer (taking ownership of it) with one write and one
     * flush, under the same write watchdog as {@link #sendContent}.
     */
    Mono<Void> sendWhole(ByteBuf content) {
        return watched(Mono.create(sink -> channel.writeAndFlush(content).addListener(f -> {
            if (f.isSuccess()) {
                sink.success();
            } else {
                sink.error(f.cause());
            }
        })));
    }

    /** Streams content bytes onto the connection under the write watchdog. */
    Mono<Void> sendContent(Publisher<ByteBuf> wire) {
        return watched(connection.outbound().send(wire).then());
    }

    /**
     * Runs a content write under the content-phase clock: idle time without the deadline (TIME-2),
     * the rate-credited budget with it (TIME-4). A timeout closes the connection.
     */
    private Mono<Void> watched(Mono<Void> write) {
        Timeouts t = settings.timeouts();
        long limit = t.dataXfer().toNanos();
        if (limit <= 0) {
            return write;
        }
        return Mono.defer(() -> {
            TransferBudget budget = new TransferBudget(limit, t.perRequestDeadline(), t.minDataRate(), System.nanoTime());
            Watchdog dog = new Watchdog(budget);
            return write
                    .doOnSubscribe(s -> channel.eventLoop().execute(dog::start))
                    .onErrorMap(e -> dog.fired ? new SessionException(StageFailure.timeout(Stage.BODY, endpoint.display()))
                            : e instanceof SessionException || e instanceof ContentException
                                    || e instanceof ContentReadException ? e
                            : new SessionException(StageFailure.lost(Stage.BODY, endpoint.display())))
                    .then(Mono.defer(() -> dog.fired
                            ? Mono.<Void>error(new SessionException(StageFailure.timeout(Stage.BODY, endpoint.display())))
                            : Mono.<Void>empty()))
                    .doFinally(sig -> channel.eventLoop().execute(dog::stop));
        });
    }

    /** Watches write progress for {@link #watched}; lives on the event loop. */
    private final class Watchdog {
        final TransferBudget budget;
        ScheduledFuture<?> timer;
        volatile boolean fired;
        boolean stopped;

        Watchdog(TransferBudget budget) {
            this.budget = budget;
        }

        void start() {
            if (stopped) {
                return;
            }
            writeProgress.listen(n -> budget.progress(n, System.nanoTime()));
            schedule();
        }

        void schedule() {
            long left = budget.remaining(System.nanoTime());
            timer = channel.eventLoop().schedule(this::check, Math.max(left, 1_000_000L), TimeUnit.NANOSECONDS);
        }

        void check() {
            if (stopped) {
                return;
            }
            if (budget.remaining(System.nanoTime()) <= 0) {
                fired = true;
                stop();
                connection.dispose();
                return;
            }
            schedule();
        }

        void stop() {
            stopped = true;
            writeProgress.listen(null);
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }
}
