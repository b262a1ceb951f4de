package io.postilion.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One server to try: where to connect and what to call it.
 *
 * @param hostname the server name for logs, SASL and TLS policy: the MX/SRV target as published (or the
 *     host itself), or the CNAME-expanded name with {@code smtp_cname_overrides_servername} (LOOKUP-14)
 * @param address the IP address
 * @param port the TCP port (the SRV port when SRV chose it)
 * @param preference MX preference or SRV priority; 0 for host lookups
 * @param dnssecValidated whether the address record came with the AD bit
 * @param queryName the name whose address was asked for, in A-label form (LOOKUP-14's qname; DANE's
 *     "original name", TLS-8); the literal's text for a numeric host
 * @param canonicalName the owner of the address record after CNAME expansion (LOOKUP-14's rname); equal
 *     to {@code queryName} when no CNAME was followed
 */
public record Target(String hostname, InetAddress address, int port, int preference, boolean dnssecValidated,
        String queryName, String canonicalName) {

    public Target {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(queryName, "queryName");
        Objects.requireNonNull(canonicalName, "canonicalName");
    }

    /** A server whose name was not expanded: query and canonical name are {@code hostname}. */
    public Target(String hostname, InetAddress address, int port, int preference, boolean dnssecValidated) {
        this(hostname, address, port, preference, dnssecValidated, hostname, hostname);
    }

    /** Whether the address was reached through a CNAME (TLS-8: the TLSA lookup then has two names to try). */
    public boolean alias() {
        return !queryName.equalsIgnoreCase(canonicalName);
    }

    /** The socket address; built from the IP, so no name-service lookup. */
    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(address, port);
    }

    public boolean ipv6() {
        return address instanceof java.net.Inet6Address;
    }

    /** {@code host[addr]:port}, as Postfix logs a relay. */
    @Override
    public String toString() {
        return hostname + "[" + AddressText.of(address) + "]:" + port;
    }
}
