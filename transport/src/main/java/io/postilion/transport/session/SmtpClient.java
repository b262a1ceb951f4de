package io.postilion.transport.session;

import io.netty.channel.ChannelOption;
import io.postilion.tls.TlsPolicy;
import io.postilion.transport.netty.NettyTransport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import reactor.core.publisher.Mono;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.tcp.TcpClient;

/**
 * Opens client sessions: connects to an {@link Endpoint} over TCP or a UNIX-domain socket (on the
 * Netty transport netty_transport chose, native epoll unless told otherwise) within
 * smtp_connect_timeout, and hands back a session ready for its handshake, or the connect failure
 * as a value (SESS-4, SESS-6).
 *
 * <p>An immutable value, like Reactor Netty's own clients: {@link #settings(SessionSettings)}
 * returns a new client. Connections are not pooled by Reactor Netty: each session owns its
 * connection, and reuse is the connection cache's business (spec section 10), so no pool limit
 * caps the number of sessions.
 */
public final class SmtpClient {

    private static final Logger LOG = LoggerFactory.getLogger(SmtpClient.class);

    private final SessionSettings settings;
    private final TcpClient tcp;
    private final SourceAddress source;
    private final NettyTransport transport;

    private SmtpClient(SessionSettings settings, TcpClient tcp, SourceAddress source, NettyTransport transport) {
        this.settings = settings;
        this.tcp = tcp;
        this.source = source;
        this.transport = transport;
    }

    /** A client on the default transport, epoll. */
    public static SmtpClient create(SessionSettings settings) {
        return new SmtpClient(Objects.requireNonNull(settings, "settings"), tcpOn(NettyTransport.EPOLL),
                SourceAddress.NONE, NettyTransport.EPOLL);
    }

    private static TcpClient tcpOn(NettyTransport transport) {
        return TcpClient.newConnection().runOn(transport.loops()).option(ChannelOption.TCP_NODELAY, true);
    }

    public SmtpClient settings(SessionSettings s) {
        return new SmtpClient(Objects.requireNonNull(s, "settings"), tcp, source, transport);
    }

    /** The same client, binding TCP connections to a local address as SESS-5 says. */
    public SmtpClient source(SourceAddress s) {
        return new SmtpClient(settings, tcp, Objects.requireNonNull(s, "source"), transport);
    }

    /** The same client, connecting on {@code t}'s event loops (netty_transport). */
    public SmtpClient transport(NettyTransport t) {
        return new SmtpClient(settings, tcpOn(Objects.requireNonNull(t, "transport")), source, t);
    }

    public NettyTransport transport() {
        return transport;
    }

    public SourceAddress source() {
        return source;
    }

    public SessionSettings settings() {
        return settings;
    }

    /**
     * Connects; the result holds either a session or the failure (4.4.1, "connect to HOST[ADDR]:PORT: ...").
     * With a {@link SourceAddress} the socket is first bound to the local address for the server's
     * family (SESS-5): if that bind fails, a warning is logged and the connection is made unbound,
     * unless the address was configured with {@code smtp_bind_address_enforce}, when this server
     * fails with 4.4.0 "server configuration error".
     */
    public Mono<Connected> connect(Endpoint endpoint) {
        return connect(endpoint, settings.tlsPolicy(endpoint.hostname(), endpoint.hostname()));
    }

    /**
     * Connects under the TLS policy computed for this server ({@code tls}: level, context, SNI and
     * certificate check); otherwise as {@link #connect(Endpoint)}.
     */
    public Mono<Connected> connect(Endpoint endpoint, TlsPolicy tls) {
        SourceAddress.Choice choice = endpoint.address() instanceof InetSocketAddress inet
                ? source.choose(inet.getAddress()) : null;
        if (choice == null) {
            return attempt(endpoint, null, tls).onErrorResume(e -> Mono.just(connectFailure(endpoint, e)));
        }
        return attempt(endpoint, choice.address(), tls).onErrorResume(e -> {
            if (!isBindFailure(e)) {
                return Mono.just(connectFailure(endpoint, e));
            }
            LOG.warn("bind {}: {}", io.postilion.dns.AddressText.of(choice.address()), bindReason(e));
            if (choice.enforced()) {
                return Mono.just(new Connected(null, new StageFailure(Stage.CONNECT, StageFailure.Kind.LOCAL, null,
                        "4.4.0", "server configuration error")));
            }
            return attempt(endpoint, null, tls).onErrorResume(e2 -> Mono.just(connectFailure(endpoint, e2)));
        });
    }

    private Mono<Connected> attempt(Endpoint endpoint, InetAddress local, TlsPolicy tls) {
        Duration limit = settings.timeouts().connect();
        TcpClient client = tcp.remoteAddress(() -> transport.address(endpoint.address()));
        if (local != null) {
            InetSocketAddress bindTo = new InetSocketAddress(local, 0);
            client = client.bindAddress(() -> bindTo);
        }
        if (!limit.isZero()) {
            client = client.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, limit.toMillis()));
        }
        return client
                .doOnChannelInit((observer, channel, remote) -> SmtpSession.install(channel, endpoint, settings, tls))
                .connect()
                .map(c -> new Connected(SmtpSession.of(c), null));
    }

    private static Connected connectFailure(Endpoint endpoint, Throwable e) {
        return new Connected(null, new StageFailure(Stage.CONNECT, StageFailure.Kind.LOST, null,
                "4.4.1", "connect to " + endpoint.displayWithPort() + ": " + reason(e)));
    }

    /** The system error of a failed bind, as Postfix's %m prints it: "Cannot assign requested address". */
    static String bindReason(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.contains("bind(") && m.lastIndexOf(": ") > 0) {
                return m.substring(m.lastIndexOf(": ") + 2); // "bind(..) failed...: Cannot assign requested address"
            }
        }
        return reason(e);
    }

    /** A failed bind(2): NIO's BindException, or the native transport's "bind(..) failed: ...". */
    static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException || t instanceof reactor.netty.ChannelBindException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && m.startsWith("bind(")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
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
