package io.postilion.engine.spool;

import java.util.Locale;

/**
 * The spool's directories, one per state a queue file can be in. A file moves between them only
 * by rename, which is atomic, so after a crash each file is in exactly one of them.
 */
public enum QueueState {
    /** Being written; never acknowledged. Recovery deletes what it finds here. */
    INCOMING,
    /** Accepted and being delivered. */
    ACTIVE,
    /** Waiting for its next attempt. */
    DEFERRED,
    /** Unreadable: kept for the postmaster, never delivered. */
    CORRUPT;

    /** The directory name under queue_directory. */
    public String directory() {
        return name().toLowerCase(Locale.ROOT);
    }
}
