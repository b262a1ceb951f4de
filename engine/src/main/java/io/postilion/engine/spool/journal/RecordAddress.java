package io.postilion.engine.spool.journal;

/**
 * Where a record lives: its segment, the offset of its frame (header included) in that segment
 * file, and its payload length. The caller keeps these in its own index to read a record back or
 * stream it from the file.
 */
public record RecordAddress(long segment, long offset, int length) {

    /** Bytes of framing in front of every payload. */
    public static final int HEADER_BYTES = Frame.HEADER;

    public RecordAddress {
        if (segment < 0 || offset < 0 || length < 0) {
            throw new IllegalArgumentException("bad record address: segment " + segment + ", offset " + offset
                    + ", length " + length);
        }
    }

    /** Where the payload starts in the segment file. */
    public long payloadOffset() {
        return offset + Frame.HEADER;
    }

    /** The first byte after this record. */
    public long end() {
        return payloadOffset() + length;
    }
}
