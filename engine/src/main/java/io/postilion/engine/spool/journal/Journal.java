package io.postilion.engine.spool.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * An append-only, group-committed journal of opaque records in numbered segment files: the
 * storage under a spool that pays one disk flush for every record appended while the previous
 * flush ran, instead of one per message. The format, and what recovery does with damage, are
 * described in package-info.java.
 *
 * <p>Appends never block the caller: the calling thread computes the record's checksum (CPU
 * only: about a millisecond for 10 MB) and queues it before the method returns, and the returned
 * Mono reports its fate (subscribing is not needed for the record to be written, and
 * subscribing twice does not write it twice). Records appended from one thread keep their order.
 * The journal reads the caller's buffer later, on its writer thread: it must not change until the
 * Mono completes.
 *
 * <p>Where completions run: the writer thread does not complete the Monos itself but hands them,
 * 32 to a task, to the completion scheduler ({@link JournalOptions#completions}, Reactor's parallel
 * scheduler by default). So a subscriber's code runs there, never on the writer thread, and cannot
 * delay the next write or flush. A subscriber must therefore not block (BlockHound fails a test
 * that does) and should hop to its own event loop if it needs to be there.
 *
 * <p>Reading, deleting, opening and closing touch the disk: {@link #open}, {@link #readBlocking}
 * and {@link #close} block and belong to start-up, shutdown or a bounded-elastic thread;
 * {@link #read} and {@link #deleteSegment} do their work on bounded-elastic threads.
 */
public final class Journal implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Journal.class);

    /** The largest payload a record may carry. */
    public static final int MAX_PAYLOAD = Frame.MAX_PAYLOAD;
    /** Held while a journal is open, so that a second process cannot cut the first one's tail. */
    static final String LOCK_FILE = "journal.lock";
    private static final long CLOSE_TIMEOUT_MILLIS = 30_000;

    private final Path dir;
    private final JournalFiles files;
    private final Set<Long> segments = new ConcurrentSkipListSet<>();
    private final GroupCommitWriter writer;
    private final FileChannel lockChannel;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Journal(Path dir, JournalOptions options, List<Long> existing, FileChannel lockChannel) {
        this.dir = dir;
        this.files = options.files();
        this.lockChannel = lockChannel;
        this.segments.addAll(existing);
        this.writer = new GroupCommitWriter(dir, files, options.segmentBytes(), options.completions(), segments);
    }

    /** {@link #open(Path, JournalOptions, ScanVisitor)} with the default options. */
    public static Journal open(Path dir, ScanVisitor visitor) throws IOException {
        return open(dir, JournalOptions.defaults(), visitor);
    }

    /**
     * Opens (creating if needed, mode 0700) the journal in {@code dir}: scans every segment,
     * telling {@code visitor} each record and each piece of damage, cuts a torn tail off the
     * newest segment, and starts a new segment numbered after every segment-like name in the
     * directory, so that no existing file is ever written to again. Blocking: call at start-up.
     */
    public static Journal open(Path dir, JournalOptions options, ScanVisitor visitor) throws IOException {
        Objects.requireNonNull(visitor, "visitor");
        JournalFiles files = options.files();
        if (files.createDirectory(dir)) {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null) {
                files.forceDirectory(parent);
            }
        } else {
            warnIfShared(dir);
        }
        FileChannel lock = lock(dir);
        try {
            Scanner.Result scanned = new Scanner(dir, files, visitor, true).run();
            Journal journal = new Journal(dir, options, scanned.segments(), lock);
            journal.writer.start(scanned.highestName() + 1);
            log.info("journal: opened {} ({} segments, writing segment {})", dir, journal.segments.size(),
                    journal.writer.currentSegment());
            return journal;
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * Scans a journal without opening it for writing and without repairing anything (for the
     * command line, possibly while a relay runs: its newest segment's tail may then look torn).
     * Blocking. Returns the segment numbers found.
     */
    public static List<Long> scan(Path dir, JournalFiles files, ScanVisitor visitor) throws IOException {
        return new Scanner(dir, files, visitor, false).run().segments();
    }

    private static FileChannel lock(Path dir) throws IOException {
        FileChannel ch = FileChannel.open(dir.resolve(LOCK_FILE), Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            FileLock held = ch.tryLock();
            if (held == null) {
                throw new IOException("the journal in " + dir + " is open in another process");
            }
            return ch;
        } catch (OverlappingFileLockException e) {
            ch.close();
            throw new IOException("the journal in " + dir + " is already open", e);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    private static void warnIfShared(Path dir) {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
            mode.retainAll(Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                    PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                    PosixFilePermission.OTHERS_EXECUTE));
            if (!mode.isEmpty()) {
                log.warn("journal: {} is open to others ({}); mail content lives here, it should be 0700", dir,
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            }
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("journal: cannot check the permissions of {}: {}", dir, e.toString());
        }
    }

    // ------------------------------------------------------------------ appending

    /**
     * Appends a record; the Mono completes with its address only after a flush covering it has
     * finished, so the record survives a crash or power cut from then on.
     *
     * @param kind the caller's record type, 0 to 255, stored but not interpreted
     * @param payload its remaining bytes (its position is not moved)
     */
    public Mono<RecordAddress> appendDurable(int kind, ByteBuffer payload) {
        return writer.submit(checkKind(kind), checkPayload(payload), true);
    }

    public Mono<RecordAddress> appendDurable(int kind, byte[] payload) {
        return appendDurable(kind, ByteBuffer.wrap(payload));
    }

    /**
     * Appends a record without waiting for a flush: the Mono completes once it is written (it then
     * survives the process, not a power cut), and the next flush, one a durable append asks for,
     * a segment change or {@link #close}, covers it.
     */
    public Mono<RecordAddress> append(int kind, ByteBuffer payload) {
        return writer.submit(checkKind(kind), checkPayload(payload), false);
    }

    public Mono<RecordAddress> append(int kind, byte[] payload) {
        return append(kind, ByteBuffer.wrap(payload));
    }

    private static int checkKind(int kind) {
        if (kind < 0 || kind > 255) {
            throw new IllegalArgumentException("record kind " + kind + " is not a byte (0..255)");
        }
        return kind;
    }

    private static ByteBuffer checkPayload(ByteBuffer payload) {
        if (payload.remaining() > MAX_PAYLOAD) {
            throw new IllegalArgumentException("a record of " + payload.remaining() + " bytes is over the limit of "
                    + MAX_PAYLOAD);
        }
        return payload.duplicate();
    }

    // ------------------------------------------------------------------ reading

    /** The payload at {@code address}, checked against its checksum, read on a bounded-elastic thread. */
    public Mono<byte[]> read(RecordAddress address) {
        return Mono.fromCallable(() -> readBlocking(address)).subscribeOn(Schedulers.boundedElastic());
    }

    /**
     * The payload at {@code address}, checked against its checksum. Blocking.
     *
     * @throws DamagedRecordException when the bytes there are not the record that was written
     */
    public byte[] readBlocking(RecordAddress address) throws IOException {
        try (SegmentChannel ch = files.openSegment(segmentPath(address.segment()), false)) {
            ByteBuffer h = ByteBuffer.allocate(Frame.HEADER);
            SegmentReader.readFully(ch, h, address.offset());
            h.flip();
            Frame.Header header = Frame.parse(h);
            if (header == null || header.length() != address.length()) {
                throw new DamagedRecordException(address, "no record of " + address.length() + " bytes there");
            }
            byte[] payload = new byte[address.length()];
            SegmentReader.readFully(ch, ByteBuffer.wrap(payload), address.payloadOffset());
            CRC32C crc = Frame.recordCrc(h);
            crc.update(payload);
            if ((int) crc.getValue() != header.recordCrc()) {
                throw new DamagedRecordException(address, "fails its checksum");
            }
            return payload;
        }
    }

    /**
     * The first {@code max} bytes (or fewer) of the payload at {@code address}, unchecked: the
     * address should come from an append or a scan that checked the record whole. Blocking. For
     * reading a message's envelope without its body.
     */
    public byte[] readHeadBlocking(RecordAddress address, int max) throws IOException {
        try (SegmentChannel ch = files.openSegment(segmentPath(address.segment()), false)) {
            byte[] head = new byte[Math.min(max, address.length())];
            SegmentReader.readFully(ch, ByteBuffer.wrap(head), address.payloadOffset());
            return head;
        }
    }

    /**
     * Where the payload at {@code address} lies in its segment file, for zero-copy streaming. The
     * bytes are not checked here (that would mean reading them); the address should come from an
     * append or a scan that checked them.
     */
    public PayloadRegion region(RecordAddress address) {
        return new PayloadRegion(segmentPath(address.segment()), address.payloadOffset(), address.length());
    }

    // ------------------------------------------------------------------ segments

    /** The segments that exist, oldest first, the one being written last. */
    public List<Long> segments() {
        return List.copyOf(segments);
    }

    /** The segment new records go to. */
    public long currentSegment() {
        return writer.currentSegment();
    }

    /** Where segment {@code segment} of the journal in {@code dir} is (whether or not it exists). */
    public static Path segmentFile(Path dir, long segment) {
        return dir.resolve(SegmentNames.name(segment));
    }

    /**
     * Who is told when the writer stops for good (an Error such as an OutOfMemoryError; I/O errors
     * only fail their own batch). Every append fails from then on, so the relay exits 70 for its
     * supervisor rather than running on unable to queue mail.
     */
    public void onFailure(java.util.function.Consumer<Throwable> handler) {
        writer.onFailure = java.util.Objects.requireNonNull(handler, "handler");
    }

    public Path segmentPath(long segment) {
        return dir.resolve(SegmentNames.name(segment));
    }

    public Path directory() {
        return dir;
    }

    /**
     * Deletes an older segment whose records the caller no longer needs; the directory is flushed,
     * so once the Mono reports true the segment cannot come back after a crash. False when it was
     * already gone. The work runs on a bounded-elastic thread when the Mono is subscribed.
     *
     * @throws IllegalArgumentException for the segment being written (or a later one)
     */
    public Mono<Boolean> deleteSegment(long segment) {
        if (segment >= writer.currentSegment()) {
            throw new IllegalArgumentException("segment " + segment + " is not an older segment (segment "
                    + writer.currentSegment() + " is being written)");
        }
        return Mono.fromCallable(() -> {
            boolean deleted = files.delete(segmentPath(segment));
            if (deleted) {
                files.forceDirectory(dir);
            }
            segments.remove(segment);
            return deleted;
        }).subscribeOn(Schedulers.boundedElastic());
    }

    // ------------------------------------------------------------------ statistics

    /** How many flushes covering records the writer has made. */
    public long forces() {
        return writer.forces();
    }

    /** How many records the writer has written since open. */
    public long records() {
        return writer.records();
    }

    /**
     * Refuses new appends, writes and flushes what is queued (waiting at most 30 seconds), and
     * releases the directory. Blocking: call it from the thread that shuts the relay down.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            writer.close(CLOSE_TIMEOUT_MILLIS);
            try {
                lockChannel.close();
            } catch (IOException e) {
                log.warn("journal: releasing {} failed: {}", dir.resolve(LOCK_FILE), e.toString());
            }
        }
    }
}
