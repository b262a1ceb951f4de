package io.postilion.engine.tls;

import java.util.Objects;

/**
 * The server a policy is computed for: TLS-3's (current next hop, server host name, port) and
 * what the later steps need about how the server was found.
 *
 * @param nexthop the next hop as written (brackets and port kept): the policy table's first key
 * @param nexthopDomain the next-hop domain before any MX lookup, without brackets or port (TLS-7's
 *     {@code nexthop}; $myhostname for a UNIX-domain LMTP server)
 * @param hostname the server's host name (TLS-7's {@code hostname})
 * @param port the TCP port; 0 for a UNIX-domain socket
 * @param unixSocket the server is a UNIX-domain LMTP socket (SESS-6)
 * @param requireTls the message asked for REQUIRETLS (TLS-19)
 * @param tlsRequiredNo the message has the header "TLS-Required: no" (TLS-20)
 */
public record TlsPolicyQuery(String nexthop, String nexthopDomain, String hostname, int port, boolean unixSocket,
        boolean requireTls, boolean tlsRequiredNo) {

    /** A query for a message that asked nothing of TLS. */
    public TlsPolicyQuery(String nexthop, String nexthopDomain, String hostname, int port, boolean unixSocket) {
        this(nexthop, nexthopDomain, hostname, port, unixSocket, false, false);
    }

    public TlsPolicyQuery {
        Objects.requireNonNull(nexthop, "nexthop");
        Objects.requireNonNull(nexthopDomain, "nexthopDomain");
        Objects.requireNonNull(hostname, "hostname");
    }
}
