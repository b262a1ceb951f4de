package io.postilion.transport.content;

/**
 * The stored content could not be read in full: its source failed, or ended before the size it
 * recorded (DATA-31). Unlike a {@link ContentException}, this is not about the message but about
 * the local copy of it, so the session reports it as a local data error ("local data error while
 * talking to HOST[ADDR]", 4.3.0) and drops the connection without the end-of-data line or the
 * last BDAT chunk: no server may accept part of a message.
 *
 * <p>Unchecked so that it can travel as a Reactor error signal.
 */
public final class ContentReadException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ContentReadException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The source failed while it was read. */
    static ContentReadException of(Throwable cause) {
        return cause instanceof ContentReadException c ? c : new ContentReadException("content read error: " + cause, cause);
    }

    /** The source ended after {@code read} of its {@code size} bytes. */
    static ContentReadException shortContent(long read, long size) {
        return new ContentReadException("content ends after " + read + " of its " + size + " bytes", null);
    }
}
