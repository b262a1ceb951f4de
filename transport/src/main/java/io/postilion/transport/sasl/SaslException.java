package io.postilion.transport.sasl;

/**
 * A mechanism cannot go on: a challenge it cannot parse, a server signature that does not verify,
 * more steps than the mechanism has. The message is the reason Postfix's logs give after
 * "cannot authenticate to server HOST[ADDR]: " and never holds a secret.
 */
public final class SaslException extends Exception {

    private static final long serialVersionUID = 1L;

    public SaslException(String reason) {
        super(reason);
    }

    public SaslException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
