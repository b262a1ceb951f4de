package io.postilion.bench.fleet;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.postilion.transport.netty.NettyTransport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpServer;

/**
 * The fleet benchmark's counting sink: one SMTP server on loopback that every relay node delivers
 * to. It counts each message by the {@code X-Fleet-Id} header the harness put in it (so a message
 * delivered twice, by one node or by two, is seen as such), and it counts what a fleet-wide
 * concurrency limit is about: connections open at once and transactions (MAIL to the reply after
 * the content) under way at once, each with the highest value seen since the last
 * {@link #resetPeaks()}.
 *
 * <p>A reply delay after the content ({@code dataDelay}) stands for a slow destination, so that
 * deliveries pile up against the limit instead of finishing before the next one starts. Replies
 * stay in order under pipelining: lines that arrive while the delayed reply is pending wait for it.
 */
final class FleetSink implements AutoCloseable {

    private final DisposableServer server;
    private final Duration dataDelay;
    private final Map<String, AtomicInteger> delivered = new ConcurrentHashMap<>();
    private final AtomicLong deliveries = new AtomicLong();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private final AtomicInteger inTransaction = new AtomicInteger();
    private final AtomicInteger maxInTransaction = new AtomicInteger();
    private final AtomicLong lastDelivery = new AtomicLong();
    /** Distinct messages and extra deliveries per id prefix (the id up to its last dot), kept as they come. */
    private final Map<String, AtomicLong> distinctByPrefix = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> duplicatesByPrefix = new ConcurrentHashMap<>();
    /** Notified after every delivery, for {@link #awaitDistinct} and {@link #awaitQuiet}. */
    private final Object deliveredSignal = new Object();

    FleetSink(Duration dataDelay) {
        this.dataDelay = dataDelay;
        this.server = TcpServer.create().runOn(NettyTransport.EPOLL.loops()).host("127.0.0.1").port(0)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .doOnConnection(c -> {
                    peak(maxOpen, open.incrementAndGet());
                    Session s = new Session();
                    c.onDispose(() -> {
                        open.decrementAndGet();
                        s.endTransaction();
                    });
                    c.addHandlerLast(new LineBasedFrameDecoder(8192));
                    c.addHandlerLast(s);
                    c.channel().writeAndFlush(reply("220 sink.fleet.bench ESMTP"));
                })
                .handle((in, out) -> in.receive().then())
                .bindNow();
    }

    int port() {
        return server.port();
    }

    /** Distinct messages seen (by X-Fleet-Id) whose id is {@code prefix} and a number. */
    long distinct(String prefix) {
        AtomicLong n = distinctByPrefix.get(prefix);
        return n == null ? 0 : n.get();
    }

    /** Deliveries beyond the first of each message whose id is {@code prefix} and a number. */
    long duplicates(String prefix) {
        AtomicLong n = duplicatesByPrefix.get(prefix);
        return n == null ? 0 : n.get();
    }

    /** Waits until {@code count} distinct messages with this prefix have come, at most {@code within}. */
    boolean awaitDistinct(String prefix, long count, Duration within) throws InterruptedException {
        long until = System.nanoTime() + within.toNanos();
        synchronized (deliveredSignal) {
            while (distinct(prefix) < count) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(deliveredSignal, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
            }
        }
        return true;
    }

    /** Waits until no message has come for {@code quiet}, at most {@code within}. */
    void awaitQuiet(Duration quiet, Duration within) throws InterruptedException {
        long until = System.nanoTime() + within.toNanos();
        synchronized (deliveredSignal) {
            long left;
            while ((left = quiet.toNanos() - (System.nanoTime() - lastDelivery.get())) > 0 && System.nanoTime() < until) {
                TimeUnit.NANOSECONDS.timedWait(deliveredSignal, left);
            }
        }
    }

    /** How many times the message with this id arrived (0: never). */
    int count(String id) {
        AtomicInteger n = delivered.get(id);
        return n == null ? 0 : n.get();
    }

    long deliveries() {
        return deliveries.get();
    }

    /** System.nanoTime() of the last message accepted. */
    long lastDeliveryNanos() {
        return lastDelivery.get();
    }

    int openNow() {
        return open.get();
    }

