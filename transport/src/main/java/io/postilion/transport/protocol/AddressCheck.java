package io.postilion.transport.protocol;

import java.util.Objects;

/**
 * The outcome of checking an envelope address before it may reach the wire (CLARIFICATIONS 3):
 * either {@link Accepted} with the usable address, or {@link Refused} with a DSN status and a
 * reason naming the offending character.
 */
public sealed interface AddressCheck {

    /** The address may be used. */
    record Accepted(EnvelopeAddress address) implements AddressCheck {
        public Accepted {
            Objects.requireNonNull(address, "address");
        }
    }

    /**
     * The address must not be sent.
     *
     * @param role sender or recipient
     * @param status the enhanced status: 5.1.7 for a sender (the whole request fails), 5.1.3 for a
     *     recipient (that recipient bounces)
     * @param reason a human-readable reason naming the bad character and its position
     * @param index the UTF-16 index of the first bad character in the address
     */
    record Refused(AddressRole role, String status, String reason, int index) implements AddressCheck {
        public Refused {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(reason, "reason");
        }
    }

    default boolean accepted() {
        return this instanceof Accepted;
    }
}
