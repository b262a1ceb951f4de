package io.postilion.tls.sts;

/**
 * Why a policy could not be fetched over HTTPS (RFC 8461 section 3.3): a status other than 200, a
 * redirect, a wrong media type, a body over the size limit, a certificate the Web PKI does not
 * vouch for, a timeout. The cache then decides: an unexpired cached policy stays in force,
 * otherwise the domain has no policy (section 5.1).
 */
public final class StsFetchException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StsFetchException(String message) {
        super(message);
    }

    public StsFetchException(String message, Throwable cause) {
        super(message, cause);
    }
}
