package io.postilion.engine.admin;

import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The relay's admin endpoint, apart from the metrics listener: the UNIX socket admin.sock in
 * queue_directory (mode 0600, and only the relay's own uid is served, asked of the kernel), and,
 * when admin_listen is set, a TCP listener that wants the token and its own name in Host.
 */
public final class AdminEndpoint implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminEndpoint.class);
    private static final Duration BIND_WAIT = Duration.ofSeconds(30);

    /**
     * Always epoll, whatever netty_transport says: the peer check needs the epoll domain socket
     * channel (SO_PEERCRED, see PeerCredentialsGuard), and Reactor Netty's default would be
     * io_uring where the kernel allows it. The TCP listener goes with it: the queue commands are
     * not a hot path worth a second choice.
     */
    static final reactor.netty.resources.LoopResources LOOPS = io.postilion.transport.netty.NettyTransport.EPOLL.loops();

    private final Path socket;
    private final DisposableServer unix;
    private final DisposableServer tcp;

    private AdminEndpoint(Path socket, DisposableServer unix, DisposableServer tcp) {
        this.socket = socket;
        this.unix = unix;
        this.tcp = tcp;
    }

    /** Binds the UNIX socket; blocks the calling thread (start-up's) until it is bound. */
    public static AdminEndpoint bindSocket(AdminSettings settings, QueueAdministration queue) {
        Path socket = settings.socket();
        removeStale(socket);
        int ownUid = ownUid();
        AdminRoutes api = new AdminRoutes(queue, new PeerCredentialsGuard(ownUid), socket.toString());
        DisposableServer unix = settings.limits().applyTo(HttpServer.create())
                .runOn(LOOPS)
                .bindAddress(() -> new DomainSocketAddress(socket.toString()))
                .route(api::install)
                .bindNow(BIND_WAIT);
        try {
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            unix.disposeNow();
            throw new IllegalStateException("cannot make " + socket + " mode 0600: " + e.getMessage(), e);
        }
        return new AdminEndpoint(socket, unix, null);
    }

    /**
     * Binds the TCP listener of admin_listen when it is set; blocks until bound. Returns this
     * endpoint with it, or this endpoint when admin_listen is empty.
     */
    public AdminEndpoint bindTcp(AdminSettings settings, QueueAdministration queue) {
        if (settings.tcp().isEmpty()) {
            return this;
        }
        InetSocketAddress bind = settings.tcp().get();
        // Host may name admin_listen as written; the address literal the client connected to
        // (with the real port when admin_listen asks for port 0) is accepted by the guard itself.
        TokenGuard guard = new TokenGuard(settings.token(), Set.of(settings.tcpName()));
        AdminRoutes api = new AdminRoutes(queue, guard, "admin_listen");
        DisposableServer server = settings.limits().applyTo(HttpServer.create())
                .runOn(LOOPS)
                .bindAddress(() -> bind)
                .route(api::install)
                .bindNow(BIND_WAIT);
        return new AdminEndpoint(socket, unix, server);
    }

    public Path socket() {
        return socket;
    }

    /** The TCP listener's port, or -1 when there is none. */
    public int tcpPort() {
        return tcp == null ? -1 : ((InetSocketAddress) tcp.address()).getPort();
    }

    @Override
    public void close() {
        if (tcp != null) {
            tcp.disposeNow();
        }
        unix.disposeNow();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", socket, e.getMessage());
        }
    }

    /**
     * A socket file left by a relay that did not stop cleanly is removed; one that a live relay
     * answers on is not: that is a second relay on the same queue_directory.
     */
    private static void removeStale(Path socket) {
        if (!Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            throw new IllegalStateException("a relay already answers on " + socket);
        } catch (IOException refused) {
            try {
                Files.delete(socket);
                log.info("removed {} left by an earlier run", socket);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove the stale " + socket, e);
            }
        }
    }

    /** The relay's own uid, as the kernel reports it. */
    private static int ownUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot learn the relay's own uid: " + e.getMessage(), e);
        }
    }
}