    int maxOpen() {
        return maxOpen.get();
    }

    int maxInTransaction() {
        return maxInTransaction.get();
    }

    void resetPeaks() {
        maxOpen.set(open.get());
        maxInTransaction.set(inTransaction.get());
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(5));
    }

    private static void peak(AtomicInteger max, int now) {
        max.accumulateAndGet(now, Math::max);
    }

    private static ByteBuf reply(String lines) {
        return Unpooled.copiedBuffer(lines + "\r\n", StandardCharsets.US_ASCII);
    }

    /** One connection: the command state, the message's id, and lines held while a delayed reply is pending. */
    private final class Session extends SimpleChannelInboundHandler<ByteBuf> {
        private boolean inData;
        private boolean inTx;
        private boolean headers;
        private String id;
        private boolean waiting;
        private final ArrayDeque<String> held = new ArrayDeque<>();

        void endTransaction() {
            if (inTx) {
                inTx = false;
                inTransaction.decrementAndGet();
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
            String text = line.toString(StandardCharsets.ISO_8859_1);
            if (text.endsWith("\r")) {
                text = text.substring(0, text.length() - 1);
            }
            if (waiting) {
                held.add(text);
                return;
            }
            handle(ctx, text);
        }

        private void handle(ChannelHandlerContext ctx, String text) {
            if (inData) {
                if (text.equals(".")) {
                    inData = false;
                    String message = id;
                    id = null;
                    if (dataDelay.isZero()) {
                        accepted(ctx, message);
                    } else {
                        waiting = true;
                        ctx.executor().schedule(() -> {
                            accepted(ctx, message);
                            waiting = false;
                            while (!waiting && !held.isEmpty() && ctx.channel().isActive()) {
                                handle(ctx, held.poll());
                            }
                        }, dataDelay.toNanos(), TimeUnit.NANOSECONDS);
                    }
                } else if (headers) {
                    if (text.isEmpty()) {
                        headers = false;
                    } else if (id == null && text.regionMatches(true, 0, "X-Fleet-Id:", 0, 11)) {
                        id = text.substring(11).trim();
                    }
                }
                return;
            }
            String verb = text.length() >= 4 ? text.substring(0, 4).toUpperCase(Locale.ROOT) : text.toUpperCase(Locale.ROOT);
            switch (verb) {
                case "EHLO" -> ctx.writeAndFlush(reply("250-sink.fleet.bench\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
                        + "250-ENHANCEDSTATUSCODES\r\n250 SIZE 104857600"));
                case "HELO" -> ctx.writeAndFlush(reply("250 sink.fleet.bench"));
                case "MAIL" -> {
                    if (!inTx) {
                        inTx = true;
                        peak(maxInTransaction, inTransaction.incrementAndGet());
                    }
                    ctx.writeAndFlush(reply("250 2.1.0 Ok"));
                }
                case "DATA" -> {
                    inData = true;
                    headers = true;
                    ctx.writeAndFlush(reply("354 End data with <CR><LF>.<CR><LF>"));
                }
                case "RSET" -> {
                    endTransaction();
                    ctx.writeAndFlush(reply("250 2.0.0 Ok"));
                }
                case "QUIT" -> {
                    endTransaction();
                    ctx.writeAndFlush(reply("221 2.0.0 Bye")).addListener(f -> ctx.close());
                }
                default -> ctx.writeAndFlush(reply("250 2.0.0 Ok"));
            }
        }

        private void accepted(ChannelHandlerContext ctx, String message) {
            if (message != null) {
                int n = delivered.computeIfAbsent(message, k -> new AtomicInteger()).incrementAndGet();
                String prefix = message.substring(0, message.lastIndexOf('.') + 1);
                (n == 1 ? distinctByPrefix : duplicatesByPrefix).computeIfAbsent(prefix, k -> new AtomicLong()).incrementAndGet();
            }
            deliveries.incrementAndGet();
            lastDelivery.set(System.nanoTime());
            synchronized (deliveredSignal) {
                deliveredSignal.notifyAll();
            }
            endTransaction();
            ctx.writeAndFlush(reply("250 2.0.0 Ok: queued"));
        }
    }
}
