package io.postilion.transport.content;

/**
 * A message-level failure found while preparing content, carrying the DSN status and text the
 * delivery reports (for example DATA-13's 5.6.0 "MIME nesting exceeds safety limit"). The session
 * treats it as REPLY-10 says: the recipients fail with this status and, because DATA cannot be
 * cancelled, the connection is dropped without sending the end-of-data line.
 *
 * <p>Unchecked so that it can travel as a Reactor error signal.
 */
public final class ContentException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** DATA-13: the MIME downgrade met more nesting than {@code mime_nesting_limit} allows. */
    public static final String MIME_NESTING_STATUS = "5.6.0";
    /** DATA-13's text for {@link #MIME_NESTING_STATUS}. */
    public static final String MIME_NESTING_TEXT = "MIME nesting exceeds safety limit";

    private final String status;
    private final String text;

    /**
     * @param status the enhanced status code, e.g. {@code 5.6.0}
     * @param text the DSN text
     */
    public ContentException(String status, String text) {
        super(status + " " + text, null, false, false);
        this.status = status;
        this.text = text;
    }

    /** The enhanced status code. */
    public String status() {
        return status;
    }

    /** The DSN text. */
    public String text() {
        return text;
    }
}
