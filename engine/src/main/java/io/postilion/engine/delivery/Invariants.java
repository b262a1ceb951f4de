package io.postilion.engine.delivery;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delivery contract's invariants (Postfix's smtp_rcpt.c panics on them): no recipient is
 * decided twice, and no request ends with a recipient undecided. A violation is a bug. Under test
 * (assertions on, as Surefire runs them, or {@code -Dpostilion.strict=true}) it throws, so the bug
 * cannot hide; in production it is logged as an error and the caller takes the safe path (the
 * recipient stays queued), so mail is never lost to it.
 */
public final class Invariants {

    private static final Logger log = LoggerFactory.getLogger(Invariants.class);
    private static final boolean STRICT = Boolean.getBoolean("postilion.strict") || Invariants.class.desiredAssertionStatus();

    private Invariants() {
    }

    /** Whether a violation throws (tests) rather than being logged (production). */
    public static boolean strict() {
        return STRICT;
    }

    /**
     * Reports a broken invariant: throws {@link IllegalStateException} when strict, else logs it
     * as an error and returns, so that the caller can defer what is affected.
     */
    public static void violated(String what) {
        if (STRICT) {
            throw new IllegalStateException("delivery invariant broken: " + what);
        }
        log.error("delivery invariant broken (a bug; the recipient stays queued): {}", what);
    }
}
