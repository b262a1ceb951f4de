package io.postilion.engine.listener;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bytes of one listener connection: command lines (bounded by line_length_limit), message
 * content after DATA, counted BDAT chunks, STARTTLS, and the pause while a message is made
 * durable. Replies to pipelined commands are written as produced and flushed once per read.
 *
 * <p>While the sink works on a message, reading stops (autoRead off) and anything already
 * received waits in the cumulation buffer, so a client cannot make us buffer without bound.
 */
final class SmtpServerHandler extends ByteToMessageDecoder {

    private static final Logger log = LoggerFactory.getLogger(SmtpServerHandler.class);

    private enum Mode { COMMAND, DATA, BDAT, WAITING, CLOSED }

    private final ServerSession session;
    private final ListenerSettings settings;
    private Mode mode = Mode.COMMAND;
    private ContentReader reader;
    private long bdatRemaining;
    private long bdatSize;
    private boolean bdatLast;
    /** A command line over the limit is being skipped up to its line end. */
    private boolean skippingLongLine;

    SmtpServerHandler(ServerSession session, ListenerSettings settings) {
        this.session = session;
        this.settings = settings;
    }

    private boolean greeted;

    /** The handler is usually added to a channel that is already active: greet then. */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
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
            reply(ctx, session.greeting());
            ctx.flush();
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            switch (mode) {
                case COMMAND -> {
                    if (!commandLine(ctx, in)) {
                        return;
                    }
                }
                case DATA -> {
                    ContentReader.Result r = reader.feed(in);
                    if (r == ContentReader.Result.BARE_NEWLINE_REFUSED) {
                        close(ctx, session.bareNewlineInCommand(BareNewlinePolicy.YES).reply());
                        in.skipBytes(in.readableBytes());
                        return;
                    }
                    if (r == ContentReader.Result.END) {
                        endOfMessage(ctx);
                    }
                }
                case BDAT -> bdatBytes(ctx, in);
                default -> {
                    return; // WAITING keeps the bytes for later; CLOSED drops them with the channel
                }
            }
        }
    }

    /** Reads one command line if complete; false when more input is needed. */
    private boolean commandLine(ChannelHandlerContext ctx, ByteBuf in) {
        int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
        int limit = settings.lineLengthLimit();
        if (lf < 0) {
            if (in.readableBytes() > limit) {
                in.skipBytes(in.readableBytes());
                skippingLongLine = true;
            }
            return false;
        }
        int length = lf - in.readerIndex();
        boolean crlf = length > 0 && in.getByte(lf - 1) == '\r';
        String line = skippingLongLine || length > limit ? null
                : in.toString(in.readerIndex(), crlf ? length - 1 : length, StandardCharsets.UTF_8);
        in.readerIndex(lf + 1);
        if (line == null) {
            skippingLongLine = false;
            act(ctx, in, session.lineTooLong());
            return true;
        }
        if (!crlf && (settings.bareNewline() == BareNewlinePolicy.YES || settings.bareNewline() == BareNewlinePolicy.REJECT)) {
            act(ctx, in, session.bareNewlineInCommand(settings.bareNewline()));
            return true;
        }
        act(ctx, in, session.command(line));
        return true;
    }

    private void act(ChannelHandlerContext ctx, ByteBuf in, ServerSession.Step step) {
        switch (step.action()) {
            case NONE -> reply(ctx, step.reply());
            case WAIT -> {
                mode = Mode.WAITING;
                ctx.channel().config().setAutoRead(false);
                step.later().subscribe(r -> ctx.executor().execute(() -> resume(ctx, r)),
                        e -> ctx.executor().execute(() -> resume(ctx, "454 4.7.0 Temporary authentication failure")));
            }
            case CLOSE -> {
                close(ctx, step.reply());
                in.skipBytes(in.readableBytes());
            }
            case READ_DATA -> {
                reply(ctx, step.reply());
                reader = new ContentReader(true, settings.bareNewline(), settings.messageSizeLimit());
                mode = Mode.DATA;
            }
            case READ_BDAT -> {
                if (reader == null) {
                    reader = new ContentReader(false, settings.bareNewline(), settings.messageSizeLimit());
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
                ctx.flush();
                // Anything pipelined after STARTTLS was sent in the clear: it must not count as
                // commands of the encrypted session (the STARTTLS injection attack).
                in.skipBytes(in.readableBytes());
                SslHandler ssl = settings.tls().newHandler(ctx.alloc());
                ctx.pipeline().addFirst("tls", ssl);
                ssl.handshakeFuture().addListener(f -> {
                    if (f.isSuccess()) {
                        session.tlsStarted();
                    } else {
                        ctx.close();
                    }
                });
            }
        }
    }

    private void bdatBytes(ChannelHandlerContext ctx, ByteBuf in) {
        int n = (int) Math.min(bdatRemaining, in.readableBytes());
        reader.feedAll(in.readSlice(n));
        bdatRemaining -= n;
        if (bdatRemaining == 0) {
            bdatDone(ctx);
        }
    }

    private void bdatDone(ChannelHandlerContext ctx) {
        mode = Mode.COMMAND;
        if (bdatLast) {
            reader.finishChunks();
            endOfMessage(ctx);
        } else {
            reply(ctx, session.bdatChunkDone(bdatSize).reply());
        }
    }

    /** Hands the message to the sink and stops reading until it answers. */
    private void endOfMessage(ChannelHandlerContext ctx) {
        ContentReader done = reader;
        reader = null;
        mode = Mode.WAITING;
        ctx.channel().config().setAutoRead(false);
        session.endOfMessage(done).subscribe(reply -> ctx.executor().execute(() -> resume(ctx, reply)),
                error -> ctx.executor().execute(() -> resume(ctx, "451 4.3.0 Error: queue file write error")));
    }

    private void resume(ChannelHandlerContext ctx, String reply) {
        if (mode == Mode.CLOSED || !ctx.channel().isActive()) {
            return;
        }
        mode = Mode.COMMAND;
        reply(ctx, reply);
        ctx.flush();
        ctx.channel().config().setAutoRead(true);
        try {
            channelRead(ctx, Unpooled.EMPTY_BUFFER); // decode what arrived while we waited
        } catch (Exception e) {
            ctx.fireExceptionCaught(e);
        }
        ctx.flush();
    }

    private void reply(ChannelHandlerContext ctx, String text) {
        if (text != null && mode != Mode.CLOSED) {
            ctx.write(Unpooled.copiedBuffer(text + "\r\n", StandardCharsets.UTF_8));
        }
    }

    private void close(ChannelHandlerContext ctx, String text) {
        reply(ctx, text);
        mode = Mode.CLOSED;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        super.channelReadComplete(ctx);
        ctx.flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent && mode != Mode.WAITING) {
            close(ctx, "421 4.4.2 " + settings.hostname() + " Error: timeout exceeded");
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("listener connection from {} ended: {}", ctx.channel().remoteAddress(), cause.toString());
        mode = Mode.CLOSED;
        ctx.close();
    }
}
