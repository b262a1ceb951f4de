package io.postilion.transport.sasl;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * CRAM-MD5 (RFC 2195): the user name, a space, and the lower-case hex HMAC-MD5 of the server's
 * challenge keyed with the password. One step; the password never crosses the wire.
 */
final class CramMd5Mechanism implements SaslMechanism {

    private final SaslCredentials credentials;
    private boolean answered;

    CramMd5Mechanism(SaslCredentials credentials) {
        this.credentials = credentials;
    }

    @Override
    public String name() {
        return "CRAM-MD5";
    }

    @Override
    public Optional<byte[]> initialResponse() {
        return Optional.empty();
    }

    @Override
    public byte[] evaluate(byte[] challenge) throws SaslException {
        if (answered) {
            throw new SaslException("CRAM-MD5 has no second step");
        }
        answered = true;
        if (challenge.length == 0) {
            throw new SaslException("empty CRAM-MD5 challenge");
        }
        try {
            Mac mac = Mac.getInstance("HmacMD5");
            byte[] key = credentials.password().getBytes(StandardCharsets.UTF_8);
            // SecretKeySpec refuses an empty key; RFC 2104 pads any short key with zeros, so one
            // zero byte is the same key as none.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacMD5"));
            String digest = HexFormat.of().formatHex(mac.doFinal(challenge));
            return (credentials.username() + " " + digest).getBytes(StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new SaslException("HMAC-MD5 is not available: " + e.getMessage(), e);
        }
    }
}
