package io.postilion.transport.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.postilion.transport.content.ContentException;
import io.postilion.transport.content.ContentMode;
import io.postilion.transport.content.ContentReadException;
import io.postilion.transport.content.WireContent;
import io.postilion.transport.reply.SmtpReply;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The mail transaction engine of a {@link SmtpSession}: one run of MAIL, RCPT, DATA or BDAT, the
 * content, and the end-of-data replies (XFER-20..30; Postfix's smtp_loop in smtp_proto.c). The
 * session owns the connection and says hello; this class drives one transaction over it and turns
 * everything the server said into a {@link TransactionResult}.
 *
 * <p>Pipelining (RFC 2920). The commands are queued up front: XFORWARD lines, MAIL, one RCPT per
 * recipient, then DATA (or, for small content over a pipelining server with CHUNKING, a single
 * {@code BDAT n LAST} with its payload). With PIPELINING they leave in groups whose command bytes
 * fit the 4096-byte window ({@link SessionSettings#PIPELINING_WINDOW}), so the server's receive
 * buffer never holds more than that of unanswered commands; the replies to a group are read in
 * order before the next group is written. Without PIPELINING every group is a single command, so
 * the conversation runs in lock-step. Between groups the engine corrects course: after a refused
 * MAIL no further RCPT is sent, and DATA is not sent when no recipient was accepted; either way
 * the transaction is abandoned with RSET (and QUIT unless the session is to be kept).
 *
 * <p>Who waits for whom. The content never goes out before the RCPT replies and the 354 to DATA
 * are in, since only they say whether anyone will take it; the one exception is the single BDAT
 * chunk, which rides in the last group because the server answers it only after its RCPTs. Larger
 * BDAT content waits for the RCPT replies and is then streamed chunk by chunk, each chunk's reply
 * read only after all chunks are written. The end of data is answered once for SMTP and once per
 * accepted recipient for LMTP. When the session ends with this transaction over a pipelining
 * server, QUIT goes in the same flush as the "." line.
 *
 * <p>Content streaming. The bytes come from {@link WireContent} as a stream of buffers (encoded,
 * dot-stuffed, "." last) and are written as they come, so a large message is never held whole
 * in memory. Two cases are gathered first: a single pipelined BDAT chunk (at most one chunk
 * long), and DATA content of at most {@link #WHOLE_WRITE_LIMIT} bytes, which then leaves in one
 * write.
 * delay_dotcrlf holds the "." line back for a moment (SESS-18). If the server hangs up mid-content
 * the engine still reads the reply it may have sent first (XFER-28).
 *
 * <p>Deadlines. Each reply is awaited under its stage's timeout through {@link SmtpSession#reply};
 * each content write runs under the session's write watchdog ({@link SmtpSession#sendContent}),
 * which enforces smtp_data_xfer_timeout as idle time or, with smtp_per_request_deadline, as a
 * budget credited by the bytes written (TIME-2, TIME-4). A timeout, a lost connection or a local
 * content error ends the transaction with a {@link StageFailure} and closes the connection.
 *
 * <p>One instance serves one transaction and is touched only by its own reactive chain.
 */
final class PipelinedTransaction {

    /**
     * Content up to this size (before encoding) is gathered and written whole; larger content
     * streams, so that a big message is never held in memory at once.
     */
    static final long WHOLE_WRITE_LIMIT = 32 * 1024;

    /** The session's logger: the warning below keeps the category it has always had. */
    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);

    private final SmtpSession session;
    private final Transaction tx;
    private final boolean pipelining;
    private final boolean bdat;
    private final boolean lmtp;
    private final List<Cmd> cmds = new ArrayList<>();
    private final List<SmtpReply> xforward = new ArrayList<>(2);
    private SmtpReply mail;
    private final SmtpReply[] rcpt;
    private SmtpReply data;
    private final List<SmtpReply> finals = new ArrayList<>();
    private final List<Integer> accepted = new ArrayList<>();
    private boolean mailRefused;
    private boolean aborted;
    private boolean probeDropped;
    private boolean protocolError;
    private StageFailure failure;
    private ByteBuf singleChunk;
    /** DATA-3: a line of the content was longer than the limit and was broken; set on whichever thread encodes. */
    private volatile boolean brokeLongLine;

    private PipelinedTransaction(SmtpSession session, Transaction tx) {
        this.session = session;
        this.tx = tx;
        this.pipelining = session.capabilities().pipelining();
        this.lmtp = session.settings().lmtp();
        // MISC-1: a probe sends no content, so never BDAT; "data" probes say DATA to learn its reply.
        this.bdat = !tx.probe() && session.settings().useChunking() && session.capabilities().chunking();
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

    /**
     * Runs {@code tx} on {@code session}. A failure comes back inside the result, never as an
     * error signal; the connection is closed then.
     */
    static Mono<TransactionResult> run(SmtpSession session, Transaction tx) {
        return Mono.defer(() -> {
            PipelinedTransaction run = new PipelinedTransaction(session, tx);
            return run.run()
                    .onErrorMap(ContentReadException.class, e -> {
                        log.warn("{}: {}", session.endpoint().displayWithPort(), e.getMessage());
                        return new SessionException(StageFailure.localData(session.endpoint().display()));
                    })
                    .onErrorResume(SessionException.class, e -> {
                        run.failure = e.failure();
                        session.close();
                        return Mono.empty();
                    })
                    .then(Mono.fromSupplier(run::result));
        });
    }

    private Mono<Void> run() {
        Mono<Void> prepare = Mono.empty();
        if (bdat && pipelining && tx.content().size() <= tx.options().bdatChunkSize()) {
            prepare = gather(WireContent.encoded(tx.content(), session.alloc(), ContentMode.BDAT, tx.options(), this::lineBroken)).doOnNext(buf -> {
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
    private Mono<Void> sendBatches(int from) {
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
        List<Cmd> batch = new ArrayList<>(cmds.subList(from, to));
        int end = to;
        List<String> lines = new ArrayList<>(batch.size());
        for (Cmd c : batch) {
            lines.add(c.line);
        }
        boolean withChunk = batch.get(batch.size() - 1).stage == Stage.BDAT; // queued last, so it ends its batch
        ByteBuf out = session.lines(lines, withChunk ? singleChunk.readableBytes() : 0);
        if (withChunk) {
            out.writeBytes(singleChunk, singleChunk.readerIndex(), singleChunk.readableBytes());
        }
        session.writeAndFlush(out);
        // The chunk's replies are counted only once its RCPTs are answered (LMTP: one per accepted).
        List<Cmd> commands = withChunk ? batch.subList(0, batch.size() - 1) : batch;
        List<Stage> stages = new ArrayList<>(commands.size());
        for (Cmd c : commands) {
            stages.add(c.stage);
        }
        Mono<Void> read = session.replies(stages, (r, i) -> record(commands.get(i), r));
        if (withChunk) {
            read = read.then(Mono.defer(() -> readFinals(Stage.BDAT)));
        }
        return read.then(Mono.defer(() -> sendBatches(end)));
    }

    private void record(Cmd c, SmtpReply r) {
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
    private void failed(boolean handledAsFailure, SmtpReply r) {
        if (handledAsFailure && r.protocolErrorAsFailure()) {
            protocolError = true;
        }
    }

    private Mono<Void> afterCommands() {
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
            return dotOnly().then(Mono.defer(() -> session.reply(Stage.DOT)))
                    .doOnNext(r -> protocolError |= r.garbage()).then(Mono.defer(this::finish));
        }
        return sendBody().then(Mono.defer(() -> readFinals(Stage.DOT))).then(Mono.defer(this::finish));
    }

    /**
     * Writes the content and its "." line, with QUIT in the same flush when the session ends
     * here (XFER-23/24), under the content-phase budget (TIME-4); then handles XFER-28.
     */
    private Mono<Void> sendBody() {
        boolean quitNow = pipelining && !tx.keepOpen();
        Flux<ByteBuf> wire = WireContent.data(tx.content(), session.alloc(), tx.options(), this::lineBroken);
        Mono<Void> sent;
        if (tx.dotDelay().isZero()) {
            if (quitNow) {
                wire = wire.concatWith(Mono.fromCallable(() -> session.lines(List.of("QUIT"), 0)));
            }
            // Small content goes as one buffer in one write: streaming it through the connection's
            // outbound costs more than the copy it saves, and small is what most mail is.
            sent = tx.content().size() <= WHOLE_WRITE_LIMIT ? gather(wire).flatMap(session::sendWhole)
                    : session.sendContent(wire);
        } else {
            // SESS-18 delay_dotcrlf: everything but the "." line, a pause, then "." (and QUIT).
            sent = session.sendContent(wire.skipLast(1))
                    .then(Mono.delay(tx.dotDelay(), session.settings().timer()))
                    .then(Mono.fromRunnable(() -> session.writeLine(".", quitNow)));
        }
        return sent
                .doOnSuccess(v -> {
                    if (quitNow) {
                        session.markQuitSent();
                    }
                })
                .onErrorResume(e -> e instanceof SessionException se && se.failure().kind() == StageFailure.Kind.LOST, e ->
                        // XFER-28: the server may have said why before it hung up; use that reply.
                        session.reply(Stage.DOT)
                                .doOnNext(finals::add)
                                .onErrorMap(x -> e)
                                .then(Mono.error(new BodyCutShort())))
                .onErrorResume(BodyCutShort.class, e -> Mono.empty())
                // DATA-13: a MIME error fails the message; the connection goes without a "." line.
                .onErrorMap(ContentException.class, ce -> new SessionException(
                        new StageFailure(Stage.BODY, StageFailure.Kind.LOCAL, null, ce.status(), ce.text())));
    }

    /** XFER-27: only the "." line (and QUIT when the session ends here). */
    private Mono<Void> dotOnly() {
        session.writeLine(".", pipelining && !tx.keepOpen());
        return Mono.empty();
    }

    /** One final reply for SMTP; one per accepted recipient for LMTP (XFER-11/12). */
    private Mono<Void> readFinals(Stage stage) {
        int expected = lmtp && !accepted.isEmpty() && !mailRefused ? accepted.size() : 1;
        return session.replies(java.util.Collections.nCopies(Math.max(0, expected - finals.size()), stage), (r, i) -> {
            protocolError |= r.garbage();
            failed(!r.isPositive(), r);
            finals.add(r);
        });
    }

    /** BDAT chunks for content larger than one chunk, after the RCPT replies are in. */
    private Mono<Void> sendChunks() {
        int[] chunks = {0};
        Flux<ByteBuf> wire = WireContent.bdatChunks(tx.content(), session.alloc(), tx.options(), this::lineBroken)
                .map(chunk -> {
                    chunks[0]++;
                    session.transcript().sent(chunk.command());
                    return chunk.toWire(session.alloc());
                });
        return session.sendContent(wire)
                .then(Mono.defer(() -> Flux.range(0, chunks[0] - 1)
                        .concatMap(i -> session.reply(Stage.BDAT))
                        .doOnNext(r -> {
                            protocolError |= r.garbage();
                            failed(!r.isPositive(), r);
                            if (!r.isPositive() && data == null) {
                                data = r;
                            }
                        })
                        .then()))
                .then(Mono.defer(() -> data == null ? readFinals(Stage.BDAT)
                        : session.reply(Stage.BDAT).doOnNext(r -> {
                            protocolError |= r.garbage();
                            failed(!r.isPositive(), r);
                            finals.add(r);
                        }).then()));
    }

    /**
     * MISC-1: a "rcpt" probe ends with RSET where DATA would go, and the session may be kept; a
     * "data" probe that got 354 drops the connection at once: no content, no ".", no QUIT.
     */
    private Mono<Void> endProbe() {
        if (tx.purpose() == Transaction.Purpose.VERIFY_DATA && data != null && data.isIntermediate()) {
            probeDropped = true;
            session.close();
            return Mono.empty();
        }
        return rset();
    }

    /** XFER-26: abandon the transaction with RSET, and QUIT unless the session is kept. */
    private Mono<Void> abort() {
        aborted = true;
        return rset();
    }

    private Mono<Void> rset() {
        boolean quitNow = !tx.keepOpen() || protocolError; // CACHE-3: a protocol error ends the session
        session.writeLine("RSET", quitNow);
        Mono<Void> rset = session.reply(Stage.RSET).then();
        // TIME-7: a lost RSET changes no decided outcome, but REPLY-12 must know the session did not end normally
        return rset.then(quitNow ? session.afterQuit() : Mono.empty())
                .onErrorResume(SessionException.class, e -> Mono.fromRunnable(() -> {
                    if (failure == null) {
                        failure = e.failure();
                    }
                    session.close();
                }));
    }

    /** The transaction is over: QUIT unless kept (XFER-14, XFER-30). */
    private Mono<Void> finish() {
        if (session.quitSent()) {
            return session.afterQuit();
        }
        return tx.keepOpen() ? Mono.empty() : session.sendQuit();
    }

    private TransactionResult result() {
        boolean reusable = failure == null && !protocolError && !probeDropped && session.usable();
        return new TransactionResult(mail, Arrays.asList(rcpt), data, finals, accepted, bdat, aborted, failure,
                protocolError, reusable, xforward, brokeLongLine);
    }

    private void lineBroken() {
        brokeLongLine = true;
    }

    /** Collects a publisher's buffers into one (bounded by the caller: at most one BDAT chunk). */
    private Mono<ByteBuf> gather(Publisher<ByteBuf> content) {
        return Flux.from(content)
                .collect(() -> session.alloc().compositeBuffer(Integer.MAX_VALUE),
                        (CompositeByteBuf acc, ByteBuf b) -> acc.addComponent(true, b))
                .map(ByteBuf.class::cast)
                .doOnDiscard(ByteBuf.class, ReferenceCountUtil::safeRelease);
    }

    /** One queued command: its stage, its line, and for RCPT the recipient's index. */
    private record Cmd(Stage stage, String line, int rcptIndex) {
    }

    /** Signals that XFER-28 found the server's reply after a broken content write. */
    private static final class BodyCutShort extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BodyCutShort() {
            super(null, null, false, false);
        }
    }
}
