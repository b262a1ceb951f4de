package io.postilion.engine.delivery;

/**
 * How one recipient ended one delivery attempt (LOG-1), with the word the log line shows and the
 * DSN action that goes with it.
 */
public enum Outcome {
    /** Accepted by the final reply; DSN action relayed (or delivered, REPLY-15). */
    SENT("sent", DsnAction.RELAYED),
    /** Stays queued, retried later. */
    DEFERRED("deferred", DsnAction.DELAYED),
    /** Removed from the queue; a non-delivery notice follows. */
    BOUNCED("bounced", DsnAction.FAILED),
    /** A bounce turned into a deferral by soft_bounce = yes (REPLY-14). */
    SOFTBOUNCE("SOFTBOUNCE", DsnAction.DELAYED),
    /** An address verification probe found the recipient accepted (MISC-1). */
    DELIVERABLE("deliverable", DsnAction.DELIVERABLE),
    /** An address verification probe found the recipient refused, hard or soft (MISC-1). */
    UNDELIVERABLE("undeliverable", DsnAction.UNDELIVERABLE),
    /**
     * A probe's failure when address_verify_negative_cache = no: the verify service keeps no
     * record of it (Postfix's verify_append, LOG-1, CLARIFICATIONS 7).
     */
    UNDELIVERABLE_NOT_CACHED("undeliverable-but-not-cached", DsnAction.UNDELIVERABLE_NOT_CACHED);

    private final String logWord;
    private final DsnAction dsnAction;

    Outcome(String logWord, DsnAction dsnAction) {
        this.logWord = logWord;
        this.dsnAction = dsnAction;
    }

    /** The status= word of the log line; also the stable code the spool stores. */
    public String logWord() {
        return logWord;
    }

    /** The stable code the spool stores (the log word, which Postfix's log tools already fix). */
    public String code() {
        return logWord;
    }

    /**
     * The outcome for a stored code. Queue files written before the codes existed hold the enum
     * constant's name, which is read too, so an old spool converts as it is read.
     */
    public static Outcome ofCode(String code) {
        for (Outcome o : values()) {
            if (o.logWord.equals(code) || o.name().equals(code)) {
                return o;
            }
        }
        throw new IllegalArgumentException("not an outcome code: \"" + code + "\"");
    }

    /** The DSN action that goes with this outcome, unless the result says otherwise (LMTP's delivered). */
    public DsnAction dsnAction() {
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
