package io.postilion.transport.protocol;

/**
 * How the message content was classified at queue time, which decides the MAIL FROM
 * {@code BODY=} parameter (XFER-3): {@code BODY=7BIT}, {@code BODY=8BITMIME} or none.
 */
public enum BodyType {
    SEVEN_BIT,
    EIGHT_BIT,
    UNKNOWN
}
