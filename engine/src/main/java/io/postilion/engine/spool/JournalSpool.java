package io.postilion.engine.spool;

import io.postilion.engine.delivery.QueueIds;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.relay.QueueEntry;
import io.postilion.engine.relay.QueuedMessage;
import io.postilion.engine.relay.RelayQueue;
import io.postilion.engine.spool.journal.Corruption;
import io.postilion.engine.spool.journal.Journal;
import io.postilion.engine.spool.journal.JournalOptions;
import io.postilion.engine.spool.journal.PayloadRegion;
import io.postilion.engine.spool.journal.RecordAddress;
import io.postilion.engine.spool.journal.ScanVisitor;
import io.postilion.transport.content.ContentSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The relay's queue with a group-committed journal in front: a new message is appended to the
 * journal and acknowledged once a flush covers it, and one flush covers every message that
 * finished its DATA or BDAT LAST while the previous flush ran, across all sessions (Postfix's
 * queue cannot share a flush between messages; this is where the relay gains on it). Results and
 * removals are appended too, without a flush of their own: they ride the next one, and one lost
 * in a power cut costs a repeated delivery, never a lost message.
 *
 * <p>A message that is deferred leaves the journal for a queue file of its own in deferred/,
 * written and flushed by the file {@link Spool} before the journal lets it go, so a long-deferred
 * message never pins old journal segments; from then on it lives as the file spool keeps mail.
 * Segments are deleted oldest first, once no message in them or before them is still live:
 * deleting in order means a removal record can never outlive the message it removes.
 *
 * <p>Recovery reads the journal in order (a torn tail of the newest segment is cut off; a corrupt
 * record is logged, copied to corrupt/ and stepped over), then the file spool's active/ and
 * deferred/ files; a message in both is the file's (it was deferred before the crash).
 */
public final class JournalSpool implements RelayQueue {

    private static final Logger log = LoggerFactory.getLogger(JournalSpool.class);

    static final int MESSAGE = 'M';
    static final int RESULT = 'S';
    static final int DONE = 'D';

    private final Path root;
    private final JournalOptions options;
    /**
     * Opened (and scanned) by {@link #recover}, which the relay calls after its listeners are bound;
     * the relay takes no message before recovery has listed the queue.
     */
    private volatile Journal journal;
    private final Spool files;
    private final Clock clock;
    private final Scheduler reader = Schedulers.newBoundedElastic(2, Integer.MAX_VALUE, "postilion-journal-read");
    /** Messages whose queue file is the journal: where their record is and its content region. */
    private final Map<String, Entry> live = new ConcurrentHashMap<>();
    /** Per segment, how many live messages it holds; deleted oldest first once they are all gone. */
    private final ConcurrentSkipListMap<Long, AtomicInteger> perSegment = new ConcurrentSkipListMap<>();
    /**
     * Messages appended and not yet acknowledged, by the segment being written when each was
     * appended: its record lies there or later, and nothing from there on may be deleted before
     * the message is counted in {@link #perSegment}.
     */
    private final java.util.TreeMap<Long, Integer> appending = new java.util.TreeMap<>(); // guarded by itself
    private final Object reclaiming = new Object();
    private List<QueuedMessage> recovered = new ArrayList<>();
    /** queue_minfree and message_size_limit, for {@link #hasRoomFor}; 0 = not checked. */
    private volatile long queueMinfree;
    private volatile long messageSizeLimit;
    /** Usable bytes on the queue's file system, refreshed off the event loops (see {@link #storageLimits}). */
    private volatile long freeBytes = Long.MAX_VALUE;
    private reactor.core.Disposable freeSpaceTimer = reactor.core.Disposables.disposed();

    /**
     * A message kept in the journal: where its record is, its content region inside the record,
     * and the result records appended for it so far (kept here so that a deferral can write its
     * queue file without reading the journal back).
     */
    private static final class Entry {
        final RecordAddress address;
        final long contentOffset;
        final long contentLength;
        /**
         * Whether the record is known to be as written: appended by this process, or read whole
         * and checked. Recovery reads only the envelope of a message in an older segment, so such
         * a message is checked when it is first loaded, before anything of it is delivered.
         */
        volatile boolean checked;
        private final List<byte[]> results = new ArrayList<>(2);

