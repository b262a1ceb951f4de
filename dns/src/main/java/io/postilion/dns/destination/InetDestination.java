package io.postilion.dns.destination;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * A TCP destination: a domain (MX/SRV lookups allowed) or a bracketed host (address lookup only),
 * with its port.
 *
 * @param nexthop the item as written, brackets and {@code :service} included: the key for TLS policy,
 *     SASL and connection-cache lookups (DEST-15)
 * @param host the host part as written, without brackets or {@code IPv6:} prefix (the "nexthop domain")
 * @param queryName the host in A-label form, used for every DNS query (DEST-16)
 * @param bracketed whether brackets suppress MX and SRV lookups (DEST-10)
 * @param literal the numeric address when the host is one (bracketed or not)
 * @param service the service as written, or the default service when none was written (LOOKUP-1)
 * @param port the port the service maps to
 * @param fallbackRelay whether this item came from the fallback relay setting
 */
public record InetDestination(
        String nexthop,
        String host,
        String queryName,
        boolean bracketed,
        Optional<InetAddress> literal,
        String service,
        int port,
        boolean fallbackRelay) implements Destination {

    public InetDestination {
        Objects.requireNonNull(nexthop, "nexthop");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(queryName, "queryName");
        Objects.requireNonNull(literal, "literal");
        Objects.requireNonNull(service, "service");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** The same destination marked as coming from the fallback relay list. */
    public InetDestination asFallbackRelay() {
        return new InetDestination(nexthop, host, queryName, bracketed, literal, service, port, true);
    }
}
