package io.postilion.engine.notice;

/**
 * The three delivery status notices a sender can get (RFC 3464): a bounce, a delay warning, a
 * success report (NOTIFY=SUCCESS). Each has its own subject line and DSN action.
 */
public enum NoticeKind {
    FAILURE("Undelivered Mail Returned to Sender", "Postmaster Copy: Undelivered Mail", "failed"),
    DELAY("Delayed Mail (still being retried)", "Postmaster Warning: Delayed Mail", "delayed"),
    SUCCESS("Successful Mail Delivery Report", "Successful Mail Delivery Report", "relayed");

    private final String subject;
    private final String postmasterSubject;
    private final String action;

    NoticeKind(String subject, String postmasterSubject, String action) {
        this.subject = subject;
        this.postmasterSubject = postmasterSubject;
        this.action = action;
    }

    public String subject() {
        return subject;
    }

    /** The subject of the postmaster's copy (a double bounce), as Postfix's templates have it. */
    public String postmasterSubject() {
        return postmasterSubject;
    }

    /** The default Action: field; a success may also be "delivered". */
    public String action() {
        return action;
    }
}