        Entry(RecordAddress address, long contentOffset, long contentLength, boolean checked) {
            this.address = address;
            this.contentOffset = contentOffset;
            this.contentLength = contentLength;
            this.checked = checked;
        }

        synchronized void result(byte[] status) {
            results.add(status);
        }

        synchronized List<byte[]> results() {
            return List.copyOf(results);
        }
    }

    private JournalSpool(Path root, JournalOptions options, Spool files, Clock clock) {
        this.root = root;
        this.options = options;
        this.files = files;
        this.clock = clock;
    }

    /**
     * Opens (creating if needed) the spool under {@code root}: the file spool's directories now
     * (blocking, for start-up); the journal in journal/ when {@link #recover} scans it, so that a
     * relay binds its ports before it reads its queue.
     */
    public static JournalSpool open(Path root, SpoolFiles spoolFiles, Clock clock) throws IOException {
        return open(root, spoolFiles, clock, JournalOptions.defaults());
    }

    public static JournalSpool open(Path root, SpoolFiles spoolFiles, Clock clock, JournalOptions options)
            throws IOException {
        return new JournalSpool(root, options, Spool.open(root, spoolFiles, clock), clock);
    }

    // ------------------------------------------------------------------ the listener's sink

    /**
     * Turns on the free-space check at MAIL (Postfix's smtpd_check_queue): no room when the free
     * space is at most queue_minfree plus the declared size, or when message_size_limit is at
     * least two thirds of it. The free space is read every second on a spool thread (and after a
     * store fails), so the check itself costs the event loop nothing.
     */
    public JournalSpool storageLimits(long minfree, long sizeLimit) {
        this.queueMinfree = Math.max(0, minfree);
        this.messageSizeLimit = Math.max(0, sizeLimit);
        freeSpaceTimer.dispose();
        freeSpaceTimer = reader.schedulePeriodically(this::readFreeSpace, 0, 1, java.util.concurrent.TimeUnit.SECONDS);
        return this;
    }

    private void readFreeSpace() {
        try {
            freeBytes = Files.getFileStore(root).getUsableSpace();
        } catch (IOException | RuntimeException e) {
            log.warn("spool: cannot read the free space of {}: {}", root, e.toString());
        }
    }

    @Override
    public boolean hasRoomFor(long declaredSize) {
        long free = freeBytes;
        return free > queueMinfree + Math.max(0, declaredSize)
                && (messageSizeLimit == 0 || messageSizeLimit < free / 1.5);
    }

    @Override
    public String newQueueId() {
        return QueueId.next();
    }

    /** Appended and acknowledged once a flush covers it (group commit across sessions). */
    @Override
    public Mono<Void> accept(ReceivedMessage message) {
        Journal journal = this.journal;
        if (journal == null) {
            return Mono.error(new IOException("the queue is not recovered yet"));
        }
        QueueFile.Encoded encoded = QueueFile.encode(message);
        long floor;
        synchronized (appending) {
            floor = journal.currentSegment();
            appending.merge(floor, 1, Integer::sum);
        }
        return journal.appendDurable(MESSAGE, encoded.bytes()).doOnError(e -> reader.schedule(this::readFreeSpace)).doOnNext(at -> {
            perSegment.computeIfAbsent(at.segment(), k -> new AtomicInteger()).incrementAndGet();
            live.put(message.queueId(), new Entry(at, encoded.contentOffset(), encoded.contentLength(), true));
        }).doFinally(signal -> {
            synchronized (appending) {
                appending.computeIfPresent(floor, (k, n) -> n == 1 ? null : n - 1);
            }
        }).then();
    }

    /**
     * The listener's copy of a fresh message's content is kept for its first attempt, within
     * {@link #HOT_BUDGET} bytes in all, so that delivery need not read back what it was just handed
     * (a file read through a thread hop per message); past the budget, and after the first
     * attempt, the content is read from the journal or the message's own file.
     */
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

    /** How many bytes of fresh content may be kept in memory for first attempts, in all. */
    static final long HOT_BUDGET = 32L << 20;
    private final Map<String, byte[]> hot = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong hotBytes = new java.util.concurrent.atomic.AtomicLong();

    /** The first attempt is over (the message is done, or deferred): its memory copy goes. */
    private void cool(String queueId) {
        byte[] b = hot.remove(queueId);
        if (b != null) {
            hotBytes.addAndGet(-b.length);
        }
    }

