package io.postilion.engine.spool.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The real file system, with every write and force written down in the order they finished, so
 * that a test can prove what a force covered before an append was acknowledged. It can also be
 * told to fail a force, to refuse to open a segment, or to make each force last at least a while
 * (a disk slower than the test machine's).
 */
final class RecordingJournalFiles implements JournalFiles {

    /** One thing that happened: a write of [from, to), a force covering [0, to), or a test's own mark. */
    record Event(String what, long segment, long from, long to) {
    }

    final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    /** Forces running now. */
    final java.util.concurrent.atomic.AtomicInteger forcing = new java.util.concurrent.atomic.AtomicInteger();
    final Set<Long> unopenable = ConcurrentHashMap.newKeySet();
    volatile boolean failForces;
    /** Writes then fail half-way, as on a full disk (ENOSPC after a partial write). */
    volatile boolean failWrites;
    /** Writes throw this Error (an OutOfMemoryError, say), which stops the writer for good. */
    volatile Error writeError;
    volatile long minForceNanos;
    private final JournalFiles real = JournalFiles.system();

    void mark(String what, RecordAddress a) {
        events.add(new Event(what, a.segment(), a.offset(), a.end()));
    }

    List<Event> events(String what) {
        return events.stream().filter(e -> e.what().equals(what)).toList();
    }

    private static long number(Path file) {
        return SegmentNames.parse(file.getFileName().toString()).orElse(-1);
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
        SegmentChannel ch = real.createSegment(file);
        events.add(new Event("create", number(file), 0, 0));
        return new Recording(ch, number(file));
    }

    @Override
    public SegmentChannel openSegment(Path file, boolean writable) throws IOException {
        if (unopenable.contains(number(file))) {
            throw new IOException("injected: cannot open " + file.getFileName());
        }
        return new Recording(real.openSegment(file, writable), number(file));
    }

    @Override
    public boolean delete(Path file) throws IOException {
        boolean gone = real.delete(file);
        events.add(new Event("delete", number(file), 0, 0));
        return gone;
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        real.forceDirectory(dir);
        events.add(new Event("force-dir", -1, 0, 0));
    }

    private final class Recording implements SegmentChannel {
        private final SegmentChannel ch;
        private final long segment;

        Recording(SegmentChannel ch, long segment) {
            this.ch = ch;
            this.segment = segment;
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public void write(ByteBuffer[] sources) throws IOException {
            long from = ch.size();
            if (writeError != null) {
                throw writeError;
            }
            if (failWrites) {
                ByteBuffer first = sources[0].duplicate();
                first.limit(first.position() + first.remaining() / 2);
                ch.write(new ByteBuffer[] {first});
                throw new IOException("injected: No space left on device");
            }
            ch.write(sources);
            events.add(new Event("write", segment, from, ch.size()));
        }

        @Override
        public void force() throws IOException {
            if (failForces) {
                throw new IOException("injected: fsync failed");
            }
            forcing.incrementAndGet();
            try {
                long started = System.nanoTime();
                long covered = ch.size(); // everything written before the force is covered by it
                ch.force();
                long rest = minForceNanos - (System.nanoTime() - started);
                if (rest > 0) {
                    LockSupport.parkNanos(rest);
                }
                events.add(new Event("force", segment, 0, covered));
            } finally {
                forcing.decrementAndGet();
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return ch.read(dst, position);
        }

        @Override
        public void truncate(long size) throws IOException {
            ch.truncate(size);
            events.add(new Event("truncate", segment, size, size));
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
