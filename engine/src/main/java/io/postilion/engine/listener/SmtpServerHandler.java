package io.postilion.engine.listener;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bytes of one listener connection: command lines (bounded by line_length_limit), message
 * content after DATA, counted BDAT chunks, STARTTLS, the pause while a message is made durable,
 * and the session's clock.
 *
 * <p>Back-pressure: the connection holds at most one read of input and one batch of replies.
 * Replies are gathered into one buffer and written once per read; when the client does not read
 * them and the channel stops being writable, the handler stops reading (autoRead off, and read
 * requests from elsewhere in the pipeline are held back) until the client catches up. The same
 * pause covers the wait for the spool, for AUTH's password check and for smtpd_error_sleep_time.
 * Its own cumulation (not Netty's ByteToMessageDecoder, which asks for more input whenever it
 * decoded nothing) is what makes the pause hold.
 *
 * <p>The clock: smtpd_timeout per read (Postfix's default), or per request when
 * smtpd_per_request_deadline is on, with DATA and BDAT content earning time at
 * smtpd_min_data_rate. One timer per connection is re-armed lazily.
 */
final class SmtpServerHandler extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(SmtpServerHandler.class);

    /** Replies gathered beyond this many bytes are written out before more input is read. */
    private static final int REPLY_BATCH = 16 * 1024;

    private enum Mode { COMMAND, DATA, BDAT, WAITING, CLOSED }

    private final ServerSession session;
    private final ListenerSettings settings;
    private Mode mode = Mode.COMMAND;
    private ByteBuf input;
    private ByteBuf replies;
    /** The current transaction's content, or null (no transaction, or a chunk being thrown away). */
    private ContentReader reader;
    private boolean bdatDiscard;
    private long bdatRemaining;
    private long bdatSize;
    private boolean bdatLast;
    /** A command line over the limit is being skipped up to its line end. */
    private boolean skippingLongLine;
    /** The client does not read its replies: input waits until the channel is writable again. */
    private boolean unwritable;
    /** A read request that came while paused, passed on when the pause ends. */
    private boolean readHeld;
    private boolean greeted;
    private boolean ended;
    private boolean clientQuit;

    // The session clock (nanoTime); see the class comment.
    private long expiresAt;
    private ScheduledFuture<?> timer;
    private SessionLimits requestLimits;

    SmtpServerHandler(ServerSession session, ListenerSettings settings) {
        this.session = session;
        this.settings = settings;
    }

    /** The handler is usually added to a channel that is already active: greet then. */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            greet(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        greet(ctx);
        super.channelActive(ctx);
    }

    private void greet(ChannelHandlerContext ctx) {
        if (!greeted) {
            greeted = true;
            replies = ctx.alloc().buffer(256);
            input = ctx.alloc().buffer(1024);
            startRequest();
            arm(ctx);
            reply(ctx, session.greeting());
            flushReplies(ctx);
        }
    }

    // ------------------------------------------------------------------ input

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (mode == Mode.CLOSED || input == null) {
                return;
            }
            int n = buf.readableBytes();
            if (n > 0) {
                received(n);
                input.writeBytes(buf);
            }
        } finally {
            ReferenceCountUtil.release(buf);
        }
        process(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushReplies(ctx);
        ctx.fireChannelReadComplete();
    }

    /** Works through the input until it needs more, or must pause. */
    private void process(ChannelHandlerContext ctx) {
        while (input != null && input.isReadable() && !paused()) {
            switch (mode) {
                case COMMAND -> {
                    if (!commandLine(ctx)) {
                        compact();
                        return;
                    }
                }
                case DATA -> dataBytes(ctx);
                case BDAT -> bdatBytes(ctx);
                default -> {
                    return;
                }
            }
            if (replies != null && replies.readableBytes() >= REPLY_BATCH) {
                flushReplies(ctx);
            }
        }
        compact();
    }

    private boolean paused() {
        return mode == Mode.WAITING || mode == Mode.CLOSED || unwritable;
    }

    private void compact() {
        if (input != null && input.readerIndex() > 0 && (!input.isReadable() || input.readerIndex() > 4096)) {
            input.discardReadBytes();
        }
    }

    /** Reads one command line if complete; false when more input is needed. */
    private boolean commandLine(ChannelHandlerContext ctx) {
        int lf = input.indexOf(input.readerIndex(), input.writerIndex(), (byte) '\n');
        int limit = settings.lineLengthLimit();
        if (lf < 0) {
            if (input.readableBytes() > limit) {
                input.skipBytes(input.readableBytes());
                skippingLongLine = true;
            }
            return false;
        }
        int length = lf - input.readerIndex();
        boolean crlf = length > 0 && input.getByte(lf - 1) == '\r';
        int textLength = crlf ? length - 1 : length;
        boolean tooLong = skippingLongLine || length > limit;
        String line = null;
        boolean utf8 = true;
        if (!tooLong) {
            utf8 = Utf8.valid(input, input.readerIndex(), textLength);
            line = utf8 ? input.toString(input.readerIndex(), textLength, StandardCharsets.UTF_8) : null;
        }
        input.readerIndex(lf + 1);
        skippingLongLine = false;
        startRequest();
        ServerSession.Step limit421 = session.errorLimitReached();
        if (limit421 != null) {
            act(ctx, limit421);
            return true;
        }
        if (tooLong) {
            act(ctx, session.lineTooLong());
        } else if (!utf8) {
            act(ctx, session.badUtf8());
        } else if (!crlf && (session.bareNewline() == BareNewlinePolicy.YES || session.bareNewline() == BareNewlinePolicy.REJECT)) {
            act(ctx, session.bareNewlineInCommand(session.bareNewline()));
        } else {
            act(ctx, session.command(line));
        }
        return true;
    }

    private void act(ChannelHandlerContext ctx, ServerSession.Step step) {
        Duration delay = step.reply() != null && step.action() != ServerSession.Action.WAIT ? session.replyDelay() : Duration.ZERO;
        if (!delay.isZero()) {
            // smtpd_error_sleep_time: the reply (and everything after it) waits; the event loop does not.
            pause(ctx);
            ctx.executor().schedule(() -> {
                if (mode == Mode.WAITING) {
                    mode = Mode.COMMAND;
                    perform(ctx, step);
                    resume(ctx);
                }
            }, delay.toNanos(), TimeUnit.NANOSECONDS);
            return;
        }
        perform(ctx, step);
    }

    private void perform(ChannelHandlerContext ctx, ServerSession.Step step) {
        switch (step.action()) {
            case NONE -> reply(ctx, step.reply());
            case WAIT -> {
                pause(ctx);
                step.later().subscribe(r -> ctx.executor().execute(() -> answer(ctx, r)),
                        e -> ctx.executor().execute(() -> answer(ctx, "454 4.7.0 Temporary authentication failure")));
            }
            case CLOSE -> close(ctx, step.reply());
            case READ_DATA -> {
                reply(ctx, step.reply());
                reader = new ContentReader(true, session.bareNewline(), settings.messageSizeLimit());
                mode = Mode.DATA;
            }
            case READ_BDAT -> {
                bdatDiscard = step.discard();
                if (bdatDiscard) {
                    reader = null;
                } else if (reader == null) {
                    reader = new ContentReader(false, session.bareNewline(), settings.messageSizeLimit());
                }
                bdatRemaining = step.bdatSize();
                bdatSize = step.bdatSize();
                bdatLast = step.bdatLast();
                mode = Mode.BDAT;
                if (bdatRemaining == 0) {
                    bdatDone(ctx);
                }
            }
            case START_TLS -> {
                reply(ctx, step.reply());
                flushReplies(ctx);
                // Anything pipelined after STARTTLS was sent in the clear: it must not count as
                // commands of the encrypted session (the STARTTLS injection attack), and no
                // content of the plaintext session may survive into the encrypted one.
                input.skipBytes(input.readableBytes());
                dropTransaction();
                SslHandler ssl = settings.tls().newHandler(ctx.alloc());
                ctx.pipeline().addFirst("tls", ssl);
                ssl.handshakeFuture().addListener(f -> {
                    if (f.isSuccess()) {
                        session.tlsStarted();
                        dropTransaction();
                    } else {
                        ctx.close();
                    }
                });
            }
        }
        if (mode == Mode.COMMAND && !session.transactionOpen()) {
            dropTransaction(); // RSET, HELO/EHLO, a refused BDAT: no content of it stays
        }
    }

    private void dropTransaction() {
        reader = null;
        bdatDiscard = false;
        bdatRemaining = 0;
        skippingLongLine = false;
    }

    private void dataBytes(ChannelHandlerContext ctx) {
        ContentReader.Result r = reader.feed(input);
        if (r == ContentReader.Result.BARE_NEWLINE_REFUSED) {
            input.skipBytes(input.readableBytes());
            close(ctx, session.bareNewlineInCommand(BareNewlinePolicy.YES).reply());
        } else if (r == ContentReader.Result.END) {
            endOfMessage(ctx);
        }
    }

    private void bdatBytes(ChannelHandlerContext ctx) {
        int n = (int) Math.min(bdatRemaining, input.readableBytes());
        if (reader != null && !bdatDiscard) {
            reader.feedAll(input.readSlice(n));
        } else {
            input.skipBytes(n);
        }
        bdatRemaining -= n;
        if (bdatRemaining == 0) {
            bdatDone(ctx);
        }
    }

    private void bdatDone(ChannelHandlerContext ctx) {
        mode = Mode.COMMAND;
        if (bdatLast) {
            if (reader != null) {
                reader.finishChunks();
            }
            endOfMessage(ctx);
        } else {
            act(ctx, session.bdatChunkDone(bdatSize));
        }
    }

    /** Hands the message to the sink and stops reading until it answers. */
    private void endOfMessage(ChannelHandlerContext ctx) {
        ContentReader done = bdatDiscard ? null : reader;
        dropTransaction();
        pause(ctx);
        session.endOfMessage(done).subscribe(reply -> ctx.executor().execute(() -> answer(ctx, reply)),
                error -> ctx.executor().execute(() -> answer(ctx, "451 4.3.0 Error: queue file write error")));
    }

    /** A reply that came later (the sink, AUTH): send it and go on with the input. */
    private void answer(ChannelHandlerContext ctx, String reply) {
        if (mode == Mode.CLOSED || !ctx.channel().isActive()) {
            return;
        }
        mode = Mode.COMMAND;
        act(ctx, ServerSession.Step.reply(reply));
        resume(ctx);
    }

    // ------------------------------------------------------------------ pausing

    private void pause(ChannelHandlerContext ctx) {
        mode = Mode.WAITING;
        flushReplies(ctx);
        ctx.channel().config().setAutoRead(false);
    }

    /** Ends a pause: works through what arrived meanwhile, then reads again if nothing else holds us. */
    private void resume(ChannelHandlerContext ctx) {
        if (mode == Mode.WAITING || mode == Mode.CLOSED) {
            flushReplies(ctx);
            return;
        }
        startRequest();
        process(ctx);
        flushReplies(ctx);
        if (!paused()) {
            ctx.channel().config().setAutoRead(true);
            if (readHeld) {
                readHeld = false;
                ctx.read();
            }
        }
    }

    /** Read requests from elsewhere (Reactor Netty, SslHandler) wait while we are paused. */
    @Override
    public void read(ChannelHandlerContext ctx) {
        if (paused()) {
            readHeld = true;
            return;
        }
        ctx.read();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable() && unwritable) {
            unwritable = false;
            progress();
            resume(ctx);
        }
        super.channelWritabilityChanged(ctx);
    }

    // ------------------------------------------------------------------ output

    private void reply(ChannelHandlerContext ctx, String text) {
        if (text != null && mode != Mode.CLOSED && replies != null) {
            replies.writeCharSequence(text, StandardCharsets.UTF_8);
            replies.writeByte('\r').writeByte('\n');
        }
    }

    /** Writes the gathered replies in one buffer; stops input while the client does not read them. */
    private void flushReplies(ChannelHandlerContext ctx) {
        if (replies == null || !replies.isReadable()) {
            return;
        }
        ByteBuf out = replies;
        replies = mode == Mode.CLOSED ? null : ctx.alloc().buffer(256);
        ctx.writeAndFlush(out);
        if (!ctx.channel().isWritable() && mode != Mode.CLOSED) {
            unwritable = true;
            ctx.channel().config().setAutoRead(false);
        }
    }

    private void close(ChannelHandlerContext ctx, String text) {
        reply(ctx, text);
        if (text != null && text.startsWith("221")) {
            clientQuit = true;
        }
        ByteBuf out = replies;
        mode = Mode.CLOSED;
        replies = null;
        release();
        ctx.writeAndFlush(out != null ? out : Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    // ------------------------------------------------------------------ the clock

    /** A new request starts: under a deadline, it gets a fresh smtpd_timeout. */
    private void startRequest() {
        requestLimits = session.limits();
        expiresAt = System.nanoTime() + requestLimits.timeout().toNanos();
    }

    /** Bytes arrived: without a deadline the timeout starts again; with one, content earns time. */
    private void received(int bytes) {
        if (requestLimits == null) {
            return;
        }
        if (!requestLimits.perRequestDeadline()) {
            progress();
        } else if ((mode == Mode.DATA || mode == Mode.BDAT) && requestLimits.minDataRate() > 0) {
            expiresAt += bytes * 1_000_000_000L / requestLimits.minDataRate();
        }
    }

    /** The client did something that counts as progress on a per-read timeout. */
    private void progress() {
        if (requestLimits != null && !requestLimits.perRequestDeadline()) {
            expiresAt = System.nanoTime() + requestLimits.timeout().toNanos();
        }
    }

    /**
     * Arms the timer for the deadline, or sooner: at least every stress timeout, so a session that
     * began in normal times comes under the stress limits soon after the listener fills up.
     */
    private void arm(ChannelHandlerContext ctx) {
        long delay = Math.max(1, Math.min(expiresAt - System.nanoTime(), settings.stress().timeout().toNanos()));
        timer = ctx.executor().schedule(() -> tick(ctx), delay, TimeUnit.NANOSECONDS);
    }

    private void tick(ChannelHandlerContext ctx) {
        try {
            tickOnce(ctx);
        } catch (RuntimeException | Error e) {
            // A session must never be left without its clock: if the check itself fails, the
            // connection ends rather than holding a slot for ever.
            log.debug("listener connection from {}: timer failed: {}", ctx.channel().remoteAddress(), e.toString(), e);
            mode = Mode.CLOSED;
            ctx.close();
        }
    }

    private void tickOnce(ChannelHandlerContext ctx) {
        if (mode == Mode.CLOSED) {
            return;
        }
        SessionLimits current = session.limits();
        if (current != requestLimits && (current.perRequestDeadline() && !requestLimits.perRequestDeadline()
                || current.timeout().compareTo(requestLimits.timeout()) < 0)) {
            // Stress began during this request: its stricter clock applies from now on.
            requestLimits = current;
            expiresAt = Math.min(expiresAt, System.nanoTime() + current.timeout().toNanos());
        }
        if (mode == Mode.WAITING && !unwritable) {
            // Our turn, not the client's (the spool, a password check, an error sleep): no timeout.
            expiresAt = System.nanoTime() + session.limits().timeout().toNanos();
        } else if (System.nanoTime() - expiresAt >= 0) {
            session.timedOut();
            close(ctx, "421 4.4.2 " + settings.hostname() + " Error: timeout exceeded");
            return;
        }
        arm(ctx);
    }

    // ------------------------------------------------------------------ the end

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        end(ctx);
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        end(ctx);
    }

    private void end(ChannelHandlerContext ctx) {
        if (ended) {
            return;
        }
        ended = true;
        boolean lost = mode != Mode.CLOSED;
        mode = Mode.CLOSED;
        if (timer != null) {
            timer.cancel(false);
        }
        release();
        if (greeted) {
            session.ended(lost && !clientQuit);
        }
    }

    private void release() {
        if (input != null) {
            input.release();
            input = null;
        }
        if (replies != null) {
            replies.release();
            replies = null;
        }
        reader = null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("listener connection from {} ended: {}", ctx.channel().remoteAddress(), cause.toString(), cause);
        mode = Mode.CLOSED;
        release();
        ctx.close();
    }
}
