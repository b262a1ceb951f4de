package io.postilion.engine.spool.journal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An open segment file, reduced to the calls the journal makes. One thread writes, cuts and closes
 * it; {@link #force} may run on another thread at the same time as a write, never beside a cut or
 * a close.
 */
public interface SegmentChannel extends Closeable {

    long size() throws IOException;

    /** Writes every remaining byte of {@code sources}, in order, at the end of the file (a gathering write). */
    void write(ByteBuffer[] sources) throws IOException;

    /** Flushes the file's data, and the metadata needed to read it back, to the disk (fdatasync). */
    void force() throws IOException;

    /** Reads from {@code position} into {@code dst}; -1 at the end of the file. */
    int read(ByteBuffer dst, long position) throws IOException;

    void truncate(long size) throws IOException;
}
