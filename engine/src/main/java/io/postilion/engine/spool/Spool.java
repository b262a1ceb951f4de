package io.postilion.engine.spool;

import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.relay.QueueEntry;
import io.postilion.engine.relay.QueuedMessage;
import io.postilion.engine.relay.RelayQueue;
import io.postilion.transport.content.ContentSource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The relay's crash-safe queue: one file per message under queue_directory, in incoming/,
 * active/, deferred/ or corrupt/. A message is acknowledged only after its file's data is on the
 * disk, the file has been renamed from incoming/ into active/, and active/ itself has been
 * flushed. Recipient results are appended (and flushed) as they come, so a restart never delivers
 * a recipient twice.
 *
 * <p>File work runs on a few I/O lanes, each a thread of its own; a message always uses the same
 * lane, so its operations keep their order, while flushes of different messages proceed side by
 * side. Requests that arrive while a lane is busy wait and are then handled together in one pass,
 * which flushes each directory once for the whole group: with many concurrent sessions a message
 * costs its own file flush plus a share of one directory flush.
 */
public final class Spool implements RelayQueue {

    private static final Logger log = LoggerFactory.getLogger(Spool.class);

    private final Path root;
    private final SpoolFiles files;
    private final Clock clock;
    private final Scheduler io;
    /** I/O lanes: enough to keep a disk's queue busy, few enough to group flushes. */
    private static final int LANES = 4;
    private final Lane[] lanes = new Lane[LANES];
    private final Map<String, QueueState> where = new ConcurrentHashMap<>();
    private final Map<String, long[]> contentRegion = new ConcurrentHashMap<>();
    private final Map<QueueState, AtomicInteger> counts = new EnumMap<>(QueueState.class);
    private final AtomicInteger passes = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Told when a lane meets an Error (an OutOfMemoryError, say): the relay exits 70 then. */
    private volatile java.util.function.Consumer<Throwable> onLaneFailure =
            t -> log.error("spool: an I/O lane failed: {}", t.toString());

    /** Opens (creating if needed) the spool under {@code root}; blocking: call at start-up. */
    public static Spool open(Path root, SpoolFiles files, Clock clock) throws IOException {
        for (QueueState s : QueueState.values()) {
            files.createDirectories(root.resolve(s.directory()));
        }
        return new Spool(root, files, clock);
    }

    private Spool(Path root, SpoolFiles files, Clock clock) {
        this.root = root;
        this.files = files;
        this.clock = clock;
        this.io = Schedulers.newBoundedElastic(LANES, Integer.MAX_VALUE, "postilion-spool");
        for (int i = 0; i < LANES; i++) {
            lanes[i] = new Lane();
        }
        for (QueueState s : QueueState.values()) {
            counts.put(s, new AtomicInteger());
        }
    }

    private Path path(QueueState state, String id) {
        return root.resolve(state.directory()).resolve(id);
    }

    // ------------------------------------------------------------------ the listener's sink

    @Override
    public String newQueueId() {
        return QueueId.next();
    }

    @Override
    public Mono<Void> accept(ReceivedMessage message) {
        QueueFile.Encoded encoded = QueueFile.encode(message);
        return submit(new Op.Store(message.queueId(), encoded)).doOnSuccess(v -> {
            contentRegion.put(message.queueId(), new long[] {encoded.contentOffset(), encoded.contentLength()});
            where.put(message.queueId(), QueueState.ACTIVE);
            counts.get(QueueState.ACTIVE).incrementAndGet();
        });
    }

    /**
     * Takes over a message another store kept until now (the journal, when the message is
     * deferred): {@code encoded} is its whole queue file, results included, written to
     * {@code into} and flushed, directory included, before the Mono completes.
     */
    public Mono<Void> adopt(String queueId, QueueFile.Encoded encoded, QueueState into) {
        return submit(new Op.Store(queueId, encoded, into)).doOnSuccess(v -> {
            contentRegion.put(queueId, new long[] {encoded.contentOffset(), encoded.contentLength()});
            where.put(queueId, into);
            counts.get(into).incrementAndGet();
        });
    }

