package io.postilion.transport.protocol;

import java.util.Objects;

/**
 * An envelope address (internal, unquoted form) known to contain no CR, LF or NUL, so it cannot
 * split a command line or smuggle a command (CLARIFICATIONS 3). The empty address is the null
 * sender. Obtain one with {@link #check}; the constructor refuses bad input with an exception.
 *
 * @param value the address, e.g. {@code user@example.com}, {@code 用户@example.com} or empty
 */
public record EnvelopeAddress(String value) {

    public EnvelopeAddress {
        Objects.requireNonNull(value, "value");
        int bad = firstForbidden(value);
        if (bad >= 0) {
            throw new IllegalArgumentException("envelope address " + describe(value, bad));
        }
    }

    /** The null sender, {@code <>}. */
    public static final EnvelopeAddress NULL_SENDER = new EnvelopeAddress("");

    /**
     * Checks {@code address} for use in {@code role}: one containing CR, LF or NUL is refused with
     * 5.1.7 (sender) or 5.1.3 (recipient) and a reason naming the character.
     */
    public static AddressCheck check(String address, AddressRole role) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(role, "role");
        int bad = firstForbidden(address);
        if (bad < 0) {
            return new AddressCheck.Accepted(new EnvelopeAddress(address));
        }
        return new AddressCheck.Refused(role, role.badSyntaxStatus(),
                "bad " + role.noun() + " address syntax: address " + describe(address, bad), bad);
    }

    /** True for the null sender. */
    public boolean isNull() {
        return value.isEmpty();
    }

    /** The index of the first CR, LF or NUL in {@code s}, or -1. */
    public static int firstForbidden(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == '\0') {
                return i;
            }
        }
        return -1;
    }

    private static String describe(String address, int index) {
        String name = switch (address.charAt(index)) {
            case '\r' -> "carriage return (CR, 0x0D)";
            case '\n' -> "line feed (LF, 0x0A)";
            default -> "NUL character (0x00)";
        };
        return "contains a " + name + " at offset " + index;
    }

    @Override
    public String toString() {
        return value;
    }
}
