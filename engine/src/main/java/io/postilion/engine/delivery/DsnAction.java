package io.postilion.engine.delivery;

/**
 * The DSN action of a recipient result: RFC 3464's words for a delivery, and the two words
 * Postfix's verify service records for an address probe in their place.
 */
public enum DsnAction {
    FAILED("failed"),
    DELAYED("delayed"),
    DELIVERED("delivered"),
    RELAYED("relayed"),
    EXPANDED("expanded"),
    /** An address probe found the recipient accepted (Postfix's verify_append). */
    DELIVERABLE("deliverable"),
    /** An address probe found the recipient refused (Postfix's verify_append). */
    UNDELIVERABLE("undeliverable"),
    /** A probe's failure that the verify service does not remember (address_verify_negative_cache = no). */
    UNDELIVERABLE_NOT_CACHED("undeliverable-but-not-cached");

    private final String word;

    DsnAction(String word) {
        this.word = word;
    }

    /** The word an Action: field, a log line and the spool use; stable across releases. */
    public String word() {
        return word;
    }

    /** The action for a stored word; an unknown word is refused (the caller quarantines the record). */
    public static DsnAction ofWord(String word) {
        for (DsnAction a : values()) {
            if (a.word.equals(word)) {
                return a;
            }
        }
        throw new IllegalArgumentException("not a DSN action: \"" + word + "\"");
    }
}
