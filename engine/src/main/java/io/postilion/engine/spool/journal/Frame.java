package io.postilion.engine.spool.journal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The on-disk layout of segments and records (described in package-info.java). Kept in one place
 * so that the writer, the recovery scan and the reader cannot drift apart.
 */
final class Frame {

    /** Non-zero, so that a zero-filled tail can never pass for the start of a record. */
    static final byte MAGIC = (byte) 0xA7;
    /** magic(1) kind(1) length(4) header CRC(4) record CRC(4). */
    static final int HEADER = 14;
    /** Bounds a length read from a damaged header, and keeps a frame well inside an int. */
    static final int MAX_PAYLOAD = 1 << 30;

    /** "PJNL", format version (4), segment number (8). */
    static final int SEGMENT_HEADER = 16;
    private static final int SEGMENT_MAGIC = 0x504A4E4C;
    static final int FORMAT_VERSION = 1;

    private Frame() {
    }

    /** A record header that checked out: its length can be trusted, its payload not yet. */
    record Header(int kind, int length, int recordCrc) {
    }

    /** Writes the 14 header bytes for {@code payload} (its remaining bytes; its position is left alone). */
    static void writeHeader(ByteBuffer dst, int kind, ByteBuffer payload) {
        int start = dst.position();
        dst.put(MAGIC).put((byte) kind).putInt(payload.remaining());
        CRC32C crc = new CRC32C();
        crc.update(dst.duplicate().position(start).limit(start + 6));
        int headerCrc = (int) crc.getValue();
        crc.update(payload.duplicate());
        dst.putInt(headerCrc).putInt((int) crc.getValue());
    }

    /**
     * Reads a header from the 14 bytes at {@code h}'s position (not moved); null when they are not
     * the start of a record (wrong magic, header checksum or impossible length). A header that
     * passes has a trustworthy length, so a bad payload after it can be stepped over.
     */
    static Header parse(ByteBuffer h) {
        int p = h.position();
        if (h.get(p) != MAGIC) {
            return null;
        }
        int length = h.getInt(p + 2);
        CRC32C crc = new CRC32C();
        crc.update(h.duplicate().limit(p + 6));
        if ((int) crc.getValue() != h.getInt(p + 6) || length < 0 || length > MAX_PAYLOAD) {
            return null;
        }
        return new Header(h.get(p + 1) & 0xFF, length, h.getInt(p + 10));
    }

    /** A running record checksum, started over the header's first six bytes. */
    static CRC32C recordCrc(ByteBuffer h) {
        CRC32C crc = new CRC32C();
        crc.update(h.duplicate().limit(h.position() + 6));
        return crc;
    }

    static ByteBuffer segmentHeader(long number) {
        ByteBuffer b = ByteBuffer.allocate(SEGMENT_HEADER);
        b.putInt(SEGMENT_MAGIC).putInt(FORMAT_VERSION).putLong(number).flip();
        return b;
    }

    /** Null when the segment header is right, else what is wrong with it. */
    static String checkSegmentHeader(ByteBuffer b, long number) {
        int p = b.position();
        if (b.getInt(p) != SEGMENT_MAGIC) {
            return "not a journal segment (bad magic)";
        }
        if (b.getInt(p + 4) != FORMAT_VERSION) {
            return "unknown format version " + b.getInt(p + 4);
        }
        if (b.getLong(p + 8) != number) {
            return "its header names segment " + b.getLong(p + 8) + ", not " + number;
        }
        return null;
    }
}
