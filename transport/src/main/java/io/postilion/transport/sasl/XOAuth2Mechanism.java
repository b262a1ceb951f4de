package io.postilion.transport.sasl;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * XOAUTH2 (Google's and Microsoft's bearer-token mechanism): one initial response,
 * {@code user=NAME ^A auth=Bearer TOKEN ^A ^A}, the token being the password map's password
 * field (CLARIFICATIONS 42). On failure the server sends a 334 carrying a JSON error and waits
 * for an empty line before its final 5xx; that empty answer is all this mechanism ever gives.
 */
final class XOAuth2Mechanism implements SaslMechanism {

    private final SaslCredentials credentials;

    XOAuth2Mechanism(SaslCredentials credentials) {
        this.credentials = credentials;
    }

    @Override
    public String name() {
        return "XOAUTH2";
    }

    @Override
    public Optional<byte[]> initialResponse() {
        String s = "user=" + credentials.username() + "\u0001auth=Bearer " + credentials.password() + "\u0001\u0001";
        return Optional.of(s.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] evaluate(byte[] challenge) {
        return new byte[0];
    }
}
