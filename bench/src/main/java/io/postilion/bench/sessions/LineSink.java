package io.postilion.bench.sessions;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpServer;

/**
 * A minimal SMTP sink for the session-count benchmark, run as its own process (CLARIFICATIONS
 * 27: one process cannot hold both ends of 10,000 connections within its descriptor limit). It
 * greets, answers EHLO with PIPELINING, takes any transaction and discards the content; it
 * counts open connections. Loopback only.
 */
public final class LineSink {

    private LineSink() {
    }

    /** {@code postilion-bench sink PORT}: serves on 127.0.0.1:PORT until killed; prints "listening PORT". */
    public static int run(String[] args, PrintStream out) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        AtomicInteger open = new AtomicInteger();
        // epoll, as before the io_uring jar came onto the class path (Reactor Netty's default would
        // now be io_uring wherever the kernel allows it): the sink of a benchmark must not change
        // under it.
        DisposableServer server = TcpServer.create().runOn(io.postilion.transport.netty.NettyTransport.EPOLL.loops())
                .host("127.0.0.1").port(port)
                .option(io.netty.channel.ChannelOption.SO_BACKLOG, 4096)
                .doOnConnection(c -> {
                    open.incrementAndGet();
                    c.onDispose(open::decrementAndGet);
                    c.addHandlerLast(new LineBasedFrameDecoder(4096));
                    c.addHandlerLast(new Session());
                    c.channel().writeAndFlush(reply("220 sink.bench ESMTP"));
                })
                .handle((in, outbound) -> in.receive().then()) // subscribing is what makes the channel read
                .bindNow();
        out.println("listening " + server.port());
        out.flush();
        new CountDownLatch(1).await(); // until the process is killed
        return 0;
    }

    private static ByteBuf reply(String line) {
        return Unpooled.copiedBuffer(line + "\r\n", StandardCharsets.US_ASCII);
    }

    /** One connection's state: in or out of the content. */
    private static final class Session extends SimpleChannelInboundHandler<ByteBuf> {
        private boolean inData;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
            String text = line.toString(StandardCharsets.US_ASCII);
            if (text.endsWith("\r")) {
                text = text.substring(0, text.length() - 1);
            }
            if (inData) {
                if (text.equals(".")) {
                    inData = false;
                    ctx.writeAndFlush(reply("250 2.0.0 Ok: queued"));
                }
                return;
            }
            String verb = text.length() >= 4 ? text.substring(0, 4).toUpperCase(Locale.ROOT) : text.toUpperCase(Locale.ROOT);
            switch (verb) {
                case "EHLO", "LHLO" -> ctx.writeAndFlush(reply("250-sink.bench\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES"));
                case "HELO" -> ctx.writeAndFlush(reply("250 sink.bench"));
                case "DATA" -> {
                    inData = true;
                    ctx.writeAndFlush(reply("354 End data with <CR><LF>.<CR><LF>"));
                }
                case "QUIT" -> ctx.writeAndFlush(reply("221 2.0.0 Bye")).addListener(f -> ctx.close());
                default -> ctx.writeAndFlush(reply("250 2.0.0 Ok"));
            }
        }
    }
}
