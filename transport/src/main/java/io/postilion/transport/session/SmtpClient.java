package io.postilion.transport.session;

import io.netty.channel.ChannelOption;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Objects;
import reactor.core.publisher.Mono;
import reactor.netty.tcp.TcpClient;

/**
 * Opens client sessions: connects to an {@link Endpoint} over TCP or a UNIX-domain socket (with
 * Netty's native epoll transport) within smtp_connect_timeout, and hands back a session ready for
 * its handshake, or the connect failure as a value (SESS-4, SESS-6).
 *
 * <p>An immutable value, like Reactor Netty's own clients: {@link #settings(SessionSettings)}
 * returns a new client. Connections are not pooled by Reactor Netty: each session owns its
 * connection, and reuse is the connection cache's business (spec section 10), so no pool limit
 * caps the number of sessions.
 */
public final class SmtpClient {

    private final SessionSettings settings;
    private final TcpClient tcp;

    private SmtpClient(SessionSettings settings, TcpClient tcp) {
        this.settings = settings;
        this.tcp = tcp;
    }

    public static SmtpClient create(SessionSettings settings) {
        return new SmtpClient(Objects.requireNonNull(settings, "settings"), TcpClient.newConnection().option(ChannelOption.TCP_NODELAY, true));
    }

    public SmtpClient settings(SessionSettings s) {
        return new SmtpClient(Objects.requireNonNull(s, "settings"), tcp);
    }

    public SessionSettings settings() {
        return settings;
    }

    /** Connects; the result holds either a session or the failure (4.4.1, "connect to HOST[ADDR]:PORT: ..."). */
    public Mono<Connected> connect(Endpoint endpoint) {
        Duration limit = settings.timeouts().connect();
        TcpClient client = tcp.remoteAddress(endpoint::address);
        if (!limit.isZero()) {
            client = client.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, limit.toMillis()));
        }
        return client
                .doOnChannelInit((observer, channel, remote) -> SmtpSession.install(channel, endpoint, settings))
                .connect()
                .map(c -> new Connected(SmtpSession.of(c), null))
                .onErrorResume(e -> Mono.just(new Connected(null, new StageFailure(Stage.CONNECT, StageFailure.Kind.LOST, null,
                        "4.4.1", "connect to " + endpoint.displayWithPort() + ": " + reason(e)))));
    }

    /** The system error alone, as Postfix prints it: "Connection refused", not Netty's decorations. */
    static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && !(t instanceof java.io.IOException)) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            return t.getClass().getSimpleName();
        }
        int native_ = m.indexOf("): "); // epoll: "finishConnect(..) failed with error(-111): Connection refused: ..."
        if (m.contains("failed with error(") && native_ > 0) {
            m = m.substring(native_ + 3);
        }
        int address = m.indexOf(": "); // the address that follows; the caller names it already
        if (address > 0) {
            m = m.substring(0, address);
        }
        return m;
    }

    /** A connect attempt's result: a session, or why there is none. */
    public record Connected(SmtpSession session, StageFailure failure) {
        public boolean ok() {
            return session != null;
        }
    }
}
