package io.postilion.engine.spool;

import io.postilion.engine.delivery.QueueIds;

/**
 * Queue ids for the spool's files: upper-case hex, sortable by time of creation, unique within
 * one spool. The generator itself is {@link QueueIds}, shared with library callers of the agent
 * who give no id, so the spool and the agent never hand out the same id.
 */
public final class QueueId {

    private QueueId() {
    }

    public static String next() {
        return QueueIds.next();
    }

    /** Whether a file name is a queue id (what recovery will read). */
    public static boolean looksLikeOne(String name) {
        return QueueIds.looksLikeOne(name);
    }
}
