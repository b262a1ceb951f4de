package io.postilion.engine.agent;

/**
 * How one recipient ended one delivery attempt (LOG-1), with the word the log line shows and the
 * DSN action that goes with it.
 */
public enum Outcome {
    /** Accepted by the final reply; DSN action relayed (or delivered, REPLY-15). */
    SENT("sent", "relayed"),
    /** Stays queued, retried later. */
    DEFERRED("deferred", "delayed"),
    /** Removed from the queue; a non-delivery notice follows. */
    BOUNCED("bounced", "failed"),
    /** A bounce turned into a deferral by soft_bounce = yes (REPLY-14). */
    SOFTBOUNCE("SOFTBOUNCE", "delayed"),
    /** An address verification probe found the recipient accepted (MISC-1). */
    DELIVERABLE("deliverable", "deliverable"),
    /** An address verification probe found the recipient refused, hard or soft (MISC-1). */
    UNDELIVERABLE("undeliverable", "undeliverable"),
    /**
     * A probe's failure when address_verify_negative_cache = no: the verify service keeps no
     * record of it (Postfix's verify_append, LOG-1, CLARIFICATIONS 7).
     */
    UNDELIVERABLE_NOT_CACHED("undeliverable-but-not-cached", "undeliverable-but-not-cached");

    private final String logWord;
    private final String dsnAction;

    Outcome(String logWord, String dsnAction) {
        this.logWord = logWord;
        this.dsnAction = dsnAction;
    }

    public String logWord() {
        return logWord;
    }

    public String dsnAction() {
        return dsnAction;
    }

    /** What a probe records for the outcome a delivery would have had (MISC-1). */
    public Outcome asProbe() {
        return asProbe(true);
    }

    /**
     * What a probe records: with {@code negativeCache} off (address_verify_negative_cache = no) a
     * failure is "undeliverable-but-not-cached", as Postfix's verify_append logs it.
     */
    public Outcome asProbe(boolean negativeCache) {
        return switch (this) {
            case SENT, DELIVERABLE -> DELIVERABLE;
            case UNDELIVERABLE_NOT_CACHED -> UNDELIVERABLE_NOT_CACHED;
            default -> negativeCache ? UNDELIVERABLE : UNDELIVERABLE_NOT_CACHED;
        };
    }

    /** Whether the recipient stays in the queue. */
    public boolean staysQueued() {
        return this == DEFERRED || this == SOFTBOUNCE;
    }
}
