package io.postilion.engine.spool.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * The journal's writer and flusher threads and their queue. Appenders only enqueue and, when the
 * writer is parked, unpark it: no lock, no wait, so an event loop may append. The writer takes
 * everything queued and writes it with one gathering write; records that need no durability (a
 * recipient's result, a removal) are done then. Durable records wait for the flusher, which forces
 * the segment once for everything written before that force began. The writer goes on writing
 * while a force runs, so a result is never held up by a flush (each one held is a delivery a
 * crash would repeat), and the next force starts as soon as the last one ends, covering whatever
 * was written meanwhile: the number of forces adapts to the load, and a lone durable append when
 * idle is forced at once.
 *
 * <p>An I/O error (a full disk, say) fails the records it hit, and only those: the segment is cut
 * back to where they began (for a failed force: to the end of the last successful one) and
 * flushed, or, if that fails too, left behind for a new segment, so no later acknowledgement can
 * rest on a write whose flush failed (after a failed fsync the page cache is in an unknown state).
 * Records that needed no flush and are cut off with them are lost, which costs a repeated delivery
 * after a crash, never a message. The next batch tries again, so appends succeed again once space
 * returns. Any other failure (an Error) stops the journal for good, failing every waiting and
 * later append.
 *
 * <p>The two threads share the segment: the flusher only forces it, and the writer changes it
 * (cuts it back, rolls to the next, closes it) only while no force runs ({@link #exclusive}).
 */
final class GroupCommitWriter implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

    /** Bounds one batch, so a flood does not delay the first record of it without limit. */
    static final int MAX_BATCH_RECORDS = 1024;
    static final long MAX_BATCH_BYTES = 8L << 20;
    /** Completions handed to the completion scheduler per task. */
    static final int COMPLETION_CHUNK = 32;

    private static final int OPEN = 0;
    private static final int CLOSING = 1;
    private static final int FAILED = 2;

    /**
     * One queued append. Fields past the constructor are the writer thread's until a durable
     * record is handed to the flusher (under its lock).
     */
    static final class Pending {
        final ByteBuffer header;
        final ByteBuffer payload;
        final boolean durable;
        final Sinks.One<RecordAddress> sink = Sinks.one();
        RecordAddress address;
        boolean completed;

        Pending(ByteBuffer header, ByteBuffer payload, boolean durable) {
            this.header = header;
            this.payload = payload;
            this.durable = durable;
        }
    }

    private final Path dir;
    private final JournalFiles files;
    private final long segmentBytes;
    private final Scheduler completions;
    private final Set<Long> segments;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger state = new AtomicInteger(OPEN);
    private final Thread thread;
    private final Thread flusher;
    private volatile boolean idle;
    private volatile boolean exited;
    private volatile Throwable failure;
    /** Told once when the writer stops for good (an Error): the relay exits 70 then. */
    volatile java.util.function.Consumer<Throwable> onFailure = t -> { };
    private volatile long currentSegment;
    private volatile long forces;
    private volatile long records;

    // Shared by the writer and the flusher, guarded by flushLock.
    private final Object flushLock = new Object();
    /** Durable records written and not yet covered by a force, in the order written. */
    private List<Pending> awaiting = new ArrayList<>();
    /** Where the last write ended in the current segment, and where the last good force reached. */
    private long written;
    private long forced;
    /** The flusher is in a force; the writer waits for it before changing the segment. */
    private boolean forcing;
    /** The writer is changing the segment; the flusher starts no force meanwhile. */
    private boolean writerExclusive;
    /** A force failed; the writer cuts the segment back before anything else is forced. */
    private IOException forceFailed;
    private volatile boolean forceFailedSeen;
    /** The flusher stopped on an Error: the journal stops too. */
    private volatile Throwable flusherFailure;
    private boolean flusherStop;

    // The writer thread's own (current is read by the flusher under flushLock).
    private SegmentChannel current;
    private long size;
    private Pending carried;
    private List<Pending> inFlight;
    /** Where the batch in flight began: an I/O error cuts the segment back to here. */
    private long batchSegment;
    private long batchSize;
    /** The last batch failed with an I/O error (logged once until a batch succeeds). */
    private boolean troubled;
    private final ByteBuffer[] gather = new ByteBuffer[MAX_BATCH_RECORDS * 2];
    private int gathered;

    GroupCommitWriter(Path dir, JournalFiles files, long segmentBytes, Scheduler completions, Set<Long> segments) {
        this.dir = dir;
        this.files = files;
        this.segmentBytes = segmentBytes;
        this.completions = completions;
        this.segments = segments;
        this.thread = new Thread(this, "postilion-journal-writer");
        this.thread.setDaemon(true);
        this.flusher = new Thread(this::flushLoop, "postilion-journal-flusher");
        this.flusher.setDaemon(true);
    }

    /** Creates the first segment on the calling thread (open's), then starts the writer thread. */
    void start(long firstSegment) throws IOException {
        createSegment(firstSegment);
        thread.start();
        flusher.start();
    }

    long currentSegment() {
        return currentSegment;
    }

    long forces() {
        return forces;
    }

    long records() {
        return records;
    }

    // ------------------------------------------------------------------ the appenders' side

    Mono<RecordAddress> submit(int kind, ByteBuffer payload, boolean durable) {
        if (state.get() != OPEN) {
            return Mono.error(unavailable());
        }
        // The checksum is computed here, on the appending thread: the writer is one thread shared
        // by every session and should spend its time on I/O alone.
        ByteBuffer header = ByteBuffer.allocate(Frame.HEADER);
        Frame.writeHeader(header, kind, payload);
        Pending p = new Pending(header.flip(), payload, durable);
        queue.offer(p);
        if (idle) {
            LockSupport.unpark(thread);
        }
        // The writer may have left between the state check and the offer; then nobody else will
        // take this record, so it is failed here (unless the writer's last sweep got it first).
        if (exited && queue.remove(p)) {
            p.sink.tryEmitError(unavailable());
        }
        return p.sink.asMono();
    }

    private IOException unavailable() {
        Throwable f = failure;
        return f != null ? new IOException("the journal failed and takes no more records: " + f, f)
                : new IOException("the journal is closed");
    }

    /** Lets the writer finish what is queued, force it, and stop. Blocking. */
    void close(long timeoutMillis) {
        state.compareAndSet(OPEN, CLOSING);
        LockSupport.unpark(thread);
        try {
            thread.join(timeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("journal: the writer did not finish within {} ms; closing with appends unwritten", timeoutMillis);
        }
    }

    // ------------------------------------------------------------------ the writer thread

    @Override
    public void run() {
        try {
            while (true) {
                if (forceFailedSeen) {
                    afterFailedForce();
                }
                Throwable flusherDied = flusherFailure;
                if (flusherDied != null) {
                    throw flusherDied;
                }
                List<Pending> batch = takeBatch();
                if (batch.isEmpty()) {
                    if (state.get() != OPEN) {
                        break;
                    }
                    // Announce the park before the last look at the queue: an appender either sees
                    // idle and unparks, or its record is seen here (both sides are volatile).
                    idle = true;
                    if (queue.isEmpty() && state.get() == OPEN && !forceFailedSeen && flusherFailure == null) {
                        LockSupport.park(this);
                    }
                    idle = false;
                    continue;
                }
                try {
                    writeBatch(batch);
                    if (troubled) {
                        troubled = false;
                        log.info("journal: writing to segment {} works again", currentSegment);
                    }
                } catch (IOException e) {
                    recoverFrom(e);
                }
            }
            stopFlusher();
            Throwable flusherDied = flusherFailure;
            if (flusherDied != null) {
                throw flusherDied;
            }
            if (forceFailedSeen) {
                afterFailedForce();
            }
            if (current != null) {
                if (written > forced) {
                    force(); // what needed no flush is flushed too before the journal closes
                }
                current.close();
            }
        } catch (Throwable t) {
            failure = t;
            state.set(FAILED);
            try {
                onFailure.accept(t);
            } catch (RuntimeException ignored) {
                // the handler's own trouble must not hide the failure reported below
            }
            log.error("journal: writing to segment {} failed; it takes no more records", currentSegment, t);
            if (inFlight != null) {
                complete(inFlight.stream().filter(p -> !p.completed).toList(), t);
            }
            List<Pending> unforced;
            synchronized (flushLock) {
                unforced = awaiting;
                awaiting = new ArrayList<>();
                flusherStop = true;
                flushLock.notifyAll();
            }
            complete(unforced, t);
            closeQuietly();
        } finally {
            exited = true;
            List<Pending> left = new ArrayList<>();
            if (carried != null) {
                left.add(carried);
            }
            for (Pending p; (p = queue.poll()) != null; ) {
                left.add(p);
            }
            complete(left, unavailable());
        }
    }

    private List<Pending> takeBatch() {
        List<Pending> batch = new ArrayList<>();
        long bytes = 0;
        Pending p = carried != null ? carried : queue.poll();
        carried = null;
        while (p != null) {
            long frame = Frame.HEADER + (long) p.payload.remaining();
            if (!batch.isEmpty() && (batch.size() == MAX_BATCH_RECORDS || bytes + frame > MAX_BATCH_BYTES)) {
                carried = p;
                break;
            }
            batch.add(p);
            bytes += frame;
            p = queue.poll();
        }
        return batch;
    }

    /** An I/O error hit the batch in flight: fail what it had not completed, then make the segment safe. */
    private void recoverFrom(IOException e) {
        if (!troubled) {
            log.warn("journal: writing to segment {} failed ({}); the records of that write are refused, later ones "
                    + "are tried again", currentSegment, e.toString());
        }
        troubled = true;
        complete(inFlight.stream().filter(p -> !p.completed).toList(), e);
        inFlight = null;
        gathered = 0;
        Arrays.fill(gather, null);
        if (current == null) {
            return; // the segment could not even be created; the next batch tries a new one
        }
        cutBack(currentSegment == batchSegment ? batchSize : Frame.SEGMENT_HEADER, e);
    }

    /**
     * Cuts the current segment back to {@code good} bytes and flushes it, the flusher held off; if
     * that fails too, the segment is left behind (with every record still waiting for a force
     * failed) and the next batch starts a new one.
     */
    private void cutBack(long good, IOException cause) {
        exclusive(() -> {
            try {
                current.truncate(good);
                current.force();
                size = good;
                written = good;
                forced = good;
            } catch (IOException again) {
                log.warn("journal: cannot cut segment {} back ({}); the next records go to a new segment", currentSegment,
                        again.toString());
                complete(takeAwaiting(), cause);
                closeQuietly();
                current = null;
            }
        });
    }

    /** A force failed (the flusher said so): what it did not cover is refused and cut off. */
    private void afterFailedForce() {
        IOException e;
        long good;
        synchronized (flushLock) {
            e = forceFailed;
            good = forced;
        }
        if (!troubled) {
            log.warn("journal: flushing segment {} failed ({}); the records it did not cover are refused, later ones "
                    + "are tried again", currentSegment, e.toString());
        }
        troubled = true;
        complete(takeAwaiting(), e);
        if (current != null) {
            cutBack(good, e);
        }
        synchronized (flushLock) {
            forceFailed = null;
            forceFailedSeen = false;
        }
    }

    private List<Pending> takeAwaiting() {
        synchronized (flushLock) {
            List<Pending> taken = awaiting;
            awaiting = new ArrayList<>();
            return taken;
        }
    }

    /** Runs {@code change} to the segment while no force runs and none starts. */
    private void exclusive(IoAction change) {
        synchronized (flushLock) {
            writerExclusive = true;
            while (forcing) {
                try {
                    flushLock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        try {
            change.run();
        } finally {
            synchronized (flushLock) {
                writerExclusive = false;
                flushLock.notifyAll();
            }
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run();
    }

    private interface IoChange {
        void run() throws IOException;
    }

    /** As {@link #exclusive(IoAction)}, for a change that may fail with an I/O error. */
    private void exclusiveIo(IoChange change) throws IOException {
        IOException[] failed = new IOException[1];
        exclusive(() -> {
            try {
                change.run();
            } catch (IOException e) {
                failed[0] = e;
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
    }

    private void writeBatch(List<Pending> batch) throws IOException {
        inFlight = batch;
        if (current == null) {
            long next = currentSegment + 1; // the last one was left behind after an I/O error
            exclusiveIo(() -> createSegment(next));
        }
        batchSegment = currentSegment;
        batchSize = size;
        boolean durable = false;
        for (Pending p : batch) {
            int length = p.payload.remaining();
            long frame = Frame.HEADER + (long) length;
            if (size + frame > segmentBytes && size > Frame.SEGMENT_HEADER) {
                writeGathered();
                roll();
            }
            gather[gathered++] = p.header;
            gather[gathered++] = p.payload;
            p.address = new RecordAddress(currentSegment, size, length);
            size += frame;
            durable |= p.durable;
        }
        writeGathered();
        records += batch.size();
        List<Pending> waitingForForce = new ArrayList<>();
        List<Pending> done = new ArrayList<>();
        for (Pending p : batch) {
            (p.durable ? waitingForForce : done).add(p);
        }
        synchronized (flushLock) {
            written = size;
            if (durable) {
                waitingForForce.forEach(p -> p.completed = true); // the flusher's to complete from now on
                awaiting.addAll(waitingForForce);
                flushLock.notifyAll();
            }
        }
        complete(done, null);
        inFlight = null;
    }

    private void writeGathered() throws IOException {
        if (gathered > 0) {
            ByteBuffer[] sources = Arrays.copyOf(gather, gathered);
            Arrays.fill(gather, 0, gathered, null); // do not keep callers' payloads alive
            gathered = 0;
            current.write(sources);
        }
    }

    /** A force by the writer itself (rolling, closing), the flusher held off. */
    private void force() throws IOException {
        exclusiveIo(() -> {
            current.force();
            forced = size;
            written = size;
            forces++;
        });
    }

    /**
     * The current segment is full: flush it (nothing older may be torn; the records of it still
     * waiting for the flusher are covered by this force) and start the next.
     */
    private void roll() throws IOException {
        exclusiveIo(() -> {
            current.force();
            forces++;
            current.close();
            current = null;
            createSegment(currentSegment + 1);
        });
    }

    // ------------------------------------------------------------------ the flusher thread

    /**
     * Forces the segment for every durable record written before the force began, then hands
     * them to the completion scheduler; again as soon as more are written. A failed force fails
     * what it was to cover and leaves the cutting back to the writer; until then nothing is forced
     * (a later force of a segment whose flush failed could succeed without the lost pages).
     */
    private void flushLoop() {
        List<Pending> covering = List.of();
        try {
            while (true) {
                SegmentChannel ch;
                long upTo;
                IOException failed;
                synchronized (flushLock) {
                    while (!flusherStop && (awaiting.isEmpty() || writerExclusive || forceFailed != null)) {
                        flushLock.wait();
                    }
                    if (awaiting.isEmpty() || forceFailed != null) {
                        return; // stopping (a failure left for the writer fails what waits)
                    }
                    covering = awaiting;
                    awaiting = new ArrayList<>();
                    ch = current;
                    upTo = written;
                    forcing = ch != null && forced < upTo;
                }
                failed = null;
                if (forcing) { // otherwise a roll or the writer has forced everything already
                    try {
                        ch.force();
                        forces++;
                    } catch (IOException e) {
                        failed = e;
                    }
                    synchronized (flushLock) {
                        forcing = false;
                        if (failed == null) {
                            forced = Math.max(forced, upTo);
                        } else {
                            forceFailed = failed;
                            forceFailedSeen = true;
                        }
                        flushLock.notifyAll();
                    }
                }
                complete(covering, failed, true);
                covering = List.of();
                if (failed != null) {
                    LockSupport.unpark(thread); // the writer cuts the segment back before anything else
                }
            }
        } catch (Throwable t) {
            flusherFailure = t;
            complete(covering, t, true);
            synchronized (flushLock) {
                forcing = false;
                flushLock.notifyAll();
            }
            LockSupport.unpark(thread);
        }
    }

    /** Lets the flusher cover what is written, then stops it (the writer's last act). */
    private void stopFlusher() throws InterruptedException {
        synchronized (flushLock) {
            flusherStop = true;
            flushLock.notifyAll();
        }
        flusher.join();
    }

    private void createSegment(long number) throws IOException {
        SegmentChannel ch = files.createSegment(dir.resolve(SegmentNames.name(number)));
        try {
            ch.write(new ByteBuffer[] {Frame.segmentHeader(number)});
            // The header and the name are on the disk before any record: a newest segment with a
            // torn header therefore holds nothing and may be removed at recovery.
            ch.force();
            files.forceDirectory(dir);
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
                // Nothing was acknowledged in it; gone, so that a later attempt may use the number.
                files.delete(dir.resolve(SegmentNames.name(number)));
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        current = ch;
        size = Frame.SEGMENT_HEADER;
        written = size;
        forced = size; // the header was forced above
        segments.add(number);
        currentSegment = number;
    }

    /**
     * Completes appends on the completion scheduler, a few per task: the writer thread only hands
     * them over, so subscriber code (which may run long) never delays the next write or force.
     */
    private void complete(List<Pending> done, Throwable error) {
        complete(done, error, false);
    }

    /**
     * @param handedOver the records were handed to the flusher (already marked completed, so
     *     that the writer's failure handling does not complete them twice)
     */
    private void complete(List<Pending> done, Throwable error, boolean handedOver) {
        for (int i = 0; i < done.size(); i += COMPLETION_CHUNK) {
            List<Pending> chunk = done.subList(i, Math.min(done.size(), i + COMPLETION_CHUNK));
            if (!handedOver) {
                chunk.forEach(p -> p.completed = true);
            }
            Runnable task = () -> {
                for (Pending p : chunk) {
                    if (error == null) {
                        p.sink.tryEmitValue(p.address);
                    } else {
                        p.sink.tryEmitError(error);
                    }
                }
            };
            try {
                completions.schedule(task);
            } catch (RejectedExecutionException disposed) {
                task.run(); // the scheduler is gone: completing here is better than never
            }
        }
    }

    private void closeQuietly() {
        if (current != null) {
            try {
                current.close();
            } catch (IOException ignored) {
                // already failing; the first error is the one reported
            }
        }
    }
}
