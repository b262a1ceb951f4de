package io.postilion.fleet;

/**
 * A request record that breaks the wire format ({@link RequestCodec}): it can never be
 * delivered as it is, so the consumer logs it and passes over it (its offset is committed);
 * retrying it would stall its partition for good.
 */
public final class BadRequestException extends Exception {

    private static final long serialVersionUID = 1L;

    public BadRequestException(String message) {
        super(message);
    }
}
