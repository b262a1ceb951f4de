package io.postilion.transport.sasl;

import java.util.Optional;

/**
 * One client side of one SASL exchange (SASL-5..7): what to send with AUTH, what to answer to each
 * 334 challenge, and whether the exchange may count as done when the server says 235. An instance
 * serves one exchange and is then dropped. Payloads are raw bytes; the session does the base64.
 */
public interface SaslMechanism {

    /** The mechanism's name as on the AUTH line, upper case. */
    String name();

    /** The initial response, when the mechanism sends one with AUTH (PLAIN, SCRAM, XOAUTH2). */
    Optional<byte[]> initialResponse() throws SaslException;

    /** The answer to a server challenge (the 334 text, base64-decoded). */
    byte[] evaluate(byte[] challenge) throws SaslException;

    /**
     * Whether a success reply may be believed now. A mechanism that authenticates the server
     * (SCRAM) says no until it has verified the server's signature: a 235 before that is a
     * failure, or an active attacker could claim success.
     */
    default boolean complete() {
        return true;
    }
}
