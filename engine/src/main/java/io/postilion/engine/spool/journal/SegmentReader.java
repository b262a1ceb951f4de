package io.postilion.engine.spool.journal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Positional reads of one segment through a read-ahead window, so that a scan over many small
 * records costs a read call per window rather than two per record.
 */
final class SegmentReader {

    private static final int WINDOW = 1 << 20;

    private final SegmentChannel channel;
    private ByteBuffer window = ByteBuffer.allocate(0);
    private long windowStart;
    private int windowLength;

    SegmentReader(SegmentChannel channel) {
        this.channel = channel;
    }

    /**
     * Exactly {@code n} bytes from {@code position}, as a buffer valid until the next call (it
     * may share the window). Throws EOFException when the file ends first.
     */
    ByteBuffer read(long position, int n) throws IOException {
        if (position >= windowStart && position + n <= windowStart + windowLength) {
            return window.slice((int) (position - windowStart), n);
        }
        if (n > window.capacity() || window.capacity() == 0) {
            // A record bigger than the window grows it to the largest one read.
            window = ByteBuffer.allocate(Math.max(n, WINDOW));
        }
        window.clear();
        windowStart = position;
        windowLength = 0;
        while (window.hasRemaining()) {
            int got = channel.read(window, position + window.position());
            if (got < 0) {
                break;
            }
        }
        windowLength = window.position();
        if (windowLength < n) {
            throw new EOFException("segment ends at " + (position + windowLength) + ", before " + (position + n));
        }
        return window.slice(0, n);
    }

    /** Fills {@code dst} from {@code position}; EOFException when the file ends first. */
    static void readFully(SegmentChannel channel, ByteBuffer dst, long position) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int got = channel.read(dst, at);
            if (got < 0) {
                throw new EOFException("segment ends at " + at + ", before " + (at + dst.remaining()));
            }
            at += got;
        }
    }
}
