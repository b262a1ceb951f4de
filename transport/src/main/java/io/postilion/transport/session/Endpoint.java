package io.postilion.transport.session;

import io.netty.channel.unix.DomainSocketAddress;
import io.postilion.dns.AddressText;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;

/**
 * One concrete server: a host name (for diagnostics and the EHLO loop check) and the address to
 * connect to, either IP and port or a UNIX-domain socket path (LMTP).
 */
public record Endpoint(String hostname, SocketAddress address) {

    public Endpoint {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(address, "address");
        if (address instanceof InetSocketAddress inet && inet.isUnresolved()) {
            throw new IllegalArgumentException("endpoint address must be resolved: " + inet);
        }
    }

    public static Endpoint inet(String hostname, InetSocketAddress address) {
        return new Endpoint(hostname, address);
    }

    public static Endpoint unix(String hostname, String path) {
        return new Endpoint(hostname, new DomainSocketAddress(path));
    }

    public boolean isUnixSocket() {
        return address instanceof DomainSocketAddress;
    }

    /**
     * The address alone: the IP address as text, or the socket path; the key of the per-server
     * tables (SESS-13, SESS-18), as Postfix looks them up with the address it connected to.
     */
    public String addressText() {
        if (address instanceof InetSocketAddress inet) {
            return AddressText.of(inet.getAddress());
        }
        return ((DomainSocketAddress) address).path();
    }

    /** HOST[ADDR], as in "host mx.example[192.0.2.1] said: ..."; HOST[PATH] for a socket. */
    public String display() {
        return hostname + "[" + addressText() + "]";
    }

    /** HOST[ADDR]:PORT, as in connect errors and the log's relay= field; HOST[PATH] for a socket. */
    public String displayWithPort() {
        if (address instanceof InetSocketAddress inet) {
            return display() + ":" + inet.getPort();
        }
        return display();
    }
}
