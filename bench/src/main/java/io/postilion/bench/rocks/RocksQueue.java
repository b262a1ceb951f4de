package io.postilion.bench.rocks;

import io.postilion.engine.delivery.QueueIds;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.relay.QueueEntry;
import io.postilion.engine.relay.QueuedMessage;
import io.postilion.engine.relay.RelayQueue;
import io.postilion.engine.spool.QueueFile;
import io.postilion.engine.spool.QueueId;
import io.postilion.engine.spool.QueueState;
import io.postilion.transport.content.ContentSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.StatsLevel;
import org.rocksdb.Statistics;
import org.rocksdb.TickerType;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The relay's queue kept in RocksDB instead of the project's journal, for the comparison in
 * docs/spool.md ("Journal or RocksDB"); bench only, the engine does not depend on RocksDB.
 *
 * <p>A new message is one {@link WriteBatch} (its envelope and its content under two keys) written
 * with {@code sync = true}: the 250 follows RocksDB's write-ahead-log sync that covers it, and
 * RocksDB's write thread lets one sync cover every synced batch that queued up while the
 * previous one ran (its group commit). That needs the writers to be waiting at once, so RocksDB
 * calls run on a pool of {@code writers} threads of their own, never on an event loop. Recipient
 * results, deferrals and removals are written without a sync of their own (they reach the log
 * file at once and ride the next sync, as the journal's result and removal records do).
 *
 * <p>Keys, each a one-letter kind and the queue id: {@code E} the envelope (the content length,
 * then a queue file without its content), {@code C} the content, {@code R<id>/<index>} a
 * recipient's latest result, {@code D} the next attempt of a deferred message. Removal deletes
 * them all in one batch. A restart gives back every message with an envelope, in id order.
 *
 * <p>Left out against the production spool: the free-space check at MAIL, files 0600 (RocksDB
 * creates its files 0644 less the umask; only its directory is made 0700 here), {@code postilion
 * cat}/offline listing, and corrupt-record quarantine.
 */
public final class RocksQueue implements RelayQueue {

    private static final Logger log = LoggerFactory.getLogger(RocksQueue.class);

    static {
        RocksDB.loadLibrary();
    }

    private static final byte ENVELOPE = 'E';
    private static final byte CONTENT = 'C';
    private static final byte RESULT = 'R';
    private static final byte DEFERRED = 'D';

    /** How many bytes of fresh content may be kept in memory for first attempts, as the journal's spool does. */
    static final long HOT_BUDGET = 32L << 20;

    private final Path directory;
    private final Clock clock;
    private final Options options;
    private final Statistics statistics;
    private final WriteOptions synced;
    private final WriteOptions unsynced;
    private final RocksDB db;
    private final Scheduler io;
    /** Guards the handle: calls hold the read side, {@link #close} the write side (a closed handle would crash the JVM). */
    private final ReentrantReadWriteLock handle = new ReentrantReadWriteLock();
    private boolean closed; // guarded by handle's write lock

    /** The queue's messages: what memory keeps of each (not its content). */
    private final Map<String, Entry> live = new ConcurrentHashMap<>();
    private final Map<String, Instant> recoveredNextAttempt = new ConcurrentHashMap<>();
    private final Map<String, byte[]> hot = new ConcurrentHashMap<>();
    private final AtomicLong hotBytes = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();

    /** A queued message: recipient count (for removal's keys), content length, and whether it waits for a retry. */
    private static final class Entry {
        final int recipients;
        final long contentLength;
        volatile boolean deferred;

        Entry(int recipients, long contentLength, boolean deferred) {
            this.recipients = recipients;
            this.contentLength = contentLength;
            this.deferred = deferred;
        }
    }

    private RocksQueue(Path directory, Clock clock, int writers, long groupBytes) throws RocksDBException {
        this.directory = directory;
        this.clock = clock;
        this.statistics = new Statistics();
        statistics.setStatsLevel(StatsLevel.EXCEPT_DETAILED_TIMERS); // the lowest level rocksdbjni offers (a few clock reads per write)
        this.options = new Options().setCreateIfMissing(true).setStatistics(statistics).setMaxBackgroundJobs(2)
                .setKeepLogFileNum(2);
        if (groupBytes > 0) {
            options.setMaxWriteBatchGroupSizeBytes(groupBytes);
        }
        this.synced = new WriteOptions().setSync(true);
        this.unsynced = new WriteOptions().setSync(false);
        this.db = RocksDB.open(options, directory.toString());
        this.io = Schedulers.newBoundedElastic(writers, Integer.MAX_VALUE, "postilion-rocks");
    }

    /**
     * Opens (creating) the store in {@code queueDirectory/rocksdb} (blocking: for start-up). The
     * stored messages are read by {@link #recover}.
     *
     * @param writers threads that may wait in RocksDB at once: the most synced writes one sync can cover
     * @param groupBytes RocksDB's max_write_batch_group_size_bytes, 0 for its default (1 MiB); a write
     *     group led by a batch of at most an eighth of it may grow by only that eighth (128 KiB by
     *     default: two 100 KiB messages per sync at most)
     */
    public static RocksQueue open(Path queueDirectory, Clock clock, int writers, long groupBytes) throws IOException {
        Path dir = queueDirectory.resolve("rocksdb");
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(queueDirectory);
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        try {
            return new RocksQueue(dir, clock, writers, groupBytes);
        } catch (RocksDBException e) {
            throw new IOException("cannot open RocksDB in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The default pool: enough waiting writers for 64 sessions finishing at once. */
    public static RocksQueue open(Path queueDirectory, Clock clock) throws IOException {
        return open(queueDirectory, clock, 64, 0);
    }

    // ------------------------------------------------------------------ keys

    private static byte[] key(byte kind, String queueId) {
        byte[] id = queueId.getBytes(StandardCharsets.US_ASCII);
        byte[] k = new byte[1 + id.length];
        k[0] = kind;
        System.arraycopy(id, 0, k, 1, id.length);
        return k;
    }

    /** {@code R<id>/}: every result key of one message begins so. */
    private static byte[] resultPrefix(String queueId) {
        byte[] id = queueId.getBytes(StandardCharsets.US_ASCII);
        byte[] k = new byte[2 + id.length];
        k[0] = RESULT;
        System.arraycopy(id, 0, k, 1, id.length);
        k[k.length - 1] = '/';
        return k;
    }

    private static byte[] resultKey(String queueId, int index) {
        byte[] p = resultPrefix(queueId);
        return ByteBuffer.allocate(p.length + 4).put(p).putInt(index).array();
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** The queue id of an {@code E}, {@code C} or {@code D} key, or of an {@code R} key (up to its slash). */
    private static String idOf(byte[] key) {
        int end = key.length;
        if (key[0] == RESULT) {
            end = key.length - 5;
        }
        return new String(key, 1, end - 1, StandardCharsets.US_ASCII);
    }

    // ------------------------------------------------------------------ the handle

    /** Runs {@code call} on the RocksDB pool with the handle held open. */
    private <T> Mono<T> onStore(Callable<T> call) {
        return Mono.fromCallable(() -> withHandle(call)).subscribeOn(io);
    }

    private <T> T withHandle(Callable<T> call) throws Exception {
        handle.readLock().lock();
        try {
            if (closed) {
                throw new IOException("the RocksDB queue is closed");
            }
            return call.call();
        } finally {
            handle.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ the listener's sink

    @Override
    public String newQueueId() {
        return QueueId.next();
    }

    /** Envelope and content in one batch, written with a WAL sync; completes once the sync covers it. */
    @Override
    public Mono<Void> accept(ReceivedMessage message) {
        String id = message.queueId();
        byte[] envelope = envelopeValue(message);
        return onStore(() -> {
            try (WriteBatch batch = new WriteBatch()) {
                batch.put(key(ENVELOPE, id), envelope);
                batch.put(key(CONTENT, id), message.content());
                db.write(synced, batch);
            }
            return Boolean.TRUE;
        }).doOnNext(ok -> {
            live.put(id, new Entry(message.recipients().size(), message.content().length, false));
            accepted.incrementAndGet();
        }).then();
    }

    /** The content length, then the queue file of the message without its content. */
    private static byte[] envelopeValue(ReceivedMessage m) {
        ReceivedMessage head = new ReceivedMessage(m.queueId(), m.sender(), m.recipients(), m.bodyType(), m.smtputf8(),
                m.envId(), m.ret(), new byte[0], m.client(), m.arrival(), m.headersUtf8());
        byte[] file = QueueFile.encode(head).bytes();
        return ByteBuffer.allocate(8 + file.length).putLong(m.content().length).put(file).array();
    }

    /** The listener's copy serves the first attempt (within {@link #HOT_BUDGET}), as in the journal's spool. */
    @Override
    public QueuedMessage queued(ReceivedMessage accepted) {
        byte[] body = accepted.content();
        if (hotBytes.addAndGet(body.length) <= HOT_BUDGET) {
            hot.put(accepted.queueId(), body);
        } else {
            hotBytes.addAndGet(-body.length);
        }
        return QueuedMessage.of(accepted, new BitSet(), content(accepted.queueId(), body.length));
    }

    private void cool(String queueId) {
        byte[] b = hot.remove(queueId);
        if (b != null) {
            hotBytes.addAndGet(-b.length);
        }
    }

    /** The content: the memory copy of a first attempt, else read from RocksDB (a copy through the heap) on the pool. */
    private ContentSource content(String id, long length) {
        return ContentSource.lazy(length, alloc -> {
            byte[] fresh = hot.get(id);
            if (fresh != null) {
                return ContentSource.of(fresh).open(alloc);
            }
            return onStore(() -> {
                byte[] b = db.get(key(CONTENT, id));
                if (b == null) {
                    throw new IOException("no content for " + id + " in the RocksDB queue");
                }
                return b;
            }).flatMapMany(b -> ContentSource.of(b).open(alloc));
        });
    }

    // ------------------------------------------------------------------ the queue manager's store

    /** The recipient's result replaces any earlier one for it; no sync of its own. */
    @Override
    public Mono<Void> record(String queueId, int index, RecipientResult result) {
        if (!live.containsKey(queueId)) {
            return Mono.empty(); // deleted meanwhile
        }
        byte[] status = QueueFile.status(new QueueFile.Status(index, result.outcome(), result.status(), result.reason(),
                clock.instant()));
        return onStore(() -> {
            db.put(unsynced, resultKey(queueId, index), status);
            return Boolean.TRUE;
        }).then();
    }

    @Override
    public Mono<Void> defer(String queueId) {
        return defer(queueId, Instant.EPOCH);
    }

    /** Marks the message deferred with its next attempt (a lost mark only makes a restart retry it sooner). */
    @Override
    public Mono<Void> defer(String queueId, Instant nextAttempt) {
        cool(queueId);
        Entry e = live.get(queueId);
        if (e == null) {
            return Mono.empty();
        }
        e.deferred = true;
        byte[] when = ByteBuffer.allocate(8).putLong(nextAttempt.toEpochMilli()).array();
        return onStore(() -> {
            db.put(unsynced, key(DEFERRED, queueId), when);
            return Boolean.TRUE;
        }).then();
    }

    @Override
    public Instant nextAttempt(String queueId) {
        return recoveredNextAttempt.getOrDefault(queueId, Instant.EPOCH);
    }

    @Override
    public boolean loads() {
        return true;
    }

    /** A deferred message read back for its retry: envelope and results now, content when delivered. */
    @Override
    public Mono<QueuedMessage> load(String queueId) {
        return onStore(() -> {
            Stored s = read(queueId);
            if (s == null) {
                throw new IOException("message " + queueId + " is not in the RocksDB queue");
            }
            return QueuedMessage.of(s.decoded.envelope(), done(s.decoded), content(queueId, s.contentLength));
        });
    }

    /** The deferred mark stays until removal (its time has passed, so a restart would retry at once). */
    @Override
    public Mono<Void> activate(String queueId) {
        Entry e = live.get(queueId);
        if (e != null) {
            e.deferred = false;
        }
        return Mono.empty();
    }

    @Override
    public Mono<Void> remove(String queueId) {
        return release(queueId).then();
    }

    @Override
    public Mono<Boolean> delete(String queueId) {
        return release(queueId);
    }

    /** Deletes every key of the message in one batch (no sync of its own); false when it was not queued. */
    private Mono<Boolean> release(String queueId) {
        cool(queueId);
        Entry e = live.remove(queueId);
        if (e == null) {
            return Mono.just(false);
        }
        return onStore(() -> {
            deleteKeys(queueId, e.recipients);
            return Boolean.TRUE;
        });
    }

    /** One unsynced batch deleting the message's envelope, content, deferred mark and results (blocking). */
    private void deleteKeys(String queueId, int recipients) throws RocksDBException {
        try (WriteBatch batch = new WriteBatch()) {
            batch.delete(key(ENVELOPE, queueId));
            batch.delete(key(CONTENT, queueId));
            batch.delete(key(DEFERRED, queueId));
            for (int i = 0; i < recipients; i++) {
                batch.delete(resultKey(queueId, i));
            }
            db.write(unsynced, batch);
        }
    }

    // ------------------------------------------------------------------ reading back

    /** A stored message's envelope with its results, and its content length. */
    private record Stored(QueueFile.Decoded decoded, long contentLength) {
    }

    /** Reads one message's envelope and results (blocking: on the pool, handle held). */
    private Stored read(String queueId) throws RocksDBException, QueueFile.CorruptQueueFile {
        byte[] e = db.get(key(ENVELOPE, queueId));
        if (e == null) {
            return null;
        }
        List<byte[]> results = new ArrayList<>();
        byte[] prefix = resultPrefix(queueId);
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
                results.add(it.value());
            }
        }
        return decode(e, results);
    }

    /** The envelope value and the result values as one queue file, decoded. */
    private static Stored decode(byte[] envelope, List<byte[]> results) throws QueueFile.CorruptQueueFile {
        ByteBuffer in = ByteBuffer.wrap(envelope);
        long contentLength = in.getLong();
        int total = envelope.length - 8 + results.stream().mapToInt(r -> r.length).sum();
        ByteBuffer file = ByteBuffer.allocate(total).put(envelope, 8, envelope.length - 8);
        results.forEach(file::put);
        return new Stored(QueueFile.decode(file.array()), contentLength);
    }

    private static BitSet done(QueueFile.Decoded d) {
        BitSet done = new BitSet();
        int n = d.envelope().recipients().size();
        for (QueueFile.Status s : d.statuses()) {
            if (s.index() >= 0 && s.index() < n && !s.outcome().staysQueued()) {
                done.set(s.index());
            }
        }
        return done;
    }

    /**
     * What an earlier run left, in id (arrival) order, each with its recipients already done; a
     * message all of whose recipients were done (its removal lost) is removed now.
     */
    @Override
    public Flux<QueuedMessage> recover() {
        return onStore(this::scan).flatMapMany(Flux::fromIterable);
    }

    private List<QueuedMessage> scan() throws RocksDBException {
        Map<String, byte[]> envelopes = new LinkedHashMap<>();
        Map<String, List<byte[]>> results = new java.util.HashMap<>();
        Map<String, Instant> next = new java.util.HashMap<>();
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(new byte[] {ENVELOPE}); it.isValid() && it.key()[0] == ENVELOPE; it.next()) {
                envelopes.put(idOf(it.key()), it.value());
            }
            for (it.seek(new byte[] {RESULT}); it.isValid() && it.key()[0] == RESULT; it.next()) {
                results.computeIfAbsent(idOf(it.key()), k -> new ArrayList<>()).add(it.value());
            }
            for (it.seek(new byte[] {DEFERRED}); it.isValid() && it.key()[0] == DEFERRED; it.next()) {
                next.put(idOf(it.key()), Instant.ofEpochMilli(ByteBuffer.wrap(it.value()).getLong()));
            }
        }
        List<QueuedMessage> out = new ArrayList<>();
        String highest = "";
        for (Map.Entry<String, byte[]> e : envelopes.entrySet()) {
            String id = e.getKey();
            highest = id.compareTo(highest) > 0 ? id : highest;
            Stored s;
            try {
                s = decode(e.getValue(), results.getOrDefault(id, List.of()));
            } catch (QueueFile.CorruptQueueFile bad) {
                log.error("rocks queue: the envelope of {} cannot be read ({}); left in the store", id, bad.getMessage());
                continue;
            }
            int n = s.decoded.envelope().recipients().size();
            BitSet done = done(s.decoded);
            if (done.cardinality() >= n) {
                deleteKeys(id, n); // finished before its removal was written
                continue;
            }
            live.put(id, new Entry(n, s.contentLength, next.containsKey(id)));
            if (next.containsKey(id)) {
                recoveredNextAttempt.put(id, next.get(id));
            }
            out.add(QueuedMessage.of(s.decoded.envelope(), done, content(id, s.contentLength)));
        }
        QueueIds.advancePast(highest);
        return out;
    }

    // ------------------------------------------------------------------ listing and counts

    @Override
    public Mono<List<QueueEntry>> list() {
        List<String> ids = new ArrayList<>(live.keySet());
        ids.sort(null);
        return onStore(() -> {
            List<QueueEntry> out = new ArrayList<>();
            for (String id : ids) {
                Entry e = live.get(id);
                Stored s = e == null ? null : read(id);
                if (s != null) {
                    out.add(entryOf(id, e.deferred ? QueueState.DEFERRED : QueueState.ACTIVE, s));
                }
            }
            return out;
        });
    }

    private static QueueEntry entryOf(String id, QueueState state, Stored s) {
        ReceivedMessage env = s.decoded.envelope();
        int n = env.recipients().size();
        BitSet done = done(s.decoded);
        String[] reason = new String[n];
        for (QueueFile.Status st : s.decoded.statuses()) {
            if (st.index() >= 0 && st.index() < n && st.outcome().staysQueued()) {
                reason[st.index()] = st.reason();
            }
        }
        List<QueueEntry.Pending> pending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!done.get(i)) {
                pending.add(new QueueEntry.Pending(env.recipients().get(i).address(), reason[i] == null ? "" : reason[i]));
            }
        }
        return new QueueEntry(id, state.directory(), env.arrival(), env.sender(), s.contentLength, pending);
    }

    @Override
    public Map<String, Integer> counts() {
        int deferred = 0;
        for (Entry e : live.values()) {
            if (e.deferred) {
                deferred++;
            }
        }
        Map<String, Integer> out = new LinkedHashMap<>();
        out.put(QueueState.ACTIVE.directory(), live.size() - deferred);
        out.put(QueueState.DEFERRED.directory(), deferred);
        return out;
    }

    // ------------------------------------------------------------------ for the bench and its test

    /** Write-ahead-log syncs RocksDB has made (each may cover many synced batches). */
    public long walSyncs() {
        return statistics.getTickerCount(TickerType.WAL_FILE_SYNCED);
    }

    /** Writes a write-group leader did for itself and writes another thread's group carried. */
    public long[] writesBySelfAndOther() {
        return new long[] {statistics.getTickerCount(TickerType.WRITE_DONE_BY_SELF),
            statistics.getTickerCount(TickerType.WRITE_DONE_BY_OTHER)};
    }

    /** Messages made durable since the start. */
    public long accepted() {
        return accepted.get();
    }

    /** Keys in the store (blocking: tests and the bench call it off the event loops). */
    public long keysBlocking() throws Exception {
        return withHandle(() -> {
            long n = 0;
            try (RocksIterator it = db.newIterator()) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    n++;
                }
            }
            return n;
        });
    }

    /** Where the store's files are. */
    public Path directory() {
        return directory;
    }

    /** Syncs the log and closes the store; calls still queued fail with an IOException. Idempotent. */
    @Override
    public void close() {
        handle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                db.flushWal(true);
                db.closeE();
            } catch (RocksDBException e) {
                log.warn("rocks queue: closing {}: {}", directory, e.getMessage());
            }
            synced.close();
            unsynced.close();
            options.close();
            statistics.close();
        } finally {
            handle.writeLock().unlock();
        }
        io.dispose();
    }
}
