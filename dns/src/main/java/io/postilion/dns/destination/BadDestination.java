package io.postilion.dns.destination;

import java.util.Objects;

/**
 * A destination that cannot be used: the reason names the offending part. Postfix treats this as a
 * configuration error that defers the request (DEST-9, DEST-14), hence the 4.3.5 status.
 */
public record BadDestination(String nexthop, String reason, String status) implements ParsedDestination {

    /** DSN status for a destination syntax or configuration error (CLARIFICATIONS 5). */
    public static final String CONFIG_ERROR_STATUS = "4.3.5";

    public BadDestination {
        Objects.requireNonNull(nexthop, "nexthop");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(status, "status");
    }

    static BadDestination of(String nexthop, String reason) {
        return new BadDestination(nexthop, reason, CONFIG_ERROR_STATUS);
    }
}
