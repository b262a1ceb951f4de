package io.postilion.engine.listener;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpServer;

/**
 * The relay's SMTP server: accepts mail from applications and hands each message to a
 * {@link MessageSink}, replying 250 only once the sink has it safe. Relaying is allowed for
 * mynetworks only; everyone else is refused at RCPT, so the relay is never open.
 */
public final class SmtpListener implements AutoCloseable {

    private final DisposableServer server;
    private final AtomicInteger sessions;

    private SmtpListener(DisposableServer server, AtomicInteger sessions) {
        this.server = server;
        this.sessions = sessions;
    }

    /** Binds and starts accepting; the Mono completes once the port is bound. */
    public static Mono<SmtpListener> start(ListenerSettings settings, MessageSink sink, Clock clock) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(sink, "sink");
        AtomicInteger sessions = new AtomicInteger();
        return TcpServer.create()
                .bindAddress(settings::bind)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .doOnConnection(conn -> {
                    conn.onDispose(sessions::decrementAndGet);
                    if (sessions.incrementAndGet() > settings.sessionLimit()) {
                        conn.channel().writeAndFlush(Unpooled.copiedBuffer(
                                "421 4.3.2 " + settings.hostname() + " Service currently unavailable\r\n",
                                StandardCharsets.US_ASCII)).addListener(ChannelFutureListener.CLOSE);
                        return;
                    }
                    InetSocketAddress peer = (InetSocketAddress) conn.channel().remoteAddress();
                    ServerSession session = new ServerSession(settings, sink, peer.getAddress(), clock);
                    long idle = settings.idleTimeout().toMillis();
                    conn.addHandlerLast("smtpd-idle", new IdleStateHandler(idle, 0, 0, TimeUnit.MILLISECONDS))
                            .addHandlerLast("smtpd", new SmtpServerHandler(session, settings));
                })
                .handle((in, out) -> in.receive().then()) // asks for every byte; SmtpServerHandler consumes them
                .bind()
                .map(server -> new SmtpListener(server, sessions));
    }

    /** The bound address (the port, when 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.address();
    }

    public int port() {
        return address().getPort();
    }

    /** Sessions open right now. */
    public int sessions() {
        return sessions.get();
    }

    /** Stops accepting and closes the listening socket; open sessions are closed too. */
    @Override
    public void close() {
        server.disposeNow();
    }
}
