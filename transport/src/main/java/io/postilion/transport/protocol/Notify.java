package io.postilion.transport.protocol;

/**
 * One DSN NOTIFY condition of a recipient (RFC 3461). The declaration order is the order XFER-5
 * sends them in, so an {@link java.util.EnumSet} iterates correctly.
 */
public enum Notify {
    NEVER,
    SUCCESS,
    FAILURE,
    DELAY
}
