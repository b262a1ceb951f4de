package io.postilion.engine.spool.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

class JournalGroupCommitTest {

    private static final Logger log = LoggerFactory.getLogger(JournalGroupCommitTest.class);
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private final RecordingJournalFiles files = new RecordingJournalFiles();

    private Journal open() throws IOException {
        return open(JournalOptions.DEFAULT_SEGMENT_BYTES);
    }

    private Journal open(long segmentBytes) throws IOException {
        return Journal.open(tmp.resolve("journal"),
                JournalOptions.defaults().withFiles(files).withSegmentBytes(segmentBytes), ScanVisitor.ignoring());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Fails unless every "done" mark comes after a force of its segment that covered the record's
     * last byte. Returns how many marks were checked.
     */
    private int assertEveryCompletionFollowsACoveringForce() {
        Map<Long, Long> forcedUpTo = new HashMap<>();
        int checked = 0;
        for (RecordingJournalFiles.Event e : files.events) {
            if (e.what().equals("force")) {
                forcedUpTo.merge(e.segment(), e.to(), Math::max);
            } else if (e.what().equals("done")) {
                long covered = forcedUpTo.getOrDefault(e.segment(), -1L);
                assertTrue(covered >= e.to(), "the append ending at " + e.to() + " in segment " + e.segment()
                        + " completed when only " + covered + " bytes of it were forced");
                checked++;
            }
        }
        return checked;
    }

    @Test
    void sixteenThreadsOfDurableAppendsShareForcesAndEachCompletesOnlyAfterAForceCoveringIt() throws Exception {
        int threads = 16;
        int each = 500;
        // A flush is given at least the cost of a fast SSD's: on a RAM disk (a CI tmpfs) it is
        // nearly free, nothing has time to gather, and the ratio would measure the scheduler, not
        // the design. On this project's reference disk a flush takes longer anyway.
        files.minForceNanos = 250_000;
        // Small segments, so that batches also straddle segment changes.
        try (Journal journal = open(64 << 10)) {
            long forcesBefore = files.events("force").size();
            CountDownLatch start = new CountDownLatch(1);
            AtomicReference<Throwable> failed = new AtomicReference<>();
            List<Thread> sessions = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread session = new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < each; i++) {
                            // Like a session: the next message only after this one is acknowledged.
                            journal.appendDurable(1, bytes("session " + id + " message " + i))
                                    .doOnNext(a -> files.mark("done", a))
                                    .block(WAIT);
                        }
                    } catch (Throwable e) {
                        failed.compareAndSet(null, e);
                    }
                }, "appender-" + t);
                sessions.add(session);
                session.start();
            }
            long started = System.nanoTime();
            start.countDown();
            for (Thread s : sessions) {
                s.join();
            }
            long elapsedNanos = System.nanoTime() - started;
            assertEquals(null, failed.get());

            int appends = threads * each;
            assertEquals(appends, assertEveryCompletionFollowsACoveringForce());
            long forces = files.events("force").size() - forcesBefore;
            double ratio = (double) forces / appends;
            String line = String.format("journal group commit: %d durable appends from %d threads, %d forces,"
                    + " forces/appends = %.4f (%.1f appends per force), %.0f appends/s", appends, threads, forces, ratio,
                    (double) appends / forces, appends / (elapsedNanos / 1e9));
            System.out.println(line);
            log.info(line);
            assertTrue(forces < appends / 4, line);
            assertTrue(journal.segments().size() > 3, "no segment change happened: " + journal.segments());
        }
    }

    @Test
    void aRecordWithoutDurabilityIsWrittenWhileAForceRunsNotAfterIt() throws Exception {
        files.minForceNanos = 400_000_000; // a flush that takes 0.4 s
        try (Journal journal = open()) {
            long forcesBefore = files.events("force").size();
            var durable = journal.appendDurable(1, bytes("a message")).toFuture();
            long until = System.nanoTime() + WAIT.toNanos();
            while (files.forcing.get() == 0 && System.nanoTime() < until) {
                Thread.onSpinWait(); // until the flush of the message has begun
            }
            RecordAddress result = journal.append(2, bytes("a recipient's result")).block(WAIT);
            assertFalse(durable.isDone(), "the result was written while the message's flush still ran");
            assertEquals(forcesBefore, files.events("force").size(), "and no flush had finished meanwhile");
            assertTrue(files.events("write").stream().anyMatch(w -> w.segment() == result.segment() && w.to() >= result.end()),
                    "the result's bytes are in the file");
            durable.get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    @Test
    void aLoneDurableAppendIsWrittenAndForcedAtOnce() throws Exception {
        try (Journal journal = open()) {
            long started = System.nanoTime();
            RecordAddress a = journal.appendDurable(7, bytes("alone")).doOnNext(x -> files.mark("done", x)).block(WAIT);
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            assertNotNull(a);
            assertEquals(1, assertEveryCompletionFollowsACoveringForce());
            // No timer waits for company: far below a second even on a slow shared disk.
            assertTrue(tookMillis < 1000, "a lone append took " + tookMillis + " ms");
            assertEquals("alone", new String(journal.readBlocking(a), StandardCharsets.UTF_8));
        }
    }

    @Test
    void anAppendWithoutDurabilityCompletesWithoutAForceAndTheNextDurableAppendCoversIt() throws Exception {
        try (Journal journal = open()) {
            long forcesBefore = files.events("force").size();
            RecordAddress quick = journal.append(2, bytes("status")).block(WAIT);
            assertEquals(forcesBefore, files.events("force").size(), "a plain append forced the segment");
            RecordAddress durable = journal.appendDurable(2, bytes("envelope")).block(WAIT);
            RecordingJournalFiles.Event force = files.events("force").get(files.events("force").size() - 1);
            assertTrue(force.to() >= quick.end() && force.to() >= durable.end());
            assertEquals(quick.end(), durable.offset(), "records are written back to back in call order");
        }
    }

    @Test
    void appendingFromANonBlockingThreadNeverBlocksItAndCompletionsRunOffTheWriterThread() throws Exception {
        try (Journal journal = open()) {
            // BlockHound fails any blocking call on a parallel thread: the append must not make one.
            String completedOn = Mono.defer(() -> journal.appendDurable(3, bytes("from an event loop")))
                    .subscribeOn(Schedulers.parallel())
                    .map(a -> Thread.currentThread().getName())
                    .block(WAIT);
            assertFalse(completedOn.contains("journal"), "completed on " + completedOn);
            assertTrue(completedOn.contains("parallel"), "completed on " + completedOn);
        }
    }

    @Test
    void theRecordIsQueuedWhenAppendReturnsAndSubscribingTwiceDoesNotWriteItTwice() throws Exception {
        try (Journal journal = open()) {
            Mono<RecordAddress> unsubscribed = journal.appendDurable(4, bytes("once"));
            RecordAddress later = journal.appendDurable(4, bytes("after")).block(WAIT);
            RecordAddress first = unsubscribed.block(WAIT);
            assertEquals(first, unsubscribed.block(WAIT));
            assertEquals(first.end(), later.offset());
            assertEquals(2, journal.records());
        }
    }

    /** Every record's payload as text, in journal order, and any damage the scan reports. */
    private static List<String> payloads(Path dir) throws IOException {
        List<String> back = new java.util.ArrayList<>();
        Journal.scan(dir, JournalFiles.system(), new ScanVisitor() {
            @Override
            public void record(RecordAddress address, int kind, java.nio.ByteBuffer payload) {
                back.add(java.nio.charset.StandardCharsets.UTF_8.decode(payload).toString());
            }

            @Override
            public void corrupt(Corruption corruption) {
                back.add("corrupt " + corruption);
            }
        });
        return back;
    }

    @Test
    void aFailedForceFailsOnlyItsBatchAndAppendsWorkAgainAfterwards() throws Exception {
        Path dir;
        try (Journal journal = open()) {
            dir = journal.directory();
            journal.appendDurable(1, bytes("before")).block(WAIT);
            files.failForces = true;
            Throwable first = assertThrows(RuntimeException.class, () -> journal.appendDurable(1, bytes("lost")).block(WAIT));
            assertInstanceOf(IOException.class, first.getCause() == null ? first : first.getCause());
            files.failForces = false;
            journal.appendDurable(1, bytes("after")).block(WAIT);
        }
        List<String> back = payloads(dir);
        assertEquals(List.of("before", "after"), back, "the refused record is cut off; nothing else is lost");
    }

    @Test
    void anErrorStopsTheWriterForGoodAndTellsItsOwner() throws Exception {
        try (Journal journal = open()) {
            java.util.concurrent.atomic.AtomicReference<Throwable> told = new java.util.concurrent.atomic.AtomicReference<>();
            journal.onFailure(told::set);
            files.writeError = new Error("injected: a bug, say");
            assertThrows(RuntimeException.class, () -> journal.appendDurable(1, bytes("x")).block(WAIT));
            long until = System.nanoTime() + WAIT.toNanos();
            while (told.get() == null && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertInstanceOf(Error.class, told.get(), "the owner is told, so the relay can exit 70");
            files.writeError = null;
            assertThrows(RuntimeException.class, () -> journal.appendDurable(1, bytes("y")).block(WAIT), "no more appends");
        }
    }

    @Test
    void aFullDiskRefusesTheWriteThatHitItAndAcceptsAgainWhenSpaceReturns() throws Exception {
        Path dir;
        try (Journal journal = open()) {
            dir = journal.directory();
            journal.appendDurable(1, bytes("one")).block(WAIT);
            files.failWrites = true;
            assertThrows(RuntimeException.class, () -> journal.appendDurable(1, bytes("two")).block(WAIT));
            assertThrows(RuntimeException.class, () -> journal.appendDurable(1, bytes("three")).block(WAIT));
            files.failWrites = false;
            journal.appendDurable(1, bytes("four")).block(WAIT);
        }
        List<String> back = payloads(dir);
        assertEquals(List.of("one", "four"), back, "the half-written record is cut off; acknowledged ones stay");
    }

    @Test
    void closeFlushesWhatWasAppendedAndRefusesLaterAppends() throws Exception {
        Journal journal = open();
        journal.append(5, bytes("not yet forced")).block(WAIT);
        journal.close();
        RecordingJournalFiles.Event last = files.events("force").get(files.events("force").size() - 1);
        assertEquals(last.to(), java.nio.file.Files.size(journal.segmentPath(journal.currentSegment())));
        assertThrows(RuntimeException.class, () -> journal.appendDurable(1, bytes("late")).block(WAIT));
    }
}
