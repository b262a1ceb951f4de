package io.postilion.transport.cache;

import java.util.Locale;
import java.util.Objects;

/**
 * What a parked connection is filed under (CACHE-5, CACHE-6, CACHE-8). Every component must match
 * for reuse, so a connection is never reused across TLS levels, SMTPUTF8 needs, REQUIRETLS levels
 * or SASL identities. The TLS component is the configured level for both lookup and storage
 * (CACHE-12 notes Postfix computes them differently; we do not).
 *
 * @param kind NEXTHOP (the request's first destination as written) or ENDPOINT (address and port)
 * @param transport smtp or lmtp
 * @param destination the first destination item, or the endpoint as {@code address:port} / socket path
 * @param tlsLevel the TLS security level in force
 * @param smtputf8Required whether the message needs SMTPUTF8
 * @param requireTls the REQUIRETLS level, empty while REQUIRETLS is not built
 * @param saslIdentity with client SASL on, whose credentials a session may carry (SASL-11): the
 *     request's next hop, the server's name and, with sender-dependent authentication, the
 *     sender; empty without SASL
 */
public record CacheKey(Kind kind, String transport, String destination, String tlsLevel, boolean smtputf8Required,
        String requireTls, String saslIdentity) {

    /** Which of the two lookups a key serves. */
    public enum Kind { NEXTHOP, ENDPOINT }

    public CacheKey {
        Objects.requireNonNull(kind, "kind");
        transport = transport.toLowerCase(Locale.ROOT);
        destination = destination.toLowerCase(Locale.ROOT);
        Objects.requireNonNull(tlsLevel, "tlsLevel");
        Objects.requireNonNull(requireTls, "requireTls");
        Objects.requireNonNull(saslIdentity, "saslIdentity");
    }

    public static CacheKey nexthop(String transport, String firstDestination, String tlsLevel, boolean smtputf8) {
        return new CacheKey(Kind.NEXTHOP, transport, firstDestination, tlsLevel, smtputf8, "", "");
    }

    public static CacheKey endpoint(String transport, String endpoint, String tlsLevel, boolean smtputf8) {
        return new CacheKey(Kind.ENDPOINT, transport, endpoint, tlsLevel, smtputf8, "", "");
    }

    /** The same key for sessions that may carry the credentials {@code identity} stands for (SASL-11). */
    public CacheKey withSaslIdentity(String identity) {
        return new CacheKey(kind, transport, destination, tlsLevel, smtputf8Required, requireTls, identity);
    }
}
