package io.postilion.tls.sts;

/**
 * A policy text or TXT record that RFC 8461's grammar refuses. An invalid policy is treated as no
 * policy (section 3.3), so this never reaches a recipient: it is logged and the cache decides.
 */
public final class InvalidStsPolicyException extends Exception {

    private static final long serialVersionUID = 1L;

    public InvalidStsPolicyException(String message) {
        super(message);
    }
}
