package io.postilion.engine.notice;

/**
 * The three delivery status notices a sender can get (RFC 3464): a bounce, a delay warning, a
 * success report (NOTIFY=SUCCESS). Each has its own subject line and DSN action.
 */
public enum NoticeKind {
    FAILURE("Undelivered Mail Returned to Sender", "failed"),
    DELAY("Delayed Mail (still being retried)", "delayed"),
    SUCCESS("Successful Mail Delivery Report", "relayed");

    private final String subject;
    private final String action;

    NoticeKind(String subject, String action) {
        this.subject = subject;
        this.action = action;
    }

    public String subject() {
        return subject;
    }

    /** The default Action: field; a success may also be "delivered". */
    public String action() {
        return action;
    }
}
