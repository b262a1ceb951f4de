package io.postilion.engine.delivery;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Makes queue ids, so that a library caller who has none still gets log lines and reports keyed
 * by one, and the spool names its files with the same kind of id. It lives beside the delivery
 * request rather than in the spool because the agent must not depend on the spool; the spool's
 * {@code QueueId} hands out ids from here, so ids from both sides never collide in one JVM.
 *
 * <p>An id is 14 upper-case hex digits: the time in microseconds, bumped past the last id given,
 * so ids sort by creation, ids made in the same microsecond still differ, and a restart (a later
 * clock) never repeats an earlier one.
 */
public final class QueueIds {

    private static final AtomicLong LAST = new AtomicLong();

    private QueueIds() {
    }

    /** A new id, later than every id this JVM made before. */
    public static String next() {
        long now = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
        long id = LAST.updateAndGet(prev -> Math.max(prev + 1, now));
        String hex = Long.toHexString(id).toUpperCase(java.util.Locale.ROOT); // one per message: no format parsing
        return hex.length() >= 14 ? hex : "0".repeat(14 - hex.length()) + hex;
    }

    /**
     * Makes every later id greater than {@code id} (one found in the queue at start-up), so ids
     * stay unique across restarts even when the clock has stepped back. Ignores what is not an id.
     */
    public static void advancePast(String id) {
        if (looksLikeOne(id)) {
            long seen = Long.parseUnsignedLong(id, 16);
            LAST.updateAndGet(prev -> Math.max(prev, seen));
        }
    }

    /** Whether a name has the form {@link #next()} gives. */
    public static boolean looksLikeOne(String name) {
        return name.length() == 14 && name.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'A' && c <= 'F');
    }
}
