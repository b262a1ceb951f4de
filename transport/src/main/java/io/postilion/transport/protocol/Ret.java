package io.postilion.transport.protocol;

/** The DSN RET request of the sender (RFC 3461), sent as MAIL FROM {@code RET=} (XFER-3). */
public enum Ret {
    /** No RET requested. */
    NONE,
    FULL,
    HDRS
}
