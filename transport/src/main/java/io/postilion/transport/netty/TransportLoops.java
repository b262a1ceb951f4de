package io.postilion.transport.netty;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.channel.unix.ServerDomainSocketChannel;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerDomainSocketChannel;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.EnumMap;
import java.util.Map;
import reactor.core.publisher.Mono;
import reactor.netty.ReactorNetty;
import reactor.netty.resources.LoopResources;

/**
 * The event loops of one {@link NettyTransport}, one group per process, shaped as Reactor Netty's
 * {@link LoopResources}: clients, servers and their accept loops all run on the same group (as on
 * Reactor Netty's default loops), one loop per processor unless reactor.netty.ioWorkerCount says
 * otherwise. Reactor Netty's own default of at least four loops oversubscribes a small machine:
 * on two cores, four loops spent a fifth more CPU per message than two in the load harness (each
 * loop sleeps and is woken more often; docs/benchmarks.md). The threads are Netty's FastThreadLocalThreads, which BlockHound treats as
 * non-blocking, so the tests' guard covers them as it covered the default loops.
 */
final class TransportLoops implements LoopResources {

    private static final Map<NettyTransport, TransportLoops> LOOPS = new EnumMap<>(NettyTransport.class);

    static {
        for (NettyTransport t : NettyTransport.values()) {
            LOOPS.put(t, new TransportLoops(t));
        }
    }

    private final NettyTransport transport;
    private volatile EventLoopGroup group;

    private final Map<Class<?>, Class<? extends Channel>> channels;
    private final Map<Class<?>, ReflectiveChannelFactory<? extends Channel>> factories = new java.util.HashMap<>();

    private TransportLoops(NettyTransport transport) {
        this.transport = transport;
        this.channels = channels();
        channels.forEach((type, c) -> factories.put(type, new ReflectiveChannelFactory<>(c)));
    }

    /** The loops of {@code transport}; their threads start when the first channel needs them. */
    static TransportLoops of(NettyTransport transport) {
        return LOOPS.get(transport);
    }

    /**
     * The group, made at the first use rather than when a client is built, so that building a
     * client never fails: on a machine without the transport the first connection fails, naming
     * the cause (start-up from main.cf checks before that, see NettyTransport#unavailabilityCause).
     */
    private EventLoopGroup group() {
        EventLoopGroup g = group;
        if (g == null) {
            synchronized (this) {
                g = group;
                if (g == null) {
                    Throwable cause = transport.unavailabilityCause();
                    if (cause != null) {
                        throw new IllegalStateException("the " + transport + " transport is not available: " + cause, cause);
                    }
                    g = new MultiThreadIoEventLoopGroup(loopCount(),
                            new DefaultThreadFactory("postilion-" + transport.parameterValue(), true), factory(transport));
                    group = g;
                }
            }
        }
        return g;
    }

    /** reactor.netty.ioWorkerCount when set, else one loop per processor. */
    static int loopCount() {
        String set = System.getProperty(ReactorNetty.IO_WORKER_COUNT);
        if (set != null) {
            try {
                return Math.max(1, Integer.parseInt(set.trim()));
            } catch (NumberFormatException e) {
                // not a number: one loop per processor
            }
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    private static IoHandlerFactory factory(NettyTransport transport) {
        switch (transport) {
            case EPOLL:
                return EpollIoHandler.newFactory();
            case IO_URING:
                return IoUringIoHandler.newFactory();
            default:
                return NioIoHandler.newFactory();
        }
    }

    @Override
    public EventLoopGroup onServer(boolean useNative) {
        return group(); // the transport was chosen by netty_transport; Reactor Netty's preference does not apply
    }

    @Override
    public EventLoopGroup onClient(boolean useNative) {
        return group();
    }

    @Override
    public EventLoopGroup onServerSelect(boolean useNative) {
        return group();
    }

    @Override
    public boolean daemon() {
        return true;
    }

    /**
     * The channel of each kind this transport makes, named here rather than left to Reactor Netty's
     * detection: that detection lives in multi-release classes (io_uring support in Java 11's,
     * NIO's UNIX sockets in Java 17's), which a jar without "Multi-Release: true" silently loses,
     * and Reactor Netty 1.3.8 knows io_uring's UNIX-socket channels only in part (it makes them but
     * cannot name their class). Datagram channels are not used (DNS is dnsjava's own).
     */
    private Map<Class<?>, Class<? extends Channel>> channels() {
        switch (transport) {
            case EPOLL:
                return Map.of(SocketChannel.class, EpollSocketChannel.class,
                        ServerSocketChannel.class, EpollServerSocketChannel.class,
                        DomainSocketChannel.class, EpollDomainSocketChannel.class,
                        ServerDomainSocketChannel.class, EpollServerDomainSocketChannel.class);
            case IO_URING:
                return Map.of(SocketChannel.class, IoUringSocketChannel.class,
                        ServerSocketChannel.class, IoUringServerSocketChannel.class,
                        DomainSocketChannel.class, IoUringDomainSocketChannel.class,
                        ServerDomainSocketChannel.class, IoUringServerDomainSocketChannel.class);
            default:
                return Map.of(SocketChannel.class, NioSocketChannel.class,
                        ServerSocketChannel.class, NioServerSocketChannel.class,
                        DomainSocketChannel.class, NioDomainSocketChannel.class,
                        ServerDomainSocketChannel.class, NioServerDomainSocketChannel.class);
        }
    }

    private ReflectiveChannelFactory<? extends Channel> factory(Class<?> type) {
        ReflectiveChannelFactory<? extends Channel> make = factories.get(type);
        if (make == null) {
            throw new IllegalArgumentException("no " + transport + " channel for " + type.getSimpleName());
        }
        return make;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <C extends Channel> C onChannel(Class<C> type, EventLoopGroup loops) {
        return (C) factory(type).newChannel();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <C extends Channel> Class<? extends C> onChannelClass(Class<C> type, EventLoopGroup loops) {
        Class<? extends Channel> c = channels.get(type);
        if (c == null) {
            throw new IllegalArgumentException("no " + transport + " channel for " + type.getSimpleName());
        }
        return (Class<? extends C>) c;
    }

    /** The loops live as long as the process: a server or client that stops leaves them to the others. */
    @Override
    public Mono<Void> disposeLater(java.time.Duration quietPeriod, java.time.Duration timeout) {
        return Mono.empty();
    }

    @Override
    public Mono<Void> disposeLater() {
        return Mono.empty();
    }
}
