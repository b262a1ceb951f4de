package io.postilion.transport.session;

/**
 * Carries a {@link StageFailure} through a Reactor error signal inside the session; it never
 * leaves the session API, where every stage ends in a value.
 */
final class SessionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient StageFailure failure;

    SessionException(StageFailure failure) {
        super(failure.text(), null, false, false);
        this.failure = failure;
    }

    StageFailure failure() {
        return failure;
    }
}
