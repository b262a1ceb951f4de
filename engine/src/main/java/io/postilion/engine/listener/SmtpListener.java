package io.postilion.engine.listener;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpServer;

/**
 * The relay's SMTP server: accepts mail from applications and hands each message to a
 * {@link MessageSink}, replying 250 only once the sink has it safe. Relaying is allowed for
 * mynetworks only; everyone else is refused at RCPT, so the relay is never open.
 *
 * <p>Admission, before a session exists: at most default_process_limit sessions, of which
 * smtpd_mynetworks_reserved_sessions are kept for mynetworks clients, so clients elsewhere can
 * fill the listener but never lock its owners out; per client address, anvil's connection count
 * and rate limits. While the slots for outsiders are all taken the listener is "under stress" and
 * sessions run under Postfix's stress limits (10 s timeouts with per-request deadlines, one error,
 * one junk command), so slow clients give their slots back quickly.
 */
public final class SmtpListener implements AutoCloseable {

    /** Per-connection outbound buffer bounds: above the high mark the handler stops reading. */
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(16 * 1024, 64 * 1024);

    private final DisposableServer server;
    private final AtomicInteger sessions;

    private SmtpListener(DisposableServer server, AtomicInteger sessions) {
        this.server = server;
        this.sessions = sessions;
    }

    /** Binds and starts accepting; the Mono completes once the port is bound. */
    public static Mono<SmtpListener> start(ListenerSettings settings, MessageSink sink, Clock clock) {
        return start(settings, sink, clock, SmtpdLog.standard());
    }

    /** As {@link #start(ListenerSettings, MessageSink, Clock)}, logging to {@code log}. */
    public static Mono<SmtpListener> start(ListenerSettings settings, MessageSink sink, Clock clock, SmtpdLog log) {
        return start(settings, sink, clock, log, ListenerMeters.none());
    }

    /** As {@link #start(ListenerSettings, MessageSink, Clock, SmtpdLog)}, counting into {@code meters}. */
    public static Mono<SmtpListener> start(ListenerSettings settings, MessageSink sink, Clock clock, SmtpdLog log,
            ListenerMeters meters) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(meters, "meters");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(log, "log");
        AtomicInteger sessions = new AtomicInteger();
        ClientLimiter limiter = new ClientLimiter(settings.clients(), System::nanoTime);
        int outsiderSlots = settings.sessionLimit() - settings.mynetworksReserve();
        return TcpServer.create()
                .runOn(settings.transport().loops())
                .bindAddress(settings::bind)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .doOnConnection(conn -> {
                    InetAddress client = ((InetSocketAddress) conn.channel().remoteAddress()).getAddress();
                    boolean trusted = settings.mynetworks().contains(client);
                    int open = sessions.incrementAndGet();
                    conn.onDispose(sessions::decrementAndGet);
                    if (open > settings.sessionLimit() || !trusted && open > outsiderSlots) {
                        log.warn("connection refused: " + (open - 1) + " sessions open (default_process_limit "
                                + settings.sessionLimit() + ", " + settings.mynetworksReserve()
                                + " kept for mynetworks) from unknown[" + io.postilion.dns.AddressText.of(client) + "]");
                        meters.reject(ListenerMeters.Reason.SESSION_LIMIT);
                        refuse(conn, "421 4.3.2 " + settings.hostname() + " Service currently unavailable");
                        return;
                    }
                    String anvil = limiter.connect(client);
                    if (anvil != null) {
                        log.warn("Connection " + (anvil.equals("count") ? "concurrency" : "rate") + " limit exceeded: from unknown["
                                + io.postilion.dns.AddressText.of(client) + "] for service smtpd");
                        meters.reject(ListenerMeters.Reason.CONNECTION_LIMIT);
                        refuse(conn, "421 4.7.0 " + settings.hostname() + " Error: too many connections from "
                                + io.postilion.dns.AddressText.of(client));
                        return;
                    }
                    conn.onDispose(() -> limiter.disconnect(client));
                    ServerSession session = new ServerSession(settings, sink, client, clock,
                            () -> sessions.get() >= outsiderSlots, limiter, log, meters);
                    conn.addHandlerLast("smtpd", new SmtpServerHandler(session, settings));
                })
                .handle((in, out) -> in.receive().then()) // asks for every byte; SmtpServerHandler consumes them
                .bind()
                .map(server -> new SmtpListener(server, sessions));
    }

    private static void refuse(Connection conn, String reply) {
        conn.channel().writeAndFlush(Unpooled.copiedBuffer(reply + "\r\n", StandardCharsets.US_ASCII))
                .addListener(ChannelFutureListener.CLOSE);
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
