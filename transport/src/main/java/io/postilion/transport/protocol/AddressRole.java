package io.postilion.transport.protocol;

/**
 * Which side of the envelope an address is on; decides the DSN status of a refused address
 * (CLARIFICATIONS 3): 5.1.7 for the sender, 5.1.3 for a recipient.
 */
public enum AddressRole {
    SENDER("5.1.7", "sender"),
    RECIPIENT("5.1.3", "recipient");

    private final String badSyntaxStatus;
    private final String noun;

    AddressRole(String badSyntaxStatus, String noun) {
        this.badSyntaxStatus = badSyntaxStatus;
        this.noun = noun;
    }

    /** The enhanced status for a syntactically unusable address in this role. */
    public String badSyntaxStatus() {
        return badSyntaxStatus;
    }

    /** "sender" or "recipient", for messages. */
    public String noun() {
        return noun;
    }
}