    /** Bytes of content kept in memory for first attempts right now. */
    public long hotBytes() {
        return hotBytes.get();
    }

    /**
     * The content of a queued message, read from wherever it is when it is read: the journal's
     * segment (a file region, no copy through the heap) or, once deferred, its own queue file.
     */
    private ContentSource content(String id, long length) {
        return ContentSource.lazy(length, alloc -> {
            byte[] fresh = hot.get(id);
            if (fresh != null) {
                return ContentSource.of(fresh).open(alloc);
            }
            Entry e = live.get(id);
            if (e == null) {
                return files.contentOf(id, length).open(alloc);
            }
            PayloadRegion r = journal.region(e.address);
            return ContentSource.of(r.file(), r.offset() + e.contentOffset, e.contentLength).open(alloc);
        });
    }

    // ------------------------------------------------------------------ the queue manager's store

    @Override
    public Mono<Void> record(String queueId, int index, RecipientResult result) {
        byte[] status = QueueFile.status(new QueueFile.Status(index, result.outcome(), result.status(), result.reason(),
                clock.instant()));
        Entry e = live.get(queueId);
        if (e == null) {
            return files.record(queueId, index, result);
        }
        e.result(status);
        return journal.append(RESULT, tagged(queueId, status)).then();
    }

    /**
     * A deferred message leaves the journal: its queue file (the journal record plus the results
     * recorded so far) is written to deferred/ and flushed before the journal lets it go.
     */
    @Override
    public Mono<Void> defer(String queueId) {
        cool(queueId);
        Entry e = live.get(queueId);
        if (e == null) {
            return files.defer(queueId);
        }
        return Mono.fromCallable(() -> fileOf(e)).subscribeOn(reader)
                .flatMap(encoded -> files.adopt(queueId, encoded, QueueState.DEFERRED))
                .then(Mono.defer(() -> release(queueId)));
    }

    @Override
    public boolean loads() {
        return true;
    }

    /** Deferred: moved to its own file, whose modification time keeps the next attempt. */
    @Override
    public Mono<Void> defer(String queueId, java.time.Instant nextAttempt) {
        return live.containsKey(queueId) ? defer(queueId).then(files.touch(queueId, nextAttempt))
                : files.defer(queueId, nextAttempt);
    }

    @Override
    public java.time.Instant nextAttempt(String queueId) {
        return files.nextAttempt(queueId);
    }

    /**
     * A deferred message, from its own file, or one still in the journal (parked, or recovered
     * from an older segment), read whole and checked. A journal record that fails its check is
     * set aside in corrupt/ with what was recorded for it, and the load is empty: the postmaster
     * decides what becomes of it, as with a corrupt queue file.
     */
    @Override
    public Mono<QueuedMessage> load(String queueId) {
        Entry e = live.get(queueId);
        if (e == null) {
            return files.load(queueId);
        }
        return Mono.fromCallable(() -> {
            try {
                QueueFile.Decoded d = QueueFile.decode(fileOf(e).bytes());
                if (!d.envelope().queueId().equals(queueId)) {
                    throw new QueueFile.CorruptQueueFile("the record holds message " + d.envelope().queueId());
                }
                e.checked = true;
                return java.util.Optional.of(QueuedMessage.of(d.envelope(), Spool.doneOf(queueId, d),
                        content(queueId, e.contentLength)));
            } catch (io.postilion.engine.spool.journal.DamagedRecordException | QueueFile.CorruptQueueFile bad) {
                log.error("spool: {}: its journal record is damaged ({}); moved to corrupt/", queueId, bad.getMessage());
                return java.util.Optional.<QueuedMessage>empty();
            }
        }).subscribeOn(reader).flatMap(m -> m.isPresent() ? Mono.just(m.get()) : setAside(queueId, e));
    }

    /** The damaged record, unchecked, and its results go to corrupt/ as its queue file; the journal lets it go. */
    private Mono<QueuedMessage> setAside(String queueId, Entry e) {
        return Mono.fromCallable(() -> withResults(journal.readHeadBlocking(e.address, e.address.length()), e))
                .subscribeOn(reader).flatMap(encoded -> files.adopt(queueId, encoded, QueueState.CORRUPT))
                .then(Mono.defer(() -> release(queueId))).then(Mono.empty());
    }

