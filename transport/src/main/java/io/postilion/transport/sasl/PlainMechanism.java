package io.postilion.transport.sasl;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * PLAIN (RFC 4616), as SASL-13 encodes it: authzid NUL authcid NUL password in one initial
 * response; the authzid is empty unless send_cyrus_sasl_authzid asks for the user name there.
 */
final class PlainMechanism implements SaslMechanism {

    private final SaslCredentials credentials;

    PlainMechanism(SaslCredentials credentials) {
        this.credentials = credentials;
    }

    @Override
    public String name() {
        return "PLAIN";
    }

    @Override
    public Optional<byte[]> initialResponse() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] user = credentials.username().getBytes(StandardCharsets.UTF_8);
        if (credentials.sendAuthzid()) {
            out.writeBytes(user);
        }
        out.write(0);
        out.writeBytes(user);
        out.write(0);
        out.writeBytes(credentials.password().getBytes(StandardCharsets.UTF_8));
        return Optional.of(out.toByteArray());
    }

    @Override
    public byte[] evaluate(byte[] challenge) throws SaslException {
        throw new SaslException("PLAIN has no step after its initial response");
    }
}
