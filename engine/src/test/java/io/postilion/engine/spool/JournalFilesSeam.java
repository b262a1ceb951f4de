package io.postilion.engine.spool;

import io.postilion.engine.spool.journal.JournalFiles;
import io.postilion.engine.spool.journal.SegmentChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test fixture: the real file system under the journal, with a disk a test can shape: every
 * segment flush lasting at least {@code minForceMillis} (a disk like the reference one, about
 * 0.75 ms a flush, even where /tmp flushes for free, so that a test of group commit measures the
 * spool, not the test machine's disk), and a disk that is full for as long as {@link #full} is set
 * (a write stops half-way with ENOSPC).
 */
public final class JournalFilesSeam implements JournalFiles {

    private final JournalFiles real = JournalFiles.system();
    private final long minForceNanos;
    final AtomicLong forces = new AtomicLong();
    /** While set, every segment write stops half-way with "No space left on device". */
    public volatile boolean full;
    /** Bytes read from segments so far, and how long each segment read is made to take. */
    public final AtomicLong readBytes = new AtomicLong();
    public volatile long readDelayMillis;

    public JournalFilesSeam(long minForceMillis) {
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
                if (full) {
                    ByteBuffer first = sources[0].duplicate();
                    first.limit(first.position() + first.remaining() / 2);
                    ch.write(new ByteBuffer[] {first});
                    throw new IOException("No space left on device");
                }
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
                long delay = readDelayMillis;
                if (delay > 0) {
                    try {
                        Thread.sleep(delay);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                int n = ch.read(dst, position);
                readBytes.addAndGet(Math.max(0, n));
                return n;
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
