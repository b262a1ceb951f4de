package io.postilion.dns;

import java.util.Objects;

/**
 * Why a destination has no servers: an enhanced status (4.x.x defers, 5.x.x bounces) and a reason text in
 * Postfix's words, e.g. 4.4.3 "Host or domain name not found. Name service error for name=D type=MX:
 * Host not found, try again".
 */
public record LookupFailure(String status, String reason) {

    public LookupFailure {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(reason, "reason");
        if (status.length() < 5 || (status.charAt(0) != '4' && status.charAt(0) != '5')) {
            throw new IllegalArgumentException("not a failure status: " + status);
        }
    }

    public boolean hard() {
        return status.charAt(0) == '5';
    }

    /** The same detail with class 4 (used when a soft error was already recorded, LOOKUP-6/7). */
    public LookupFailure soft() {
        return hard() ? new LookupFailure("4" + status.substring(1), reason) : this;
    }

    /** A mail loop status (x.4.6), which makes the destination final (LOOKUP-20). */
    public boolean loop() {
        return status.endsWith(".4.6");
    }
}
