package io.postilion.transport.netty;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.util.Locale;
import java.util.Optional;
import reactor.netty.resources.LoopResources;

/**
 * Which of Netty's transports carries Postilion's SMTP connections, client and listener alike:
 * the value of {@code netty_transport} (CLARIFICATIONS 42). Each value owns one process-wide set of
 * event loops, so the SMTP client, the listener, /metrics and the MTA-STS fetch of one process
 * share them, as they shared Reactor Netty's default loops before.
 *
 * <p>The choice is always explicit. Reactor Netty, left to itself, takes io_uring whenever its jar
 * is present and the kernel allows it, then epoll, then NIO: with the io_uring jar on the class
 * path that would switch every default server and client to io_uring behind the operator's back.
 * And a transport that is not available is reported ({@link #unavailabilityCause()}), never
 * replaced by another one.
 */
public enum NettyTransport {

    /** Linux epoll, through Netty's native library: the default, as Postilion ran before. */
    EPOLL("epoll"),
    /** Linux io_uring (kernel 5.14 or later, and not disabled by kernel.io_uring_disabled). */
    IO_URING("io_uring"),
    /** The JDK's selector: portable, and the choice where no native transport loads. */
    NIO("nio");

    private final String parameterValue;

    NettyTransport(String parameterValue) {
        this.parameterValue = parameterValue;
    }

    /** The transport's name as netty_transport spells it: epoll, io_uring or nio. */
    public String parameterValue() {
        return parameterValue;
    }

    /** The transport a netty_transport value names (case does not matter), or empty for an unknown one. */
    public static Optional<NettyTransport> byName(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (NettyTransport t : values()) {
            if (t.parameterValue.equals(v)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /**
     * Why this transport cannot run in this process (Netty's own finding: the native library
     * did not load, the kernel refused io_uring, -Dio.netty.transport.noNative), or null when it can.
     */
    public Throwable unavailabilityCause() {
        switch (this) {
            case EPOLL:
                return Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
            case IO_URING:
                return IoUring.isAvailable() ? null : IoUring.unavailabilityCause();
            default:
                return null;
        }
    }

    /**
     * This transport's event loops, shared by every client and server that runs on them until the
     * process ends (daemon threads named
     * {@code postilion-<transport>-...}). They name the channel class of each kind themselves, so
     * a connection made on them is a channel of this transport (Netty would refuse to register
     * any other kind with these loops).
     *
     * <p>The group is made when the first channel needs it; on a machine without this transport
     * that first connection or bind fails with an IllegalStateException naming Netty's reason.
     */
    public LoopResources loops() {
        return TransportLoops.of(this);
    }

    /**
     * {@code address} as this transport's channels take it: NIO's UNIX sockets are the JDK's and
     * want the JDK's address ({@link java.net.UnixDomainSocketAddress}), not Netty's
     * DomainSocketAddress, which the native transports take. Other addresses are returned as they are.
     */
    public java.net.SocketAddress address(java.net.SocketAddress address) {
        if (this == NIO && address instanceof io.netty.channel.unix.DomainSocketAddress unix) {
            return java.net.UnixDomainSocketAddress.of(unix.path());
        }
        return address;
    }

    @Override
    public String toString() {
        return parameterValue;
    }
}