    /** Whether this spool holds a file for the message. */
    public boolean holds(String queueId) {
        return where.containsKey(queueId);
    }

    /** The content of a message this spool holds, read from wherever its file is when it is read. */
    ContentSource contentOf(String queueId, long length) {
        return content(queueId, length);
    }

    @Override
    public QueuedMessage queued(ReceivedMessage accepted) {
        return QueuedMessage.of(accepted, new BitSet(), content(accepted.queueId(), accepted.content().length));
    }

    /** The content of a queued message, read from wherever its file is when it is read. */
    private ContentSource content(String id, long length) {
        return ContentSource.lazy(length, alloc -> {
            long[] region = contentRegion.get(id);
            QueueState state = where.get(id);
            if (region == null || state == null) {
                return Flux.error(new IOException("queue file " + id + " is gone"));
            }
            return ContentSource.of(path(state, id), region[0], region[1]).open(alloc);
        });
    }

    // ------------------------------------------------------------------ the queue manager's store

    @Override
    public Mono<Void> record(String queueId, int index, RecipientResult result) {
        byte[] status = QueueFile.status(new QueueFile.Status(index, result.outcome(), result.status(), result.reason(),
                clock.instant()));
        return submit(new Op.Append(queueId, status));
    }

    @Override
    public Mono<Void> defer(String queueId) {
        return submit(new Op.Move(queueId, QueueState.DEFERRED));
    }

    /** Sets the next attempt of a message this spool holds (the file's modification time). */
    Mono<Void> touch(String queueId, java.time.Instant nextAttempt) {
        return Mono.fromCallable(() -> {
            QueueState state = where.get(queueId);
            if (state != null) {
                java.nio.file.Files.setLastModifiedTime(path(state, queueId), java.nio.file.attribute.FileTime.from(nextAttempt));
            }
            return true;
        }).subscribeOn(io).then();
    }

    /** Deferred, with its next attempt kept as the file's modification time, as Postfix keeps it. */
    @Override
    public Mono<Void> defer(String queueId, java.time.Instant nextAttempt) {
        return defer(queueId).then(touch(queueId, nextAttempt));
    }

    /** Next attempts of the deferred files found at recovery, until asked for. */
    private final Map<String, java.time.Instant> recoveredDue = new ConcurrentHashMap<>();

    @Override
    public java.time.Instant nextAttempt(String queueId) {
        java.time.Instant due = recoveredDue.remove(queueId);
        return due == null ? java.time.Instant.EPOCH : due;
    }

    @Override
    public Mono<Void> activate(String queueId) {
        return submit(new Op.Move(queueId, QueueState.ACTIVE));
    }

    @Override
    public Mono<Void> remove(String queueId) {
        return submit(new Op.Remove(queueId));
    }

    /** Deletes the message's file in whatever state it is, corrupt/ included (postilion delete). */
    @Override
    public Mono<Boolean> delete(String queueId) {
        if (!QueueId.looksLikeOne(queueId)) {
            return Mono.just(false);
        }
        Op.Delete op = new Op.Delete(queueId);
        return submit(op).then(Mono.fromSupplier(() -> op.found));
    }

    @Override
    public Map<String, Integer> counts() {
        Map<String, Integer> out = new LinkedHashMap<>();
        counts.forEach((state, n) -> out.put(state.directory(), n.get()));
        return out;
    }

    /** How many I/O passes have run (each flushes each touched directory once). */
    public int passes() {
        return passes.get();
    }

    // ------------------------------------------------------------------ listing (postilion queue)

    /** The queue as it is on disk, read on the spool's I/O thread. */
    @Override
    public Mono<List<QueueEntry>> list() {
        return Mono.fromCallable(() -> list(root, files)).subscribeOn(io);
    }

