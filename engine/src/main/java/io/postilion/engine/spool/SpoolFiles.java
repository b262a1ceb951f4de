package io.postilion.engine.spool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The file-system operations the spool's durability rests on, as a seam: the real one works on
 * FileChannels, and a recording one lets tests prove the order of data flush, rename, directory
 * flush and acknowledgement (CLARIFICATIONS 25). Every method blocks; the spool calls them on its
 * own I/O thread only.
 */
public interface SpoolFiles {

    /** Creates {@code file} with {@code bytes} and flushes its data to the disk. */
    void create(Path file, byte[] bytes) throws IOException;

    /**
     * Appends {@code bytes} to {@code file}, without a flush: a result record survives the
     * process (the page cache keeps it), and after a power cut the worst case is one delivery
     * repeated, never one lost, so it is not worth a disk flush per recipient.
     */
    void append(Path file, byte[] bytes) throws IOException;

    /** Renames atomically (within one file system). */
    void rename(Path from, Path to) throws IOException;

    /** Flushes a directory, so the names created or renamed into it survive a crash. */
    void forceDirectory(Path dir) throws IOException;

    void delete(Path file) throws IOException;

    /** The files of a directory (names only). */
    List<String> list(Path dir) throws IOException;

    byte[] read(Path file) throws IOException;

    void createDirectories(Path dir) throws IOException;
}
