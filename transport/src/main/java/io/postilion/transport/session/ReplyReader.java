package io.postilion.transport.session;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.postilion.transport.reply.SmtpReply;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Hands decoded replies to the session one at a time, in order, each under the time limit of the
 * stage that waits for it (TIME-1..3). Sits after the reply decoder; everything here runs on the
 * connection's event loop, so there are no locks.
 *
 * <p>Without the per-request deadline any byte from the server restarts the clock (TIME-2); with
 * it, the limit is a budget for the whole reply (TIME-3). A timeout or a lost connection fails the
 * waiting read with a {@link StageFailure} and leaves the connection unusable.
 */
final class ReplyReader extends ChannelInboundHandlerAdapter {

    private final String server;
    private final boolean deadline;
    private final ArrayDeque<SmtpReply> ready = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private EventLoop loop;

    private MonoSink<SmtpReply> waiter;
    private Stage waitingStage;
    private long waitStartNanos;
    private long limitNanos;
    private ScheduledFuture<?> timer;
    private volatile long lastReadNanos;
    private boolean closed;
    private StageFailure brokenBy;
    private boolean discarding;
    private int discarded;
    private volatile Transcript transcript = Transcript.NONE;

    ReplyReader(String server, boolean deadline) {
        this.server = server;
        this.deadline = deadline;
    }

    /** Marks read progress on the raw bytes, before the decoder: a trickle restarts the clock (TIME-2). */
    final class ProgressMarker extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            lastReadNanos = System.nanoTime();
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.loop = ctx.channel().eventLoop();
    }

    /** The next reply, waited for under {@code limit} (zero = no limit) on behalf of {@code stage}. */
    Mono<SmtpReply> next(Stage stage, Duration limit) {
        return Mono.create(sink -> {
            if (loop.inEventLoop()) {
                register(sink, stage, limit);
            } else {
                loop.execute(() -> register(sink, stage, limit));
            }
        });
    }

    void transcript(Transcript t) {
        this.transcript = t;
    }

    /** Whether the connection is still fit for another command (no timeout, no loss). */
    boolean usable() {
        return !closed && brokenBy == null;
    }

    private void register(MonoSink<SmtpReply> sink, Stage stage, Duration limit) {
        if (waiter != null) {
            sink.error(new IllegalStateException("a reply is already awaited for " + waitingStage));
            return;
        }
        SmtpReply r = ready.poll();
        if (r != null) {
            transcript.received(r); // recorded as the session takes it, so one that came early is not missed
            sink.success(r);
            return;
        }
        if (closed || brokenBy != null) {
            sink.error(new SessionException(StageFailure.lost(stage, server)));
            return;
        }
        waiter = sink;
        waitingStage = stage;
        waitStartNanos = System.nanoTime();
        limitNanos = limit.toNanos();
        if (limitNanos > 0) {
            timer = loop.schedule(this::checkTimer, limitNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void checkTimer() {
        timer = null;
        if (waiter == null) {
            return;
        }
        long now = System.nanoTime();
        long since = deadline ? waitStartNanos : Math.max(waitStartNanos, lastReadNanos);
        long left = limitNanos - (now - since);
        if (left > 0) {
            timer = loop.schedule(this::checkTimer, left, TimeUnit.NANOSECONDS);
            return;
        }
        dropTls(ctx); // before the failure is told: whoever hears of it may close the connection at once
        fail(StageFailure.timeout(waitingStage, server));
        ctx.close();
    }

    /**
     * TLS-33: a connection given up after a failure is closed without close_notify: the TLS layer
     * is taken off first (Postfix stops a failed TLS session without SSL_shutdown).
     */
    private static void dropTls(ChannelHandlerContext ctx) {
        io.netty.handler.ssl.SslHandler ssl = ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class);
        if (ssl != null) {
            ctx.pipeline().remove(ssl);
        }
    }

    /**
     * From now until {@link #endDiscard}, everything the server sent in plaintext is dropped: it
     * was sent after the STARTTLS reply and before TLS, so it is injected, never a reply.
     */
    void discardPlaintext() {
        discarding = true;
        discarded += ready.size();
        ready.clear();
    }

    /** Ends the discarding; returns how many replies or byte chunks were dropped. */
    int endDiscard() {
        discarding = false;
        int n = discarded;
        discarded = 0;
        return n;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (discarding) {
            discarded++;
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof SmtpReply reply)) {
            ctx.fireChannelRead(msg);
            return;
        }
        MonoSink<SmtpReply> w = waiter;
        if (w != null) {
            clearWaiter();
            transcript.received(reply);
            w.success(reply);
        } else {
            ready.add(reply);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        if (waiter != null) {
            fail(StageFailure.lost(waitingStage, server));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        dropTls(ctx);
        if (waiter != null) {
            fail(StageFailure.lost(waitingStage, server));
        } else if (brokenBy == null) {
            brokenBy = StageFailure.lost(Stage.QUIT, server);
        }
        ctx.close();
    }

    private void fail(StageFailure failure) {
        brokenBy = failure;
        MonoSink<SmtpReply> w = waiter;
        clearWaiter();
        w.error(new SessionException(failure));
    }

    private void clearWaiter() {
        waiter = null;
        waitingStage = null;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