    @Override
    public boolean mustLoad(String queueId) {
        Entry e = live.get(queueId);
        return e != null && !e.checked;
    }

    /** A parked message keeps no copy of its content in memory: it is read from the journal when its turn comes. */
    @Override
    public void parked(String queueId) {
        cool(queueId);
    }

    @Override
    public Mono<Void> activate(String queueId) {
        return live.containsKey(queueId) ? Mono.empty() : files.activate(queueId);
    }

    @Override
    public Mono<Void> remove(String queueId) {
        return live.containsKey(queueId) ? release(queueId) : files.remove(queueId);
    }

    @Override
    public Mono<Boolean> delete(String queueId) {
        if (live.containsKey(queueId)) {
            return release(queueId).thenReturn(true);
        }
        return files.delete(queueId);
    }

    /** The message is done with the journal: a removal record, then its segment may go. */
    private Mono<Void> release(String queueId) {
        cool(queueId);
        Entry e = live.remove(queueId);
        if (e == null) {
            return Mono.empty();
        }
        return journal.append(DONE, queueId.getBytes(StandardCharsets.US_ASCII)).then(Mono.fromRunnable(() -> {
            AtomicInteger n = perSegment.get(e.address.segment());
            if (n != null) {
                n.decrementAndGet();
            }
            reclaim();
        }));
    }

    /** Every segment below this has been handed to deletion already. */
    private final java.util.concurrent.atomic.AtomicLong reclaimedBelow = new java.util.concurrent.atomic.AtomicLong();

    /** Segments being deleted right now (deletion is asynchronous). */
    private final java.util.Set<Long> deleting = ConcurrentHashMap.newKeySet();

    /**
     * Deletes segments oldest first while nothing in them is live, never the one being written.
     * In order, so a removal record (always in a later segment than its message) is never kept
     * while the message it removes is gone, nor the other way round.
     */
    private void reclaim() {
        long bound;
        synchronized (reclaiming) {
            bound = journal.currentSegment();
            synchronized (appending) {
                if (!appending.isEmpty()) {
                    bound = Math.min(bound, appending.firstKey());
                }
            }
            for (Map.Entry<Long, AtomicInteger> e : perSegment.entrySet()) {
                if (e.getValue().get() > 0) {
                    bound = Math.min(bound, e.getKey());
                    break;
                }
            }
            perSegment.headMap(bound).clear();
        }
        long before = reclaimedBelow.getAndAccumulate(bound, Math::max);
        if (bound <= before) {
            return; // nothing new below the bound: the common case, once per removed message
        }
        for (long s : journal.segments()) {
            if (s < bound && deleting.add(s)) {
                journal.deleteSegment(s).doFinally(x -> deleting.remove(s))
                        .subscribe(null, x -> log.warn("spool: cannot delete journal segment {}: {}", s, x.toString()));
            }
        }
    }

    /** The whole queue file of a journal message: its record, then its results so far. */
    private QueueFile.Encoded fileOf(Entry e) throws IOException {
        return withResults(journal.readBlocking(e.address), e);
    }

    /** A queue file: the message's record (checked or not, as the caller read it), then its results so far. */
    private static QueueFile.Encoded withResults(byte[] record, Entry e) {
        List<byte[]> results = e.results();
        ByteBuffer out = ByteBuffer.allocate(record.length + results.stream().mapToInt(b -> b.length).sum()).put(record);
        results.forEach(out::put);
        return new QueueFile.Encoded(out.array(), e.contentOffset, e.contentLength);
    }

    /** The queue id a {@link #tagged} record begins with; the buffer is left at its body. */
    private static String untag(ByteBuffer payload) {
        byte[] id = new byte[payload.get() & 0xff];
        payload.get(id);
        return new String(id, StandardCharsets.US_ASCII);
    }

    /** A record about one message: its queue id (length-prefixed), then the body. */
    private static byte[] tagged(String queueId, byte[] body) {
        byte[] id = queueId.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(1 + id.length + body.length).put((byte) id.length).put(id).put(body).array();
    }

    // ------------------------------------------------------------------ recovery

    /** What the journal scan found: live messages in journal order, with their results. */
    private static final class Recovery implements ScanVisitor {
        final Path root;
        final Map<String, Found> messages = new LinkedHashMap<>();
        final List<Corruption> damage = new ArrayList<>();
        String highestId = "";

