package io.postilion.transport.cache;

import java.util.Locale;
import java.util.Objects;

/**
 * What a parked connection is filed under (CACHE-5, CACHE-6, CACHE-8). Every component must match
 * for reuse, so a connection is never reused across TLS levels, SMTPUTF8 needs, REQUIRETLS levels
 * or SASL identities. The agent fills the TLS component (CACHE-12): the level of the policy
 * computed for the server (plus the next hop at a level that must match the certificate) for an
 * endpoint key; for a next-hop key the configured level on lookup and the level the session ran
 * at on storage, which differ only for a plaintext retry (TLS-11), so that one is never reused
 * at may.
 *
 * @param kind NEXTHOP (the request's first destination as written) or ENDPOINT (address and port)
 * @param transport smtp or lmtp
 * @param destination the first destination item, or the endpoint as {@code address:port} / socket path
 * @param tlsLevel the TLS security level in force (and, at verify/secure, the next hop: CACHE-6)
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
