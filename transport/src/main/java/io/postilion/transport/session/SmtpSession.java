package io.postilion.transport.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.postilion.tls.TlsFeatureStatus;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentException;
import io.postilion.transport.content.ContentMode;
import io.postilion.transport.content.ContentReadException;
import io.postilion.transport.content.WireContent;
import io.postilion.transport.protocol.Capabilities;
import io.postilion.transport.protocol.EhloReplyParser;
import io.postilion.transport.protocol.Greeting;
import io.postilion.transport.reply.ReplyDecoder;
import io.postilion.transport.reply.SmtpReply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client session with one server: greeting, hello, mail transactions, RSET and QUIT
 * (sections 3-4 of the spec). The session runs the wire exactly as Postfix does — pipelining,
 * the 4096-byte window, course corrections, LMTP's per-recipient replies — and reports every
 * reply as a value; deciding what the replies mean for each recipient is the delivery agent's job.
 *
 * <p>All I/O completes on the connection's event loop; nothing here blocks. A session is used by
 * one caller at a time: one handshake, then transactions one after another.
 */
public final class SmtpSession {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);
    /**
     * REPLY-1: Postfix's printable() keeps valid UTF-8 in replies when smtputf8_enable is on
     * (util_utf8_enable); Postilion always runs with it on.
     */
    private static final boolean KEEP_UTF8 = true;

    static final AttributeKey<SmtpSession> SESSION = AttributeKey.valueOf("postilion.session");

    private final Channel channel;
    private final Endpoint endpoint;
    private final SessionSettings settings;
    private final ReplyReader reader;
    private final WriteProgress writeProgress = new WriteProgress();
    private Connection connection;
    private Capabilities capabilities = Capabilities.none();
    private boolean quitSent;
    private boolean tlsActive;
    private TlsFeatureStatus tlsStatus;
    private volatile Transcript transcript = Transcript.NONE;

    private SmtpSession(Channel channel, Endpoint endpoint, SessionSettings settings) {
        this.channel = channel;
        this.endpoint = endpoint;
        this.settings = settings;
        this.reader = new ReplyReader(endpoint.display(), settings.timeouts().perRequestDeadline());
        this.tlsStatus = TlsFeatureStatus.undecided(settings.tlsLevel());
    }

    /**
     * Puts the reply pipeline on a new channel at initialisation, before any byte can arrive, so
     * the greeting cannot slip past the decoder.
     */
    static void install(Channel channel, Endpoint endpoint, SessionSettings settings) {
        SmtpSession s = new SmtpSession(channel, endpoint, settings);
        ChannelPipeline p = channel.pipeline();
        p.addFirst("postilion.writeProgress", s.writeProgress);
        // Reactor Netty's bridge must stay last: it would swallow the bytes our decoder needs.
        if (p.get(NettyPipeline.ReactiveBridge) != null) {
            p.addBefore(NettyPipeline.ReactiveBridge, "postilion.progress", s.reader.new ProgressMarker());
        } else {
            p.addLast("postilion.progress", s.reader.new ProgressMarker());
        }
        p.addAfter("postilion.progress", "postilion.replyDecoder", new ReplyDecoder(KEEP_UTF8, settings.replyFilter()));
        p.addAfter("postilion.replyDecoder", "postilion.replyReader", s.reader);
        if (settings.wrapperMode()) {
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

    /** Whether the session runs over TLS (STARTTLS done, or wrapper mode). */
    public boolean tlsActive() {
        return tlsActive;
    }

    /** How the session stands against its TLS security level (LOG-5); undecided until the handshake settles it. */
    public TlsFeatureStatus tlsStatus() {
        return tlsStatus;
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
        return !quitSent && reader.usable() && channel.isActive();
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
        HandshakeState st = new HandshakeState();
        st.requiresSmtputf8 = requiresSmtputf8;
        Duration limit = settings.timeouts().helo();
        return reader.next(Stage.GREETING, limit)
                .flatMap(greeting -> {
                    st.greeting = greeting;
                    st.analysis = Greeting.analyze(greeting);
                    if (!greeting.isPositive()) {
                        return failHandshake(st, StageFailure.refused(Stage.GREETING, greeting, endpoint.display()));
                    }
                    return hello(st, firstHello(st.analysis));
                })
                .onErrorResume(SessionException.class, e -> failHandshake(st, e.failure()));
    }

    private Stage firstHello(Greeting greeting) {
        if (settings.lmtp()) {
            return Stage.LHLO;
        }
        if (settings.neverSendEhlo() || greeting.pix()) {
            return Stage.HELO;
        }
        return greeting.esmtp() || settings.alwaysSendEhlo() ? Stage.EHLO : Stage.HELO;
    }

    private Mono<Handshake> hello(HandshakeState st, Stage stage) {
        st.helloStage = stage;
        return command(stage, stage.name() + " " + settings.heloName()).flatMap(reply -> {
            st.hello = reply;
            if (reply.isPositive()) {
                capabilities = stage == Stage.HELO ? Capabilities.none()
                        : EhloReplyParser.parse(reply, tlsActive, settings.discard());
                if (st.requiresSmtputf8 && !capabilities.smtpUtf8()) {
                    return failHandshake(st, new StageFailure(stage, StageFailure.Kind.LOCAL, null, "5.6.7",
                            "message requires SMTPUTF8, but no server was found that supports SMTPUTF8. The last attempted server was "
                                    + endpoint.display()));
                }
                if (tlsActive && tlsStatus.verdict() == TlsFeatureStatus.Verdict.UNDECIDED) {
                    tlsStatus = tlsStatus.compliant(tlsStatus.wanted()); // wrapper mode
                }
                return tlsActive ? ready(st) : startTls(st);
            }
            if (stage == Stage.EHLO && reply.code() != 421) {
                return hello(st, Stage.HELO);
            }
            return failHandshake(st, StageFailure.refused(stage, reply, endpoint.display())); // SESS-11
        });
    }

    private Mono<Handshake> ready(HandshakeState st) {
        return Mono.just(new Handshake(st.greeting, st.analysis, st.helloStage, st.hello, capabilities, null));
    }

    /** TLS-9: STARTTLS when the level asks for it and the server offers it. */
    private Mono<Handshake> startTls(HandshakeState st) {
        TlsLevel level = effectiveLevel();
        if (level == TlsLevel.NONE) {
            tlsStatus = TlsFeatureStatus.undecided(level).compliant(TlsLevel.NONE);
            return ready(st);
        }
        if (!capabilities.startTls()) {
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
                if (level.requiresTls()) {
                    tlsStatus = tlsStatus.violated();
                    return failHandshake(st, new StageFailure(Stage.STARTTLS, StageFailure.Kind.REPLY, reply, reply.status(),
                            "TLS is required, but host " + endpoint.display() + " refused to start TLS: " + reply.text()));
                }
                tlsStatus = tlsStatus.compliant(TlsLevel.NONE);
                return ready(st);
            }
            return tlsHandshake().then(Mono.defer(() -> {
                tlsStatus = tlsStatus.compliant(level);
                capabilities = Capabilities.none(); // TLS-9: nothing learned in plaintext survives
                return hello(st, st.helloStage == Stage.LHLO ? Stage.LHLO : Stage.EHLO);
            }));
        });
    }

    /** SESS-6: TLS level may becomes none on a UNIX-domain socket. */
    private TlsLevel effectiveLevel() {
        TlsLevel level = settings.tlsLevel();
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
            p.replace("postilion.replyDecoder", "postilion.replyDecoder", new ReplyDecoder(KEEP_UTF8, settings.replyFilter()));
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
                    connection.dispose();
                    sink.error(new SessionException(new StageFailure(Stage.STARTTLS, StageFailure.Kind.LOST, null, "4.7.5",
                            "Cannot start TLS: handshake failure")));
                }
            });
        }));
    }

    private SslHandler newSslHandler() {
        SslHandler ssl = endpoint.address() instanceof java.net.InetSocketAddress inet
                ? settings.sslContext().newHandler(channel.alloc(), endpoint.hostname(), inet.getPort())
                : settings.sslContext().newHandler(channel.alloc());
        long limit = settings.timeouts().starttls().toMillis();
        ssl.setHandshakeTimeoutMillis(limit == 0 ? 0 : limit);
        return ssl;
    }

    private Mono<Handshake> failHandshake(HandshakeState st, StageFailure failure) {
        Handshake h = new Handshake(st.greeting, st.analysis, st.helloStage, st.hello, capabilities, failure);
        return quit().thenReturn(h);
    }

    /** What the handshake has seen so far; used by one handshake chain at a time. */
    private static final class HandshakeState {
        SmtpReply greeting;
        Greeting analysis;
        Stage helloStage = Stage.GREETING;
        SmtpReply hello;
        boolean requiresSmtputf8;
    }

    // ---------------------------------------------------------------- transaction (XFER-20..30)

    /** Runs one mail transaction; see {@link TransactionResult} for what comes back. */
    public Mono<TransactionResult> transaction(Transaction tx) {
        return Mono.defer(() -> {
            TxRun run = new TxRun(tx);
            return run.run()
                    .onErrorMap(ContentReadException.class, e -> {
                        log.warn("{}: {}", endpoint.displayWithPort(), e.getMessage());
                        return new SessionException(StageFailure.localData(endpoint.display()));
                    })
                    .onErrorResume(SessionException.class, e -> {
                        run.failure = e.failure();
                        connection.dispose();
                        return Mono.empty();
                    })
                    .then(Mono.fromSupplier(run::result));
        });
    }

    /** One transaction's cursors and replies (XFER-20). Touched only by its own reactive chain. */
    private final class TxRun {
        final Transaction tx;
        final boolean pipelining = capabilities.pipelining();
        final boolean bdat;
        final boolean lmtp = settings.lmtp();
        final List<Cmd> cmds = new ArrayList<>();
        final List<SmtpReply> xforward = new ArrayList<>(2);
        SmtpReply mail;
        final SmtpReply[] rcpt;
        SmtpReply data;
        final List<SmtpReply> finals = new ArrayList<>();
        final List<Integer> accepted = new ArrayList<>();
        boolean mailRefused;
        boolean aborted;
        boolean probeDropped;
        boolean protocolError;
        StageFailure failure;
        ByteBuf singleChunk;

        TxRun(Transaction tx) {
            this.tx = tx;
            // MISC-1: a probe sends no content, so never BDAT; "data" probes say DATA to learn its reply.
            this.bdat = !tx.probe() && settings.useChunking() && capabilities.chunking();
            this.rcpt = new SmtpReply[tx.rcptTo().size()];
            for (String x : tx.xforward()) {
                cmds.add(new Cmd(Stage.XFORWARD, x, -1)); // XFER-2: before MAIL, pipelined with it
            }
            cmds.add(new Cmd(Stage.MAIL, tx.mailFrom(), -1));
            for (int i = 0; i < tx.rcptTo().size(); i++) {
                cmds.add(new Cmd(Stage.RCPT, tx.rcptTo().get(i), i));
            }
            if (!bdat && tx.purpose() != Transaction.Purpose.VERIFY_RCPT) {
                cmds.add(new Cmd(Stage.DATA, "DATA", -1));
            }
        }

        Mono<Void> run() {
            Mono<Void> prepare = Mono.empty();
            if (bdat && pipelining && tx.content().size() <= tx.options().bdatChunkSize()) {
                prepare = gather(WireContent.encoded(tx.content(), channel.alloc(), ContentMode.BDAT, tx.options())).doOnNext(buf -> {
                    singleChunk = buf;
                    cmds.add(new Cmd(Stage.BDAT, "BDAT " + buf.readableBytes() + " LAST", -1));
                }).then();
            }
            return prepare.then(Mono.defer(() -> sendBatches(0)))
                    .then(Mono.defer(this::afterCommands))
                    .doFinally(sig -> {
                        if (singleChunk != null && singleChunk.refCnt() > 0) {
                            singleChunk.release();
                        }
                    });
        }

        /** XFER-21/23: commands go out in batches within the window; the receiver catches up between them. */
        Mono<Void> sendBatches(int from) {
            if (from >= cmds.size() || aborted) {
                return Mono.empty();
            }
            Cmd next = cmds.get(from);
            if (mailRefused && next.stage == Stage.RCPT || next.stage == Stage.DATA && accepted.isEmpty()) {
                return abort(); // XFER-26 (a) and (b)
            }
            int to = from;
            int bytes = 0;
            while (to < cmds.size()) {
                Cmd c = cmds.get(to);
                int len = c.line.length() + 2;
                // A single BDAT chunk rides with the last RCPTs: it is content, not a command, for the window.
                if (to > from && (!pipelining || (c.stage != Stage.BDAT && bytes + len > SessionSettings.PIPELINING_WINDOW))) {
                    break;
                }
                bytes += len;
                to++;
            }
            List<Cmd> batch = cmds.subList(from, to);
            int end = to;
            ByteBuf out = channel.alloc().buffer(bytes + (singleChunk != null ? singleChunk.readableBytes() : 0));
            for (Cmd c : batch) {
                transcript.sent(c.line);
                out.writeCharSequence(c.line, StandardCharsets.UTF_8);
                out.writeBytes(CRLF);
                if (c.stage == Stage.BDAT) {
                    out.writeBytes(singleChunk, singleChunk.readerIndex(), singleChunk.readableBytes());
                }
            }
            channel.writeAndFlush(out);
            return Flux.fromIterable(new ArrayList<>(batch))
                    .concatMap(c -> c.stage == Stage.BDAT ? readFinals(Stage.BDAT) : reader.next(c.stage, limit(c.stage)).doOnNext(r -> record(c, r)).then())
                    .then(Mono.defer(() -> sendBatches(end)));
        }

        void record(Cmd c, SmtpReply r) {
            protocolError |= r.garbage();
            switch (c.stage) {
                case MAIL -> {
                    mail = r;
                    mailRefused = !r.isPositive();
                    failed(mailRefused, r);
                }
                case RCPT -> {
                    rcpt[c.rcptIndex] = r;
                    if (!mailRefused && r.isPositive()) {
                        accepted.add(c.rcptIndex);
                    }
                    failed(!mailRefused && !r.isPositive(), r); // after a refused MAIL its replies are not handled
                }
                case DATA -> {
                    data = r;
                    failed(!mailRefused && !accepted.isEmpty() && !r.isIntermediate(), r);
                }
                case XFORWARD -> xforward.add(r);
                default -> throw new IllegalStateException("no reply handling for " + c.stage);
            }
        }

        /**
         * REPLY-6/REPLY-8 (Postfix's smtp_check_code, vsmtp_fill_dsn): a reply handled as a
         * failure whose code shows a protocol error means the session is never reused; an abort
         * then says QUIT after its RSET.
         */
        void failed(boolean handledAsFailure, SmtpReply r) {
            if (handledAsFailure && r.protocolErrorAsFailure()) {
                protocolError = true;
            }
        }

        Mono<Void> afterCommands() {
            if (aborted) {
                return Mono.empty();
            }
            if (tx.probe()) {
                return endProbe();
            }
            if (bdat) {
                if (singleChunk != null) {
                    return accepted.isEmpty() || mailRefused || finals.isEmpty() || !finals.get(0).isPositive() && !lmtp
                            ? abort() : finish();
                }
                if (mailRefused || accepted.isEmpty()) {
                    return abort();
                }
                return sendChunks().then(Mono.defer(this::finish));
            }
            if (data == null) {
                return abort();
            }
            if (!data.isIntermediate()) {
                return abort();
            }
            if (accepted.isEmpty()) {
                // XFER-27: the server said 354 although every recipient was refused: send only the dot.
                return dotOnly().then(Mono.defer(() -> reader.next(Stage.DOT, limit(Stage.DOT))))
                        .doOnNext(r -> protocolError |= r.garbage()).then(Mono.defer(this::finish));
            }
            return sendBody().then(Mono.defer(() -> readFinals(Stage.DOT))).then(Mono.defer(this::finish));
        }

        /**
         * Writes the content and its "." line, with QUIT in the same flush when the session ends
         * here (XFER-23/24), under the content-phase budget (TIME-4); then handles XFER-28.
         */
        Mono<Void> sendBody() {
            boolean quitNow = pipelining && !tx.keepOpen();
            Flux<ByteBuf> wire = WireContent.data(tx.content(), channel.alloc(), tx.options());
            Mono<Void> sent;
            if (tx.dotDelay().isZero()) {
                if (quitNow) {
                    wire = wire.concatWith(Mono.fromCallable(() -> lines(List.of("QUIT"))));
                }
                sent = watched(connection.outbound().send(wire).then());
            } else {
                // SESS-18 delay_dotcrlf: everything but the "." line, a pause, then "." (and QUIT).
                sent = watched(connection.outbound().send(wire.skipLast(1)).then())
                        .then(Mono.delay(tx.dotDelay()))
                        .then(Mono.fromRunnable(() -> writeLines(quitNow ? List.of(".", "QUIT") : List.of("."))));
            }
            return sent
                    .doOnSuccess(v -> quitSent |= quitNow)
                    .onErrorResume(e -> e instanceof SessionException se && se.failure().kind() == StageFailure.Kind.LOST, e ->
                            // XFER-28: the server may have said why before it hung up; use that reply.
                            reader.next(Stage.DOT, limit(Stage.DOT))
                                    .doOnNext(finals::add)
                                    .onErrorMap(x -> e)
                                    .then(Mono.error(new BodyCutShort())))
                    .onErrorResume(BodyCutShort.class, e -> Mono.empty())
                    // DATA-13: a MIME error fails the message; the connection goes without a "." line.
                    .onErrorMap(ContentException.class, ce -> new SessionException(
                            new StageFailure(Stage.BODY, StageFailure.Kind.LOCAL, null, ce.status(), ce.text())));
        }

        /** XFER-27: only the "." line (and QUIT when the session ends here). */
        Mono<Void> dotOnly() {
            boolean quitNow = pipelining && !tx.keepOpen();
            writeLines(quitNow ? List.of(".", "QUIT") : List.of("."));
            quitSent |= quitNow;
            return Mono.empty();
        }

        /** One final reply for SMTP; one per accepted recipient for LMTP (XFER-11/12). */
        Mono<Void> readFinals(Stage stage) {
            int expected = lmtp && !accepted.isEmpty() && !mailRefused ? accepted.size() : 1;
            return Flux.range(0, expected - finals.size())
                    .concatMap(i -> reader.next(stage, limit(stage)))
                    .doOnNext(r -> {
                        protocolError |= r.garbage();
                        failed(!r.isPositive(), r);
                        finals.add(r);
                    })
                    .then();
        }

        /** BDAT chunks for content larger than one chunk, after the RCPT replies are in. */
        Mono<Void> sendChunks() {
            int[] chunks = {0};
            Flux<ByteBuf> wire = WireContent.bdatChunks(tx.content(), channel.alloc(), tx.options())
                    .map(chunk -> {
                        chunks[0]++;
                        transcript.sent(chunk.command());
                        return chunk.toWire(channel.alloc());
                    });
            return watched(connection.outbound().send(wire).then())
                    .then(Mono.defer(() -> Flux.range(0, chunks[0] - 1)
                            .concatMap(i -> reader.next(Stage.BDAT, limit(Stage.BDAT)))
                            .doOnNext(r -> {
                                protocolError |= r.garbage();
                                failed(!r.isPositive(), r);
                                if (!r.isPositive() && data == null) {
                                    data = r;
                                }
                            })
                            .then()))
                    .then(Mono.defer(() -> data == null ? readFinals(Stage.BDAT)
                            : reader.next(Stage.BDAT, limit(Stage.BDAT)).doOnNext(r -> {
                                protocolError |= r.garbage();
                                failed(!r.isPositive(), r);
                                finals.add(r);
                            }).then()));
        }

        /**
         * MISC-1: a "rcpt" probe ends with RSET where DATA would go, and the session may be kept; a
         * "data" probe that got 354 drops the connection at once: no content, no ".", no QUIT.
         */
        Mono<Void> endProbe() {
            if (tx.purpose() == Transaction.Purpose.VERIFY_DATA && data != null && data.isIntermediate()) {
                probeDropped = true;
                connection.dispose();
                return Mono.empty();
            }
            return rset();
        }

        /** XFER-26: abandon the transaction with RSET, and QUIT unless the session is kept. */
        Mono<Void> abort() {
            aborted = true;
            return rset();
        }

        Mono<Void> rset() {
            boolean quitNow = !tx.keepOpen() || protocolError; // CACHE-3: a protocol error ends the session
            writeLines(quitNow ? List.of("RSET", "QUIT") : List.of("RSET"));
            quitSent |= quitNow;
            Mono<Void> rset = reader.next(Stage.RSET, limit(Stage.RSET)).then();
            // TIME-7: a lost RSET changes no decided outcome, but REPLY-12 must know the session did not end normally
            return rset.then(quitNow ? afterQuit() : Mono.empty())
                    .onErrorResume(SessionException.class, e -> Mono.fromRunnable(() -> {
                        if (failure == null) {
                            failure = e.failure();
                        }
                        connection.dispose();
                    }));
        }

        /** The transaction is over: QUIT unless kept (XFER-14, XFER-30). */
        Mono<Void> finish() {
            if (tx.keepOpen() || quitSent) {
                return quitSent ? afterQuit() : Mono.empty();
            }
            writeLines(List.of("QUIT"));
            quitSent = true;
            return afterQuit();
        }

        TransactionResult result() {
            boolean reusable = failure == null && !protocolError && !quitSent && !probeDropped && reader.usable()
                    && channel.isActive();
            return new TransactionResult(mail, Arrays.asList(rcpt), data, finals, accepted, bdat, aborted, failure,
                    protocolError, reusable, xforward);
        }
    }

    private record Cmd(Stage stage, String line, int rcptIndex) {
    }

    /** Signals that XFER-28 found the server's reply after a broken content write. */
    private static final class BodyCutShort extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BodyCutShort() {
            super(null, null, false, false);
        }
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
                connection.dispose();
                return Mono.empty();
            }
            writeLines(List.of("QUIT"));
            quitSent = true;
            return afterQuit();
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

    private Mono<Void> afterQuit() {
        if (settings.skipQuitResponse()) {
            return Mono.fromRunnable(connection::dispose);
        }
        return reader.next(Stage.QUIT, limit(Stage.QUIT)).then()
                .onErrorResume(SessionException.class, e -> Mono.empty()) // TIME-7: nothing changes now
                .doFinally(sig -> connection.dispose());
    }

    // ---------------------------------------------------------------- wire helpers

    /** Sends one command and waits for its reply (no pipelining: hello, STARTTLS, RSET probe). */
    private Mono<SmtpReply> command(Stage stage, String line) {
        return Mono.defer(() -> {
            writeLines(List.of(line));
            return reader.next(stage, limit(stage));
        });
    }

    private void writeLines(List<String> lines) {
        channel.writeAndFlush(lines(lines));
    }

    private ByteBuf lines(List<String> lines) {
        int size = 0;
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

    private Duration limit(Stage stage) {
        return settings.timeouts().forStage(stage);
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

    /** Collects a publisher's buffers into one (bounded by the caller: at most one BDAT chunk). */
    private Mono<ByteBuf> gather(Publisher<ByteBuf> content) {
        return Flux.from(content)
                .collect(() -> channel.alloc().compositeBuffer(Integer.MAX_VALUE),
                        (CompositeByteBuf acc, ByteBuf b) -> acc.addComponent(true, b))
                .map(ByteBuf.class::cast)
                .doOnDiscard(ByteBuf.class, ReferenceCountUtil::safeRelease);
    }
}
