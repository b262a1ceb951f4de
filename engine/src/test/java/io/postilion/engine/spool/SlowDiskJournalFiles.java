package io.postilion.engine.spool;

import io.postilion.engine.spool.journal.JournalFiles;
import io.postilion.engine.spool.journal.SegmentChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The real file system, with every segment flush lasting at least {@code minForceMillis}: a disk
 * like the reference one (about 0.75 ms a flush) even where /tmp flushes for free, so that a test
 * of group commit measures the spool, not the test machine's disk.
 */
final class SlowDiskJournalFiles implements JournalFiles {

    private final JournalFiles real = JournalFiles.system();
    private final long minForceNanos;
    final AtomicLong forces = new AtomicLong();

    SlowDiskJournalFiles(long minForceMillis) {
        this.minForceNanos = minForceMillis * 1_000_000L;
    }

    @Override
    public boolean createDirectory(Path dir) throws IOException {
        return real.createDirectory(dir);
    }

    @Override
    public List<Entry> list(Path dir) throws IOException {
        return real.list(dir);
    }

    @Override
    public SegmentChannel createSegment(Path file) throws IOException {
        return slow(real.createSegment(file));
    }

    @Override
    public SegmentChannel openSegment(Path file, boolean writable) throws IOException {
        return slow(real.openSegment(file, writable));
    }

    @Override
    public boolean delete(Path file) throws IOException {
        return real.delete(file);
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        real.forceDirectory(dir);
    }

    private SegmentChannel slow(SegmentChannel ch) {
        return new SegmentChannel() {
            @Override
            public long size() throws IOException {
                return ch.size();
            }

            @Override
            public void write(ByteBuffer[] sources) throws IOException {
                ch.write(sources);
            }

            @Override
            public void force() throws IOException {
                long until = System.nanoTime() + minForceNanos;
                ch.force();
                forces.incrementAndGet();
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }

            @Override
            public int read(ByteBuffer dst, long position) throws IOException {
                return ch.read(dst, position);
            }

            @Override
            public void truncate(long size) throws IOException {
                ch.truncate(size);
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }
}
