package io.postilion.transport.session;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Why it exists: Postfix lets the operator choose the local address of outgoing connections
 * (SESS-5), and that choice depends on the server's address family, so it is made per connect.
 * This value holds the configured addresses and picks the one for a given server.
 *
 * @param bind4 {@code smtp_bind_address} for IPv4 servers, or null (empty)
 * @param bind6 {@code smtp_bind_address6} for IPv6 servers, or null (empty)
 * @param enforce {@code smtp_bind_address_enforce}: a failed bind of a configured address fails the
 *     connection (4.4.0 "server configuration error") instead of a warning and an unbound connect
 * @param interface4 the only IPv4 address of {@code inet_interfaces} when it is not loopback, used when
 *     {@code bind4} is empty (a failed bind is only a warning), or null
 * @param interface6 the same for IPv6, or null
 */
public record SourceAddress(InetAddress bind4, InetAddress bind6, boolean enforce, InetAddress interface4,
        InetAddress interface6) {

    /** No binding: the operating system chooses the source address. */
    public static final SourceAddress NONE = new SourceAddress(null, null, false, null, null);

    public SourceAddress {
        if (bind4 != null && !(bind4 instanceof Inet4Address)) {
            throw new IllegalArgumentException("not an IPv4 address: " + bind4.getHostAddress());
        }
        if (bind6 != null && !(bind6 instanceof Inet6Address)) {
            throw new IllegalArgumentException("not an IPv6 address: " + bind6.getHostAddress());
        }
        if (interface4 != null && !(interface4 instanceof Inet4Address)) {
            throw new IllegalArgumentException("not an IPv4 address: " + interface4.getHostAddress());
        }
        if (interface6 != null && !(interface6 instanceof Inet6Address)) {
            throw new IllegalArgumentException("not an IPv6 address: " + interface6.getHostAddress());
        }
    }

    /**
     * The local address for a connection to {@code server}, or null for none.
     *
     * @param address where to bind
     * @param enforced whether a failed bind fails the connection (only for a configured address)
     */
    public record Choice(InetAddress address, boolean enforced) {
    }

    /** SESS-5: the configured address of the server's family, else the single non-loopback interface. */
    public Choice choose(InetAddress server) {
        boolean v6 = server instanceof Inet6Address;
        InetAddress configured = v6 ? bind6 : bind4;
        if (configured != null) {
            return new Choice(configured, enforce);
        }
        InetAddress implicit = v6 ? interface6 : interface4;
        return implicit == null ? null : new Choice(implicit, false);
    }
}
