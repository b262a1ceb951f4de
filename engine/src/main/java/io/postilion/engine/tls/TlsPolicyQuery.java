package io.postilion.engine.tls;

import io.postilion.dns.ServerRrset;
import io.postilion.dns.Target;
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
 * @param target how DNS found the server (address validation, query and canonical names); null for
 *     a UNIX-domain socket (TLS-8)
 * @param rrset the MX/SRV RRset the server came from (TLS-8's "insecure MX")
 * @param requireTls the message asked for REQUIRETLS (TLS-19)
 * @param tlsRequiredNo the message has the header "TLS-Required: no" (TLS-20)
 */
public record TlsPolicyQuery(String nexthop, String nexthopDomain, String hostname, int port, boolean unixSocket,
        Target target, ServerRrset rrset, boolean requireTls, boolean tlsRequiredNo) {

    /** A query for a message that asked nothing of TLS. */
    public TlsPolicyQuery(String nexthop, String nexthopDomain, String hostname, int port, boolean unixSocket,
            Target target, ServerRrset rrset) {
        this(nexthop, nexthopDomain, hostname, port, unixSocket, target, rrset, false, false);
    }

    /** The same server for a message with these TLS requests (TLS-19, TLS-20). */
    public TlsPolicyQuery forMessage(boolean requireTlsAsked, boolean noTlsRequired) {
        return new TlsPolicyQuery(nexthop, nexthopDomain, hostname, port, unixSocket, target, rrset, requireTlsAsked,
                noTlsRequired);
    }

    public TlsPolicyQuery {
        Objects.requireNonNull(nexthop, "nexthop");
        Objects.requireNonNull(nexthopDomain, "nexthopDomain");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(rrset, "rrset");
    }

    /** A server whose DNS origin is unknown (a UNIX-domain socket, or a test): DANE cannot apply. */
    public TlsPolicyQuery(String nexthop, String nexthopDomain, String hostname, int port, boolean unixSocket) {
        this(nexthop, nexthopDomain, hostname, port, unixSocket, null, ServerRrset.NONE);
    }
}
