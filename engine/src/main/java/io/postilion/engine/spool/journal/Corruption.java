package io.postilion.engine.spool.journal;

/**
 * Damage the recovery scan found and stepped over, reported so that the caller can quarantine
 * whatever it had stored there (the journal itself cannot know what the bytes meant).
 *
 * @param type what was damaged
 * @param segment the segment number
 * @param offset where the damage starts in the segment file (for {@link Type#RECORD}, the frame's start)
 * @param length for a RECORD its payload length; for a REGION the bytes to the end of the
 *     segment; for a SEGMENT the file's size, or -1 when even that was unknown
 * @param detail a human-readable reason
 */
public record Corruption(Type type, long segment, long offset, long length, String detail) {

    /** The kinds of damage, from the most to the least precise. */
    public enum Type {
        /** A record whose header checked out but whose payload checksum did not; the scan went on after it. */
        RECORD,
        /** Bytes that do not start a record; the rest of that segment could not be framed and was skipped. */
        REGION,
        /** A segment that could not be opened or read, or whose segment header is wrong; it was skipped. */
        SEGMENT
    }

    /** The damaged record's address; only meaningful for {@link Type#RECORD}. */
    public RecordAddress address() {
        if (type != Type.RECORD) {
            throw new IllegalStateException("a " + type + " corruption has no record address");
        }
        return new RecordAddress(segment, offset, (int) length);
    }
}
