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
 */
public record Target(String hostname, InetAddress address, int port, int preference, boolean dnssecValidated) {

    public Target {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(address, "address");
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
