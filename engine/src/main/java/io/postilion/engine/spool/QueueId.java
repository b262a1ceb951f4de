package io.postilion.engine.spool;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Queue ids: upper-case hex, sortable by time of creation, unique within one spool. Time in
 * microseconds is followed by a counter, so ids made in the same microsecond still differ and a
 * restart (later time) never repeats an earlier id.
 */
public final class QueueId {

    private static final AtomicLong LAST = new AtomicLong();

    private QueueId() {
    }

    public static String next() {
        long now = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
        long id = LAST.updateAndGet(prev -> Math.max(prev + 1, now));
        return String.format("%014X", id);
    }

    /** Whether a file name is a queue id (what recovery will read). */
    public static boolean looksLikeOne(String name) {
        return name.length() == 14 && name.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'A' && c <= 'F');
    }
}
