package io.postilion.transport.netty;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.channel.unix.ServerDomainSocketChannel;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerDomainSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.EnumMap;
import java.util.Map;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

/**
 * The event loops of one {@link NettyTransport}, one group per process, shaped as Reactor Netty's
 * {@link LoopResources}: clients, servers and their accept loops all run on the same group (as on
 * Reactor Netty's default loops), sized as Reactor Netty sizes its own (reactor.netty.ioWorkerCount,
 * at least 4). The threads are Netty's FastThreadLocalThreads, which BlockHound treats as
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

    private TransportLoops(NettyTransport transport) {
        this.transport = transport;
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
                    g = new MultiThreadIoEventLoopGroup(LoopResources.DEFAULT_IO_WORKER_COUNT,
                            new DefaultThreadFactory("postilion-" + transport.parameterValue(), true), factory(transport));
                    group = g;
                }
            }
        }
        return g;
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
     * Reactor Netty 1.3.8 maps its channel types to io_uring classes only for TCP and UDP; UNIX
     * sockets (LMTP to unix:/path) need Netty's io_uring domain socket classes named here.
     */
    @Override
    @SuppressWarnings("unchecked")
    public <C extends Channel> C onChannel(Class<C> type, EventLoopGroup loops) {
        if (transport == NettyTransport.IO_URING) {
            if (type.equals(DomainSocketChannel.class)) {
                return (C) new IoUringDomainSocketChannel();
            }
            if (type.equals(ServerDomainSocketChannel.class)) {
                return (C) new IoUringServerDomainSocketChannel();
            }
        }
        return LoopResources.super.onChannel(type, loops);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <C extends Channel> Class<? extends C> onChannelClass(Class<C> type, EventLoopGroup loops) {
        if (transport == NettyTransport.IO_URING) {
            if (type.equals(DomainSocketChannel.class)) {
                return (Class<? extends C>) IoUringDomainSocketChannel.class;
            }
            if (type.equals(ServerDomainSocketChannel.class)) {
                return (Class<? extends C>) IoUringServerDomainSocketChannel.class;
            }
        }
        return LoopResources.super.onChannelClass(type, loops);
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
