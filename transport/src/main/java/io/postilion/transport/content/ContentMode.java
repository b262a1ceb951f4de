package io.postilion.transport.content;

/**
 * How message content travels: after DATA, where a line starting with a dot must be stuffed so it
 * cannot end the transfer early (DATA-2), or inside BDAT chunks, whose byte counts delimit the
 * content so nothing is stuffed (CLARIFICATIONS 26).
 */
public enum ContentMode {
    /** Content follows a DATA command: dot-stuffed, ended by the {@code .} line. */
    DATA,
    /** Content is carried by BDAT chunks: never stuffed, no end-of-data line. */
    BDAT
}
