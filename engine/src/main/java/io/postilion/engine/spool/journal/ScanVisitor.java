package io.postilion.engine.spool.journal;

import java.nio.ByteBuffer;

/**
 * Told, in journal order, what the recovery scan finds: every intact record and every piece of
 * damage. A torn tail at the end of the newest segment is not damage (it is what a crash during a
 * write leaves, and nothing there was ever acknowledged as durable) and is not reported.
 */
public interface ScanVisitor {

    /**
     * Whether records of this kind should have their payload read into memory for
     * {@link #record}. Answer false for big records (message content) that the caller will later
     * stream from the file: their checksum is still verified, in chunks.
     */
    default boolean wantsPayload(int kind) {
        return true;
    }

    /**
     * For records of this kind in every segment but the newest, how many leading payload bytes to
     * hand to {@link #record}, without reading the rest or checking the record's checksum; negative
     * (the default) for the whole record, checked. Older segments were forced whole before the
     * next one began, so they hold no torn write, but a bad disk or a local user can still have
     * changed them: a head is unchecked, and the visitor must read the record whole (with
     * {@link Journal#readBlocking}, which checks it) before it acts on it. This lets a recovery
     * read message envelopes without their bodies. The newest segment is always read whole and
     * checked, and so is a record no longer than the head.
     */
    default int headOnly(int kind) {
        return -1;
    }

    /**
     * An intact record.
     *
     * @param payload read-only, valid only during this call; null when {@link #wantsPayload} said no
     */
    void record(RecordAddress address, int kind, ByteBuffer payload);

    /** Damage that was stepped over; the scan goes on. */
    void corrupt(Corruption corruption);

    /** A visitor that ignores everything (an open that only needs the journal repaired). */
    static ScanVisitor ignoring() {
        return new ScanVisitor() {
            @Override
            public boolean wantsPayload(int kind) {
                return false;
            }

            @Override
            public void record(RecordAddress address, int kind, ByteBuffer payload) {
            }

            @Override
            public void corrupt(Corruption corruption) {
            }
        };
    }
}
