package io.postilion.transport.session;

/**
 * The two wire forms of message content: after DATA it is dot-stuffed and the session appends
 * the final "." line; in BDAT chunks it is sent as is (CRLF-normalised, never stuffed).
 */
public enum ContentMode {
    DATA,
    BDAT
}
