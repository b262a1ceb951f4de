package io.postilion.engine.spool.journal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The file-system calls the journal's durability rests on, as a seam (like the spool's
 * SpoolFiles): the real one works on FileChannels; a recording one lets a test prove that every
 * durable append was acknowledged only after a flush covering it, or make a segment unreadable.
 * Every method blocks; the journal calls them at open, on its writer thread, and on
 * bounded-elastic threads, never on an event loop.
 */
public interface JournalFiles {

    /** A name in the journal directory, and whether it is a regular file (links not followed). */
    record Entry(String name, boolean regularFile) {
    }

    /** Creates {@code dir} (mode 0700 from birth) if it is absent; true when it was created. */
    boolean createDirectory(Path dir) throws IOException;

    List<Entry> list(Path dir) throws IOException;

    /** Creates a new segment file, mode 0600 from birth; fails if the name exists (never overwrites). */
    SegmentChannel createSegment(Path file) throws IOException;

    /** Opens an existing segment to read it; {@code writable} only to cut a torn tail at recovery. */
    SegmentChannel openSegment(Path file, boolean writable) throws IOException;

    /** Deletes a file; false when it was already gone. */
    boolean delete(Path file) throws IOException;

    /** Flushes a directory, so that names created in or deleted from it survive a crash. */
    void forceDirectory(Path dir) throws IOException;

    /** The real file system. */
    static JournalFiles system() {
        return new ChannelJournalFiles();
    }
}
