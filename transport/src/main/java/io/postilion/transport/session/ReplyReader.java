package io.postilion.transport.session;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.postilion.transport.reply.SmtpReply;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ObjIntConsumer;
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

    private Waiter waiter;
    private Stage waitingStage;
    private long waitStartNanos;
    private long limitNanos;
    /**
     * The one pending check of the waiting stage's clock. It is not cancelled when a reply comes
     * and is reused by the next wait when it fires no later than that wait's limit (it then
     * re-arms itself for what is left): a reply costs no timer of its own, which a pipelined
     * transaction would otherwise pay for every command.
     */
    private ScheduledFuture<?> timer;
    private long timerDueNanos;
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
        return Mono.create(sink -> onLoop(() -> register(new One(sink), stage, limit)));
    }

    /**
     * The replies to a pipelined group, in order: reply {@code i} is awaited under the limit of
     * {@code stages.get(i)} and handed to {@code each} with its index before the next is awaited.
     * Completes after the last; fails as {@link #next} does, or with what {@code each} threw. One
     * subscription serves the whole group.
     */
    Mono<Void> replies(List<Stage> stages, Function<Stage, Duration> limits, ObjIntConsumer<SmtpReply> each) {
        if (stages.isEmpty()) {
            return Mono.empty();
        }
        return Mono.create(sink -> onLoop(() -> {
            Group g = new Group(stages, limits, each, sink);
            register(g, stages.get(0), limits.apply(stages.get(0)));
        }));
    }

    private void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    /** Who waits for the next reply: one caller of {@link #next}, or a group read. */
    private interface Waiter {
        void reply(SmtpReply r);

        void fail(Throwable e);
    }

    private record One(MonoSink<SmtpReply> sink) implements Waiter {
        @Override
        public void reply(SmtpReply r) {
            sink.success(r);
        }

        @Override
        public void fail(Throwable e) {
            sink.error(e);
        }
    }

    /** A group read in progress: hands each reply on, then waits for the next under its own stage. */
    private final class Group implements Waiter {
        private final List<Stage> stages;
        private final Function<Stage, Duration> limits;
        private final ObjIntConsumer<SmtpReply> each;
        private final MonoSink<Void> sink;
        private int next;

        Group(List<Stage> stages, Function<Stage, Duration> limits, ObjIntConsumer<SmtpReply> each, MonoSink<Void> sink) {
            this.stages = stages;
            this.limits = limits;
            this.each = each;
            this.sink = sink;
        }

        @Override
        public void reply(SmtpReply r) {
            try {
                each.accept(r, next++);
            } catch (RuntimeException e) {
                sink.error(e);
                return;
            }
            if (next == stages.size()) {
                sink.success();
            } else {
                Stage s = stages.get(next);
                register(this, s, limits.apply(s));
            }
        }

        @Override
        public void fail(Throwable e) {
            sink.error(e);
        }
    }

    void transcript(Transcript t) {
        this.transcript = t;
    }

    /** Whether the connection is still fit for another command (no timeout, no loss). */
    boolean usable() {
        return !closed && brokenBy == null;
    }

    private void register(Waiter w, Stage stage, Duration limit) {
        if (waiter != null) {
            w.fail(new IllegalStateException("a reply is already awaited for " + waitingStage));
            return;
        }
        SmtpReply r = ready.poll();
        if (r != null) {
            transcript.received(r); // recorded as the session takes it, so one that came early is not missed
            w.reply(r);
            return;
        }
        if (closed || brokenBy != null) {
            w.fail(new SessionException(StageFailure.lost(stage, server)));
            return;
        }
        waiter = w;
        waitingStage = stage;
        waitStartNanos = System.nanoTime();
        limitNanos = limit.toNanos();
        if (limitNanos > 0 && (timer == null || timerDueNanos - (waitStartNanos + limitNanos) > 0)) {
            cancelTimer(); // due too late for this wait (or none pending)
            arm(limitNanos);
        }
    }

    private void arm(long delayNanos) {
        timerDueNanos = System.nanoTime() + delayNanos;
        timer = loop.schedule(this::checkTimer, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void checkTimer() {
        timer = null;
        if (waiter == null || limitNanos <= 0) {
            return; // a timer left from an earlier wait: nobody waits under a limit now
        }
        long now = System.nanoTime();
        long since = deadline ? waitStartNanos : Math.max(waitStartNanos, lastReadNanos);
        long left = limitNanos - (now - since);
        if (left > 0) {
            arm(left);
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
        Waiter w = waiter;
        if (w != null) {
            clearWaiter();
            transcript.received(reply);
            w.reply(reply);
        } else {
            ready.add(reply);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        cancelTimer(); // nothing more will come: a pending check would only hold this reader
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
        Waiter w = waiter;
        clearWaiter();
        w.fail(new SessionException(failure));
    }

    /** The pending timer stays: the next wait reuses it (see {@link #timer}). */
    private void clearWaiter() {
        waiter = null;
        waitingStage = null;
    }
}