        Recovery(Path root) {
            this.root = root;
        }

        /** @param checked read whole and checked, not just its envelope */
        record Found(RecordAddress address, QueueFile.Decoded decoded, boolean checked, BitSet done, List<byte[]> results) {
        }

        /** How much of a message record recovery reads: envelopes are far smaller; bodies are not read. */
        static final int HEAD_BYTES = 8192;

        private byte[] readWhole(RecordAddress address) {
            ByteBuffer b = ByteBuffer.allocate(address.length());
            try (var ch = java.nio.channels.FileChannel.open(Journal.segmentFile(root.resolve("journal"), address.segment()))) {
                while (b.hasRemaining() && ch.read(b, address.payloadOffset() + b.position()) >= 0) {
                    // reads until the record is whole
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return b.array();
        }

        void found(RecordAddress address, QueueFile.Decoded d, boolean checked) {
            String id = d.envelope().queueId();
            messages.put(id, new Found(address, d, checked, new BitSet(), new ArrayList<>()));
            if (id.compareTo(highestId) > 0) {
                highestId = id;
            }
        }

        @Override
        public int headOnly(int kind) {
            return kind == MESSAGE ? HEAD_BYTES : -1; // envelopes, not bodies
        }

        @Override
        public void record(RecordAddress address, int kind, ByteBuffer payload) {
            switch (kind) {
                case MESSAGE -> {
                    byte[] bytes = new byte[payload.remaining()];
                    payload.get(bytes);
                    try {
                        // The envelope only: the body is neither decoded nor checked here (the
                        // journal checked the newest segment's records whole; older ones cannot be torn).
                        // The journal hands over a record whole only when it checked it.
                        boolean checked = bytes.length == address.length();
                        QueueFile.Decoded d = QueueFile.decodeHead(ByteBuffer.wrap(bytes));
                        if (d == null) { // an envelope longer than the head (many recipients): read it whole
                            d = QueueFile.decodeHead(ByteBuffer.wrap(readWhole(address)));
                        }
                        if (d == null) {
                            throw new QueueFile.CorruptQueueFile("no content record");
                        }
                        found(address, d, checked);
                    } catch (QueueFile.CorruptQueueFile bad) {
                        log.error("spool: journal record at {} is not a message ({}); skipped", address, bad.getMessage());
                    }
                }
                case RESULT -> {
                    Found f = messages.get(untag(payload));
                    byte[] rest = new byte[payload.remaining()];
                    payload.get(rest);
                    if (f != null) {
                        f.results().add(rest);
                        QueueFile.Status st = QueueFile.statusRecord(rest);
                        int total = f.decoded().envelope().recipients().size();
                        if (st != null && st.index() >= 0 && st.index() < total && !st.outcome().staysQueued()) {
                            f.done().set(st.index());
                        }
                    }
                }
                case DONE -> {
                    byte[] id = new byte[payload.remaining()];
                    payload.get(id);
                    messages.remove(new String(id, StandardCharsets.US_ASCII));
                }
                default -> log.warn("spool: journal record of unknown kind {} at {}; skipped", kind, address);
            }
        }

        @Override
        public void corrupt(Corruption c) {
            log.error("spool: damaged journal data: {}; stepped over", c);
            damage.add(c);
        }
    }

    private void adoptRecovered(Recovery found) {
        QueueIds.advancePast(found.highestId);
        for (Map.Entry<String, Recovery.Found> e : found.messages.entrySet()) {
            String id = e.getKey();
            Recovery.Found f = e.getValue();
            int total = f.decoded().envelope().recipients().size();
            if (f.done().cardinality() >= total) {
                continue; // finished before the crash could record its removal
            }
            Entry entry = new Entry(f.address(), f.decoded().contentOffset(), f.decoded().contentLength(), f.checked());
            f.results().forEach(entry::result);
            live.put(id, entry);
            perSegment.computeIfAbsent(f.address().segment(), k -> new AtomicInteger()).incrementAndGet();
            recovered.add(QueuedMessage.of(f.decoded().envelope(), f.done(), content(id, f.decoded().contentLength())));
        }
        for (Corruption c : found.damage) {
            quarantine(c);
        }
    }

    /** A damaged piece of the journal is copied to corrupt/ for the postmaster, with a log line. */
    private void quarantine(Corruption c) {
        Path to = root.resolve(QueueState.CORRUPT.directory()).resolve("journal-" + c.segment() + "-" + c.offset());
        try {
            byte[] bytes = new byte[(int) Math.min(c.length(), 16L << 20)];
            try (var ch = java.nio.channels.FileChannel.open(journal.segmentPath(c.segment()))) {
                ch.read(ByteBuffer.wrap(bytes), c.offset());
            }
            Files.write(to, bytes);
            log.error("spool: damaged journal data copied to {}", to);
        } catch (IOException | RuntimeException e) {
            log.error("spool: cannot copy damaged journal data to {}: {}", to, e.toString());
        }
    }

    /**
     * The journal's live messages in arrival order, then the file spool's; a message found in both
     * was deferred before the crash, and its file (with its results) wins.
     */
    @Override
    public Flux<QueuedMessage> recover() {
        return Mono.fromCallable(() -> {
            Recovery found = new Recovery(root);
            journal = Journal.open(root.resolve("journal"), options, found);
            if (laneFailure != null) {
                journal.onFailure(laneFailure);
            }
            adoptRecovered(found);
            List<QueuedMessage> fromJournal = recovered;
            recovered = new ArrayList<>();
            return fromJournal;
        }).subscribeOn(reader).flatMapMany(this::withFiles);
    }

    private Flux<QueuedMessage> withFiles(List<QueuedMessage> fromJournal) {
        return files.recover().collectList().flatMapMany(fromFiles -> {
            List<QueuedMessage> out = new ArrayList<>(fromJournal.size() + fromFiles.size());
            java.util.Set<String> inFiles = new java.util.HashSet<>();
            fromFiles.forEach(m -> inFiles.add(m.queueId()));
            for (QueuedMessage m : fromJournal) {
                if (inFiles.contains(m.queueId())) {
                    release(m.queueId()).subscribe();
                } else {
                    out.add(m);
                }
            }
            out.addAll(fromFiles);
            return Flux.fromIterable(out);
        });
    }

    // ------------------------------------------------------------------ without a relay

    /**
     * The queue of a spool no relay is running on (blocking: for the command line). The journal's
     * lock keeps this from ever touching a spool a relay holds.
     */
    public static List<QueueEntry> listOffline(Path root) throws IOException {
        if (!Files.isDirectory(root.resolve("journal"))) {
            return Spool.list(root, new ChannelSpoolFiles());
        }
        try (JournalSpool s = open(root, new ChannelSpoolFiles(), Clock.systemUTC())) {
            s.recover().blockLast(java.time.Duration.ofMinutes(5));
            return s.list().block(java.time.Duration.ofMinutes(5));
        }
    }

    /** Deletes a message from a spool no relay is running on; false when there is no such message. */
    public static boolean deleteOffline(Path root, String queueId) throws IOException {
        if (!Files.isDirectory(root.resolve("journal"))) {
            return Spool.deleteOffline(root, queueId);
        }
        try (JournalSpool s = open(root, new ChannelSpoolFiles(), Clock.systemUTC())) {
            s.recover().blockLast(java.time.Duration.ofMinutes(5)); // the file spool learns its files
            return Boolean.TRUE.equals(s.delete(queueId).block(java.time.Duration.ofMinutes(1)));
        }
    }

    /**
     * A message's queue file as it stands (postilion cat, like postcat): its journal record with
     * the results recorded since, or its own file in deferred/ or active/. Reads only: safe beside
     * a running relay (a record being written is simply not seen yet).
     */
    public static java.util.Optional<byte[]> queueFile(Path root, String queueId) throws IOException {
        for (QueueState state : List.of(QueueState.DEFERRED, QueueState.ACTIVE, QueueState.CORRUPT)) {
            Path f = root.resolve(state.directory()).resolve(queueId);
            if (QueueId.looksLikeOne(queueId) && Files.isRegularFile(f)) {
                return java.util.Optional.of(Files.readAllBytes(f));
            }
        }
        Path dir = root.resolve("journal");
        if (!Files.isDirectory(dir)) {
            return java.util.Optional.empty();
        }
        byte[] tag = queueId.getBytes(StandardCharsets.US_ASCII);
        java.io.ByteArrayOutputStream found = new java.io.ByteArrayOutputStream();
        boolean[] live = {false};
        Journal.scan(dir, io.postilion.engine.spool.journal.JournalFiles.system(), new ScanVisitor() {
            @Override
            public void record(RecordAddress address, int kind, ByteBuffer payload) {
                if (kind == MESSAGE) {
                    try {
                        QueueFile.Decoded d = QueueFile.decodeHead(payload.duplicate());
                        if (d != null && d.envelope().queueId().equals(queueId)) {
                            found.reset();
                            byte[] b = new byte[payload.remaining()];
                            payload.get(b);
                            found.writeBytes(b);
                            live[0] = true;
                        }
                    } catch (QueueFile.CorruptQueueFile ignored) {
                        // not this message
                    }
                } else if (kind == RESULT && live[0] && untag(payload).equals(queueId)) {
                    byte[] b = new byte[payload.remaining()];
                    payload.get(b);
                    found.writeBytes(b);
                } else if (kind == DONE && live[0] && payload.remaining() == tag.length
                        && payload.equals(ByteBuffer.wrap(tag))) {
                    live[0] = false;
                }
            }

            @Override
            public void corrupt(Corruption corruption) {
            }
        });
        return live[0] ? java.util.Optional.of(found.toByteArray()) : java.util.Optional.empty();
    }


    // ------------------------------------------------------------------ listing and counts

    @Override
    public Mono<List<QueueEntry>> list() {
        List<Map.Entry<String, Entry>> snapshot = new ArrayList<>(live.entrySet());
        Journal journal = this.journal;
        Mono<List<QueueEntry>> fromJournal = Mono.fromCallable(() -> {
            List<QueueEntry> out = new ArrayList<>();
            for (Map.Entry<String, Entry> e : snapshot) {
                try {
                    // The envelope only, as recovery reads it: listing a queue of big messages
                    // must not read their bodies.
                    RecordAddress at = e.getValue().address;
                    QueueFile.Decoded d = QueueFile.decodeHead(ByteBuffer.wrap(journal.readHeadBlocking(at, Recovery.HEAD_BYTES)));
                    if (d == null) { // an envelope longer than the head (many recipients)
                        d = QueueFile.decodeHead(ByteBuffer.wrap(journal.readBlocking(at)));
                    }
                    if (d == null) {
                        continue;
                    }
                    List<QueueFile.Status> statuses = new ArrayList<>();
                    for (byte[] r : e.getValue().results()) {
                        QueueFile.Status st = QueueFile.statusRecord(r);
                        if (st != null) {
                            statuses.add(st);
                        }
                    }
                    out.add(Spool.entryOf(e.getKey(), QueueState.ACTIVE, d, statuses));
                } catch (IOException | QueueFile.CorruptQueueFile gone) {
                    // delivered and reclaimed while the listing ran
                }
            }
            return out;
        }).subscribeOn(reader); // never on the journal's writer or the spool's lanes
        return Mono.zip(fromJournal, files.list()).map(t -> {
            List<QueueEntry> all = new ArrayList<>(t.getT1());
            t.getT2().stream().filter(q -> !live.containsKey(q.queueId())).forEach(all::add);
            all.sort(java.util.Comparator.comparing(QueueEntry::queueId));
            return all;
        });
    }

    @Override
    public Map<String, Integer> counts() {
        Map<String, Integer> out = new LinkedHashMap<>(files.counts());
        out.merge(QueueState.ACTIVE.directory(), live.size(), Integer::sum);
        return out;
    }

    /** Flushes the journal has made (each covers every message appended while the previous ran). */
    public long forces() {
        Journal j = journal;
        return j == null ? 0 : j.forces();
    }

    /** Journal segments on disk right now. */
    public int segments() {
        Journal j = journal;
        return j == null ? 0 : j.segments().size();
    }

    /** Told when the journal's writer or the file spool's I/O lane fails with an Error (the relay exits 70). */
    public void onLaneFailure(java.util.function.Consumer<Throwable> handler) {
        files.onLaneFailure(handler);
        laneFailure = handler;
        Journal j = journal;
        if (j != null) {
            j.onFailure(handler);
        }
    }

    private volatile java.util.function.Consumer<Throwable> laneFailure;

    @Override
    public void close() {
        freeSpaceTimer.dispose();
        Journal j = journal;
        if (j != null) {
            j.close();
        }
        files.close();
        reader.dispose();
    }
}
