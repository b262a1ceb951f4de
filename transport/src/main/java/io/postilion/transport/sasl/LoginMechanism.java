package io.postilion.transport.sasl;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * LOGIN (never standardised; draft-murchison-sasl-login): no initial response, then the user name
 * and the password in answer to the two challenges, whatever their text says (servers differ:
 * "Username:", "User Name", nothing at all).
 */
final class LoginMechanism implements SaslMechanism {

    private final SaslCredentials credentials;
    private int step;

    LoginMechanism(SaslCredentials credentials) {
        this.credentials = credentials;
    }

    @Override
    public String name() {
        return "LOGIN";
    }

    @Override
    public Optional<byte[]> initialResponse() {
        return Optional.empty();
    }

    @Override
    public byte[] evaluate(byte[] challenge) throws SaslException {
        return switch (step++) {
            case 0 -> credentials.username().getBytes(StandardCharsets.UTF_8);
            case 1 -> credentials.password().getBytes(StandardCharsets.UTF_8);
            default -> throw new SaslException("LOGIN has no third step");
        };
    }
}
