package io.postilion.engine.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.Results;
import io.postilion.engine.relay.QueuedMessage;
import io.postilion.engine.spool.journal.JournalOptions;
import io.postilion.transport.content.ContentSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The journal-fronted spool: group commit, recovery in arrival order, deferral to files, reclamation. */
class JournalSpoolTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path root;

    private final List<JournalSpool> opened = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(JournalSpool::close);
    }

    private JournalSpool open() throws IOException {
        return open(JournalOptions.defaults());
    }

    private JournalSpool open(JournalOptions options) throws IOException {
        JournalSpool s = JournalSpool.open(root, new ChannelSpoolFiles(), Clock.systemUTC(), options);
        opened.add(s);
        return s;
    }

    /** Opened and recovered (the relay recovers before it takes mail). */
    private JournalSpool ready(JournalOptions options) throws IOException {
        JournalSpool s = open(options);
        s.recover().blockLast(WAIT);
        return s;
    }

    private JournalSpool ready() throws IOException {
        return ready(JournalOptions.defaults());
    }

    private void reopen(JournalSpool s) {
        s.close();
        opened.remove(s);
    }

    private static String read(ContentSource c) {
        StringBuilder sb = new StringBuilder();
        c.open(UnpooledByteBufAllocator.DEFAULT).doOnNext(b -> {
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }).blockLast(WAIT);
        return sb.toString();
    }

    @Test
    void listingTheQueueReadsEnvelopesNotBodiesAndAcceptanceGoesOnWhileItRuns() throws Exception {
        JournalFilesSeam disk = new JournalFilesSeam(0);
        JournalSpool s = ready(JournalOptions.defaults().withFiles(disk));
        int queued = 20;
        String body = "b".repeat(1 << 20) + "\r\n"; // 1 MiB each
        for (int i = 0; i < queued; i++) {
            s.accept(SpoolTest.message(s.newQueueId(), body, "a@x.test")).block(WAIT);
        }
        long before = disk.readBytes.get();
        disk.readDelayMillis = 100; // a slow disk: the listing takes two seconds and more
        java.util.concurrent.CompletableFuture<List<io.postilion.engine.relay.QueueEntry>> listing = s.list().toFuture();
        Thread.sleep(150); // the listing is reading
        s.accept(SpoolTest.message(s.newQueueId(), "new\r\n", "b@x.test")).block(WAIT);
        assertFalse(listing.isDone(), "the new message waited for the listing to end");
        assertEquals(queued, listing.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS).size());
        long read = disk.readBytes.get() - before;
        assertTrue(read < queued * 64L * 1024, "listing " + queued + " messages of 1 MiB read " + read + " bytes");
    }

    @Test
    void acceptedMessagesComeBackAfterARestartInArrivalOrderWithTheirResults() throws Exception {
        JournalSpool first = ready();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String id = first.newQueueId();
            ids.add(id);
            first.accept(SpoolTest.message(id, "body " + i + "\r\n", "a@x.test", "b@x.test")).block(WAIT);
        }
        first.record(ids.get(2), 0, Results.local(Recipient.of(0, "a@x.test"), Outcome.SENT, "2.0.0", "ok", "none", 1))
                .block(WAIT);
        first.remove(ids.get(4)).block(WAIT);
        reopen(first);
        JournalSpool second = open();
        List<QueuedMessage> back = second.recover().collectList().block(WAIT);
        assertEquals(ids.subList(0, 4), back.stream().map(QueuedMessage::queueId).toList(), "arrival order, removed gone");
        assertEquals("body 2\r\n", read(back.get(2).content()));
        assertTrue(back.get(2).done().get(0) && !back.get(2).done().get(1), "the recorded recipient is done");
        assertTrue(second.newQueueId().compareTo(ids.get(4)) > 0, "new ids sort after every id found in the queue");
    }

    @Test
    void concurrentMessagesShareFlushes() throws Exception {
        // A flush that takes 2 ms, as on a real disk: on a /tmp that flushes for free, batches are
        // as small as the test's own pace, and the ratio would measure the test machine.
        JournalSpool s = ready(JournalOptions.defaults().withFiles(new JournalFilesSeam(2)));
        int n = 400;
        long before = s.forces();
        List<io.postilion.engine.listener.ReceivedMessage> messages = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            messages.add(SpoolTest.message(s.newQueueId(), "x".repeat(1024) + "\r\n", "a@x.test"));
        }
        List<Mono<Void>> stores = new ArrayList<>();
        for (var m : messages) { // 400 sessions ending their DATA together
            stores.add(s.accept(m));
        }
        Flux.merge(Flux.fromIterable(stores), n).blockLast(WAIT); // 400 sessions finishing their DATA at once
        long forces = s.forces() - before;
        System.out.printf("journal spool: %d messages acknowledged with %d flushes (%.3f per message)%n", n, forces,
                (double) forces / n);
        assertTrue(forces < n / 4, forces + " flushes for " + n + " messages stored at once");
    }

    @Test
    void aDeferredMessageMovesToItsOwnFileAndItsSegmentIsReclaimed() throws Exception {
        JournalSpool s = ready(JournalOptions.defaults().withSegmentBytes(4096));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String id = s.newQueueId();
            ids.add(id);
            s.accept(SpoolTest.message(id, "y".repeat(700) + "\r\n", "a@x.test", "b@x.test")).block(WAIT);
        }
        assertTrue(s.segments() > 3, "small segments roll: " + s.segments());
        String deferred = ids.get(0);
        s.record(deferred, 0, Results.local(Recipient.of(0, "a@x.test"), Outcome.SENT, "2.0.0", "ok", "none", 1)).block(WAIT);
        s.record(deferred, 1, Results.local(Recipient.of(1, "b@x.test"), Outcome.DEFERRED, "4.2.0", "later", "none", 1))
                .block(WAIT);
        s.defer(deferred).block(WAIT);
        Path file = root.resolve("deferred").resolve(deferred);
        assertTrue(Files.exists(file), "the deferred message has a queue file of its own");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        for (String id : ids.subList(1, ids.size())) {
            s.remove(id).block(WAIT);
        }
        // one more message rolls past the old segments so the older ones can go
        s.accept(SpoolTest.message(s.newQueueId(), "z".repeat(3000) + "\r\n", "a@x.test")).block(WAIT);
        long until = System.nanoTime() + WAIT.toNanos();
        while (s.segments() > 2 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertTrue(s.segments() <= 2, "old segments deleted, not pinned by the deferred message: " + s.segments());
        reopen(s);
        JournalSpool again = open(JournalOptions.defaults().withSegmentBytes(4096));
        List<QueuedMessage> back = again.recover().collectList().block(WAIT);
        QueuedMessage d = back.stream().filter(m -> m.queueId().equals(deferred)).findFirst().orElseThrow();
        assertTrue(d.done().get(0) && !d.done().get(1), "its results went with it");
        assertEquals("y".repeat(700) + "\r\n", read(d.content()));
        assertEquals(2, back.size(), "the deferred message and the last one; the removed ones stay removed");
    }

    @Test
    void theJournalIsPrivate() throws Exception {
        JournalSpool s = ready();
        s.accept(SpoolTest.message(s.newQueueId(), "x\r\n", "a@x.test")).block(WAIT);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("journal"))));
        try (var segs = Files.list(root.resolve("journal"))) {
            segs.filter(p -> p.toString().endsWith(".seg")).forEach(p -> {
                try {
                    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
        }
        assertFalse(Files.exists(root.resolve("active").resolve("x")));
    }

    @Test
    void queueMinfreeTurnsMailAwayWhenTheQueueFileSystemIsNearlyFull() throws Exception {
        JournalSpool roomy = ready().storageLimits(0, 10_240_000);
        long until = System.nanoTime() + WAIT.toNanos();
        while (!roomy.hasRoomFor(1000) && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertTrue(roomy.hasRoomFor(1000), "a temporary directory has room for a small message");
        roomy.storageLimits(Long.MAX_VALUE / 4, 0);
        until = System.nanoTime() + WAIT.toNanos();
        while (roomy.hasRoomFor(0) && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertFalse(roomy.hasRoomFor(0), "no file system has queue_minfree = 2^61 bytes free");
    }

    @Test
    void anOddEntryInTheQueueIsSetAsideAndRecoveryGoesOn() throws Exception {
        JournalSpool s = ready();
        s.accept(SpoolTest.message(s.newQueueId(), "x\r\n", "a@x.test")).block(WAIT);
        reopen(s);
        String odd = QueueId.next();
        Files.createDirectories(root.resolve("deferred").resolve(odd)); // a directory where a file should be
        JournalSpool again = open();
        assertEquals(1, again.recover().collectList().block(WAIT).size(), "the message is recovered all the same");
        assertTrue(Files.isDirectory(root.resolve("corrupt").resolve("deferred-" + odd)), "the odd entry is set aside");
    }

    @Test
    void recoveryReadsEnvelopesNotBodiesInSegmentsThatCannotBeTorn() throws Exception {
        JournalSpool s = ready(JournalOptions.defaults().withSegmentBytes(8192));
        String first = s.newQueueId();
        // Longer than the head recovery reads (a record the head covers is read whole and checked).
        s.accept(SpoolTest.message(first, "B".repeat(10_000) + "\r\n", "a@x.test")).block(WAIT);
        String[] many = new String[400]; // an envelope far longer than the head recovery reads
        for (int i = 0; i < many.length; i++) {
            many[i] = "recipient-number-" + i + "@x.test";
        }
        String big = s.newQueueId();
        s.accept(SpoolTest.message(big, "big envelope\r\n", many)).block(WAIT);
        for (int i = 0; i < 5; i++) { // later messages push the first ones into older segments
            s.accept(SpoolTest.message(s.newQueueId(), "C".repeat(3000) + "\r\n", "a@x.test")).block(WAIT);
        }
        reopen(s);
        // Damage the first message's body in the oldest segment: recovery does not look at bodies there.
        Path oldest;
        try (var segs = Files.list(root.resolve("journal"))) {
            oldest = segs.filter(p -> p.toString().endsWith(".seg")).sorted().findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(oldest);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int body = text.indexOf("BBBBBBBBBB");
        bytes[body + 100] = 'X';
        Files.write(oldest, bytes);
        JournalSpool again = open(JournalOptions.defaults().withSegmentBytes(8192));
        List<QueuedMessage> back = again.recover().collectList().block(WAIT);
        assertEquals(7, back.size(), "every message is back, the damaged body unread");
        QueuedMessage b = back.stream().filter(m -> m.queueId().equals(big)).findFirst().orElseThrow();
        assertEquals(400, b.recipients().size(), "a long envelope is read whole");
        assertEquals(first, back.get(0).queueId(), "arrival order");

        // Unchecked, so neither goes out as recovered: each is loaded, and checked, first.
        assertTrue(again.mustLoad(first) && again.mustLoad(big), "older-segment messages are checked before delivery");
        String newest = back.get(back.size() - 1).queueId();
        assertFalse(again.mustLoad(newest), "the newest segment was read whole and checked");
        assertEquals(400, again.load(big).block(WAIT).recipients().size(), "an intact record loads");
        assertFalse(again.mustLoad(big), "and is checked from then on");
        assertNull(again.load(first).block(WAIT), "a record that fails its checksum is not delivered");
        assertTrue(Files.isRegularFile(root.resolve("corrupt").resolve(first)), "it is set aside for the postmaster");
        assertEquals(1, again.counts().get("corrupt"));
        reopen(again);
        List<QueuedMessage> later = open(JournalOptions.defaults().withSegmentBytes(8192)).recover().collectList().block(WAIT);
        assertEquals(6, later.stream().filter(m -> !m.queueId().equals(first)).count());
        assertTrue(later.stream().noneMatch(m -> m.queueId().equals(first)), "the journal let it go: " + later);
    }

    @Test
    void aFreshMessageIsDeliveredFromMemoryOnceAndFromTheJournalAfterwards() throws Exception {
        JournalSpool s = ready();
        var m = SpoolTest.message(s.newQueueId(), "fresh body\r\n", "a@x.test");
        s.accept(m).block(WAIT);
        QueuedMessage q = s.queued(m);
        assertEquals(m.content().length, s.hotBytes(), "kept for the first attempt");
        assertEquals("fresh body\r\n", read(q.content()));
        s.defer(m.queueId()).block(WAIT); // the first attempt is over
        assertEquals(0, s.hotBytes(), "and dropped when it ends");
        assertEquals("fresh body\r\n", read(q.content()), "then read from the message's own file");
    }
}