    /**
     * Reads a spool directory without a running relay (blocking: for the command line). Files are
     * only read, never moved, so a relay running at the same time is not disturbed.
     */
    public static List<QueueEntry> list(Path root, SpoolFiles files) throws IOException {
        List<QueueEntry> out = new ArrayList<>();
        for (QueueState state : List.of(QueueState.ACTIVE, QueueState.DEFERRED, QueueState.CORRUPT)) {
            Path dir = root.resolve(state.directory());
            if (!java.nio.file.Files.isDirectory(dir)) {
                continue;
            }
            for (String name : files.list(dir)) {
                if (!QueueId.looksLikeOne(name)) {
                    continue;
                }
                try {
                    QueueFile.Decoded d = QueueFile.decode(files.read(dir.resolve(name)));
                    out.add(entryOf(name, state, d, d.statuses()));
                } catch (QueueFile.CorruptQueueFile | IOException bad) {
                    out.add(new QueueEntry(name, QueueState.CORRUPT.directory(), null, "", 0, List.of()));
                }
            }
        }
        out.sort(java.util.Comparator.comparing(QueueEntry::queueId));
        return out;
    }

    /**
     * One message of the listing: the recipients not yet sent or returned, each with the reason of
     * its last deferral, from the results recorded for it.
     */
    static QueueEntry entryOf(String id, QueueState state, QueueFile.Decoded d, List<QueueFile.Status> statuses) {
        int n = d.envelope().recipients().size();
        BitSet done = new BitSet();
        String[] lastDeferral = new String[n];
        for (QueueFile.Status st : statuses) {
            if (st.index() < 0 || st.index() >= n) {
                continue;
            }
            if (st.outcome().staysQueued()) {
                lastDeferral[st.index()] = st.reason();
            } else {
                done.set(st.index());
            }
        }
        List<QueueEntry.Pending> pending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!done.get(i)) {
                pending.add(new QueueEntry.Pending(d.envelope().recipients().get(i).address(),
                        lastDeferral[i] == null ? "" : lastDeferral[i]));
            }
        }
        return new QueueEntry(id, state.directory(), d.envelope().arrival(), d.envelope().sender(), d.contentLength(),
                pending);
    }

    /** Deletes a message's file whatever its state, for postilion delete without a relay; false if absent. */
    public static boolean deleteOffline(Path root, String queueId) throws IOException {
        if (!QueueId.looksLikeOne(queueId)) {
            return false;
        }
        for (QueueState state : QueueState.values()) {
            Path f = root.resolve(state.directory()).resolve(queueId);
            if (java.nio.file.Files.deleteIfExists(f)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ recovery

    /**
     * What an earlier run left: incoming/ leftovers (never acknowledged) are deleted; files in
     * active/ and deferred/ come back with their decided recipients marked done; files that
     * cannot be read go to corrupt/.
     */
    @Override
    public Flux<QueuedMessage> recover() {
        return Mono.fromCallable(this::recoverNow).subscribeOn(io).flatMapIterable(l -> l);
    }

    private List<QueuedMessage> recoverNow() throws IOException {
        for (String name : files.list(root.resolve(QueueState.INCOMING.directory()))) {
            files.delete(path(QueueState.INCOMING, name));
            log.info("spool: removed {} from incoming/: it was never acknowledged", name);
        }
        List<QueuedMessage> out = new ArrayList<>();
        for (QueueState state : List.of(QueueState.ACTIVE, QueueState.DEFERRED)) {
            for (String name : files.list(root.resolve(state.directory()))) {
                if (!QueueId.looksLikeOne(name)) {
                    continue;
                }
                QueuedMessage m;
                try {
                    m = recoverOne(state, name);
                } catch (IOException | RuntimeException odd) {
                    // A directory, a FIFO, an unreadable file: set aside, and recovery goes on.
                    setAside(state, name, odd);
                    continue;
                }
                if (m != null) {
                    out.add(m);
                }
            }
        }
        counts.get(QueueState.CORRUPT).set(files.list(root.resolve(QueueState.CORRUPT.directory())).size());
        return out;
    }

    /** The recipients a file records as sent or returned (out-of-range indexes are ignored with a warning). */
    static BitSet doneOf(String id, QueueFile.Decoded d) {
        BitSet done = new BitSet();
        int n = d.envelope().recipients().size();
        for (QueueFile.Status s : d.statuses()) {
            if (s.index() < 0 || s.index() >= n) {
                log.warn("spool: {} records a result for recipient {} of {}; ignored", id, s.index(), n);
            } else if (!s.outcome().staysQueued()) {
                done.set(s.index());
            }
        }
        return done;
    }

    @Override
    public boolean loads() {
        return true;
    }

    /** A message as its file has it now, read on a spool thread; its content stays in the file. */
    @Override
    public Mono<QueuedMessage> load(String queueId) {
        return Mono.fromCallable(() -> {
            QueueState state = where.get(queueId);
            if (state == null) {
                throw new IOException("queue file " + queueId + " is not in the spool");
            }
            QueueFile.Decoded d;
            try {
                d = QueueFile.decode(files.read(path(state, queueId)));
            } catch (QueueFile.CorruptQueueFile bad) {
                throw new IOException("queue file " + queueId + " is corrupt: " + bad.getMessage(), bad);
            }
            return QueuedMessage.of(d.envelope(), doneOf(queueId, d), content(queueId, d.contentLength()));
        }).subscribeOn(io);
    }

    private void setAside(QueueState state, String name, Exception why) {
        Path to = root.resolve(QueueState.CORRUPT.directory()).resolve(state.directory() + "-" + name);
        try {
            files.rename(path(state, name), to);
            files.forceDirectory(root.resolve(QueueState.CORRUPT.directory()));
            log.error("spool: {}/{} cannot be read ({}); moved to {}", state.directory(), name, why.toString(), to);
        } catch (IOException e) {
            log.error("spool: {}/{} cannot be read ({}) nor moved aside ({}); skipped", state.directory(), name,
                    why.toString(), e.toString());
        }
    }

    private QueuedMessage recoverOne(QueueState state, String id) throws IOException {
        Path file = path(state, id);
        QueueFile.Decoded d;
        try {
            d = QueueFile.decode(files.read(file));
        } catch (QueueFile.CorruptQueueFile bad) {
            log.error("spool: {} is corrupt ({}); moved to corrupt/", id, bad.getMessage());
            files.rename(file, path(QueueState.CORRUPT, id));
            files.forceDirectory(root.resolve(QueueState.CORRUPT.directory()));
            return null;
        }
        if (d.tornTail()) {
            log.warn("spool: {} ends with a torn status record; that recipient will be tried again", id);
        }
        BitSet done = doneOf(id, d);
        if (done.cardinality() >= d.envelope().recipients().size()) {
            files.delete(file); // finished before the crash could remove it
            return null;
        }
        where.put(id, state);
        contentRegion.put(id, new long[] {d.contentOffset(), d.contentLength()});
        counts.get(state).incrementAndGet();
        if (state == QueueState.DEFERRED) {
            recoveredDue.put(id, java.nio.file.Files.getLastModifiedTime(file).toInstant());
        }
        return QueuedMessage.of(d.envelope(), done, content(id, d.contentLength()));
    }

    // ------------------------------------------------------------------ the I/O thread

    private Mono<Void> submit(Op op) {
        return submit(op, lanes[Math.floorMod(op.queueId().hashCode(), LANES)]);
    }

    private Mono<Void> submit(Op op, Lane lane) {
        return Mono.<Void>create(sink -> {
            if (closed.get() && !(op instanceof Op.Barrier)) {
                sink.error(new IOException("the spool is closed (" + op + ")"));
                return;
            }
            op.sink = sink;
            lane.pending.add(op);
            if (lane.draining.compareAndSet(false, true)) {
                io.schedule(() -> drain(lane));
            }
        });
    }

    /** One I/O thread's queue of work. */
    private static final class Lane {
        final ConcurrentLinkedQueue<Op> pending = new ConcurrentLinkedQueue<>();
        final AtomicBoolean draining = new AtomicBoolean();
    }

    /**
     * Who is told when an I/O lane fails with an Error. The lane fails what it held and what waits
     * on it, so no client waits for ever; the relay sets this to exit with 70 so that its
     * supervisor restarts it, rather than running on half-dead (CLARIFICATIONS 40).
     */
    public void onLaneFailure(java.util.function.Consumer<Throwable> handler) {
        this.onLaneFailure = java.util.Objects.requireNonNull(handler, "handler");
    }

    /** Runs passes until nothing is pending on the lane; each pass handles everything that waited. */
    private void drain(Lane lane) {
        try {
            drainPasses(lane);
        } catch (Error e) {
            List<Op> lost = new ArrayList<>();
            for (Op op; (op = lane.pending.poll()) != null; ) {
                lost.add(op);
            }
            lane.draining.set(false);
            for (Op op : lost) {
                op.sink.error(e);
            }
            onLaneFailure.accept(e);
        }
    }

    private void drainPasses(Lane lane) {
        while (true) {
            List<Op> batch = new ArrayList<>();
            for (Op op; (op = lane.pending.poll()) != null; ) {
                batch.add(op);
            }
            if (batch.isEmpty()) {
                lane.draining.set(false);
                if (lane.pending.isEmpty() || !lane.draining.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            pass(batch);
        }
    }

    private void pass(List<Op> batch) {
        passes.incrementAndGet();
        java.util.Set<QueueState> touched = java.util.EnumSet.noneOf(QueueState.class);
        List<Op> ok = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            Op op = batch.get(i);
            try {
                op.run(this, touched);
                ok.add(op);
            } catch (IOException | RuntimeException e) {
                log.error("spool: {} failed: {}", op, e.toString());
                op.sink.error(e);
            } catch (Error e) {
                for (Op failed : batch.subList(i, batch.size())) {
                    failed.sink.error(e);
                }
                ok.forEach(done -> done.sink.error(e)); // their directory was not flushed
                throw e;
            }
        }
        try {
            for (QueueState s : touched) {
                files.forceDirectory(root.resolve(s.directory()));
            }
        } catch (IOException e) {
            log.error("spool: flushing a directory failed: {}", e.toString());
            ok.forEach(op -> op.sink.error(e));
            return;
        }
        ok.forEach(op -> op.sink.success());
    }

    /** One piece of file work, done on the I/O thread. */
    private abstract static sealed class Op {
        MonoSink<Void> sink;

        abstract void run(Spool s, java.util.Set<QueueState> touched) throws IOException;

        abstract String queueId();

        static final class Store extends Op {
            final String id;

            @Override
            String queueId() {
                return id;
            }
            final QueueFile.Encoded encoded;
            final QueueState into;

            Store(String id, QueueFile.Encoded encoded) {
                this(id, encoded, QueueState.ACTIVE);
            }

            Store(String id, QueueFile.Encoded encoded, QueueState into) {
                this.id = id;
                this.encoded = encoded;
                this.into = into;
            }

            @Override
            void run(Spool s, java.util.Set<QueueState> touched) throws IOException {
                Path incoming = s.path(QueueState.INCOMING, id);
                try {
                    s.files.create(incoming, encoded.bytes());
                    s.files.rename(incoming, s.path(into, id));
                } catch (IOException e) {
                    // A partial file of a message nobody was told about goes now, not at the next start.
                    try {
                        s.files.delete(incoming);
                    } catch (IOException again) {
                        e.addSuppressed(again);
                    }
                    throw e;
                }
                touched.add(into);
            }

            @Override
            public String toString() {
                return "storing " + id;
            }
        }

        static final class Append extends Op {
            final String id;

            @Override
            String queueId() {
                return id;
            }
            final byte[] bytes;

            Append(String id, byte[] bytes) {
                this.id = id;
                this.bytes = bytes;
            }

            @Override
            void run(Spool s, java.util.Set<QueueState> touched) throws IOException {
                QueueState state = s.where.get(id);
                if (state == null) {
                    throw new IOException("queue file " + id + " is not in the spool");
                }
                s.files.append(s.path(state, id), bytes);
            }

            @Override
            public String toString() {
                return "recording a result of " + id;
            }
        }

        static final class Move extends Op {
            final String id;

            @Override
            String queueId() {
                return id;
            }
            final QueueState to;

            Move(String id, QueueState to) {
                this.id = id;
                this.to = to;
            }

            @Override
            void run(Spool s, java.util.Set<QueueState> touched) throws IOException {
                QueueState from = s.where.get(id);
                if (from == null) {
                    throw new IOException("queue file " + id + " is not in the spool");
                }
                if (from != to) {
                    s.files.rename(s.path(from, id), s.path(to, id));
                    s.where.put(id, to);
                    s.counts.get(from).decrementAndGet();
                    s.counts.get(to).incrementAndGet();
                    touched.add(to);
                }
            }

            @Override
            public String toString() {
                return "moving " + id + " to " + to.directory();
            }
        }

        /** The administrator's delete: the file goes whatever its state (corrupt files are not tracked). */
        static final class Delete extends Op {
            final String id;
            volatile boolean found;

            Delete(String id) {
                this.id = id;
            }

            @Override
            String queueId() {
                return id;
            }

            @Override
            void run(Spool s, java.util.Set<QueueState> touched) throws IOException {
                if (Remove.removeTracked(s, id)) {
                    found = true;
                } else if (s.files.list(s.root.resolve(QueueState.CORRUPT.directory())).contains(id)) {
                    s.files.delete(s.path(QueueState.CORRUPT, id));
                    s.counts.get(QueueState.CORRUPT).decrementAndGet();
                    found = true;
                }
            }

            @Override
            public String toString() {
                return "deleting " + id;
            }
        }

        /** Does nothing; completes once every operation queued before it on its lane is done. */
        static final class Barrier extends Op {
            @Override
            String queueId() {
                return "";
            }

            @Override
            void run(Spool s, java.util.Set<QueueState> touched) {
            }

            @Override
            public String toString() {
                return "a barrier";
            }
        }

        static final class Remove extends Op {
            final String id;

            @Override
            String queueId() {
                return id;
            }

            Remove(String id) {
                this.id = id;
            }

            @Override
            void run(Spool s, java.util.Set<QueueState> touched) throws IOException {
                removeTracked(s, id);
            }

            /** Removes a message the spool tracks, in whatever state; false when it tracks none by that id. */
            static boolean removeTracked(Spool s, String id) throws IOException {
                QueueState state = s.where.remove(id);
                s.contentRegion.remove(id);
                if (state == null) {
                    return false;
                }
                s.files.delete(s.path(state, id));
                s.counts.get(state).decrementAndGet();
                return true;
            }

            @Override
            public String toString() {
                return "removing " + id;
            }
        }
    }

    /**
     * Refuses new work, lets the work already queued on each lane finish (at most 10 seconds,
     * so a result being recorded is not torn), then stops the I/O threads. Blocking: call it
     * from the thread that shuts the relay down, never from an event loop.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            List<Mono<Void>> barriers = new ArrayList<>();
            for (Lane lane : lanes) {
                barriers.add(submit(new Op.Barrier(), lane));
            }
            try {
                Mono.when(barriers).block(java.time.Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                log.warn("spool: closing with file work unfinished: {}", e.toString());
            }
            io.dispose();
        }
    }
}
