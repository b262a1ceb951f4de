package io.postilion.engine.spool;

import io.postilion.engine.delivery.Results;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.relay.QueuedMessage;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Notify;
import io.postilion.transport.protocol.Ret;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

class SpoolTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path root;

    private final List<Spool> opened = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(Spool::close);
    }

    private Spool open(SpoolFiles files) throws IOException {
        Spool s = Spool.open(root, files, Clock.systemUTC());
        opened.add(s);
        return s;
    }

    static ReceivedMessage message(String id, String body, String... rcpts) {
        List<ReceivedMessage.Recipient> r = java.util.Arrays.stream(rcpts)
                .map(a -> new ReceivedMessage.Recipient(a, Set.of(Notify.SUCCESS, Notify.FAILURE), "rfc822;" + a)).toList();
        return new ReceivedMessage(id, "sender@client.test", r, BodyType.EIGHT_BIT, true, "env-" + id, Ret.HDRS,
                body.getBytes(StandardCharsets.UTF_8), new ReceivedMessage.Client("127.0.0.1", "app.test", true, ""),
                Instant.parse("2026-11-23T10:00:00Z"));
    }

    private static String read(ContentSource c) {
        StringBuilder sb = new StringBuilder();
        c.open(UnpooledByteBufAllocator.DEFAULT).doOnNext(b -> {
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }).blockLast(WAIT);
        return sb.toString();
    }

    private static RecipientResult result(String rcpt, Outcome o) {
        return Results.local(Recipient.of(0, rcpt), o, o == Outcome.SENT ? "2.0.0" : "4.2.0", "reason", "none", 1);
    }

    @Test
    void aStoredMessageComesBackAfterARestartWithItsDecidedRecipientsDone() throws Exception {
        Spool first = open(new ChannelSpoolFiles());
        ReceivedMessage m = message(QueueId.next(), "Subject: s\r\n\r\nd\u00e9j\u00e0 vu\r\n", "a@x.test", "b@x.test", "c@x.test");
        first.accept(m).block(WAIT);
        first.record(m.queueId(), 0, result("a@x.test", Outcome.SENT)).block(WAIT);
        first.record(m.queueId(), 2, result("c@x.test", Outcome.DEFERRED)).block(WAIT);
        first.defer(m.queueId()).block(WAIT);
        assertEquals(1, first.counts().get("deferred"));
        first.close();

        List<QueuedMessage> back = open(new ChannelSpoolFiles()).recover().collectList().block(WAIT);
        assertEquals(1, back.size());
        QueuedMessage q = back.get(0);
        assertEquals(m.queueId(), q.queueId());
        assertTrue(q.done().get(0) && !q.done().get(1) && !q.done().get(2), "sent is done, deferred is not: " + q.done());
        assertEquals("sender@client.test", q.sender());
        assertEquals(List.of("a@x.test", "b@x.test", "c@x.test"), q.recipients().stream().map(Recipient::address).toList());
        assertEquals(Set.of(Notify.SUCCESS, Notify.FAILURE), q.recipients().get(1).notifyOn());
        assertEquals("rfc822;b@x.test", q.recipients().get(1).orcpt());
        assertEquals(BodyType.EIGHT_BIT, q.bodyType());
        assertTrue(q.smtputf8());
        assertEquals("env-" + m.queueId(), q.envId());
        assertEquals(Ret.HDRS, q.ret());
        assertEquals("Subject: s\r\n\r\nd\u00e9j\u00e0 vu\r\n", read(q.content()));
    }

    @Test
    void aUtf8HeaderIsRememberedAcrossARestartAndAFileWrittenBeforeTheFlagReadsAsWithout_DATA20() throws Exception {
        Spool first = open(new ChannelSpoolFiles());
        ReceivedMessage utf8 = message(QueueId.next(), "Subject: Gr\u00fc\u00dfe\r\n\r\nascii body\r\n", "a@x.test");
        ReceivedMessage ascii = message(QueueId.next(), "Subject: hello\r\n\r\nd\u00e9j\u00e0 vu in the body\r\n", "a@x.test");
        assertTrue(utf8.headersUtf8() && !ascii.headersUtf8(), "a UTF-8 body is not a UTF-8 header");
        first.accept(utf8).block(WAIT);
        first.accept(ascii).block(WAIT);
        first.close();
        List<QueuedMessage> back = open(new ChannelSpoolFiles()).recover().collectList().block(WAIT);
        assertEquals(List.of(true, false), back.stream().sorted(java.util.Comparator.comparing(q -> q.queueId().equals(utf8.queueId()) ? 0 : 1))
                .map(QueuedMessage::headersUtf8).toList());

        // The envelope record as written before the flag existed: one byte shorter, and still readable.
        byte[] now = QueueFile.encode(utf8).bytes();
        QueueFile.Decoded d = QueueFile.decode(now);
        assertTrue(d.envelope().headersUtf8());
        byte[] older = QueueFile.encode(new ReceivedMessage(utf8.queueId(), utf8.sender(), utf8.recipients(), utf8.bodyType(),
                utf8.smtputf8(), utf8.envId(), utf8.ret(), utf8.content(), utf8.client(), utf8.arrival(), false)).bytes();
        assertFalse(QueueFile.decode(older).envelope().headersUtf8());
    }

    @Test
    void theAcknowledgementComesAfterDataFlushRenameAndDirectoryFlush_CLARIFICATIONS25() throws Exception {
        RecordingFiles files = new RecordingFiles(root);
        Spool spool = open(files);
        String id = QueueId.next();
        spool.accept(message(id, "x\r\n", "a@x.test")).doOnSuccess(v -> files.events.add("ack")).block(WAIT);
        assertEquals(List.of("create+force incoming/" + id, "rename incoming/" + id + " active/" + id, "force-dir active", "ack"),
                files.events);
    }

    @Test
    void concurrentStoresShareDirectoryFlushes() throws Exception {
        RecordingFiles files = new RecordingFiles(root);
        files.createDelayMillis = 2;
        Spool spool = open(files);
        int n = 100;
        Flux.range(0, n).flatMap(i -> spool.accept(message(QueueId.next(), "m" + i + "\r\n", "a@x.test")), n)
                .then().block(WAIT);
        long fileFlushes = files.count("create+force");
        long dirFlushes = files.count("force-dir");
        assertEquals(n, fileFlushes);
        assertTrue(dirFlushes < n / 4, "directory flushes are shared: " + dirFlushes + " for " + n + " messages");
        assertEquals(n, spool.counts().get("active"));
    }

    @Test
    void aTornStatusRecordIsIgnoredAndThatRecipientTriedAgain() throws Exception {
        Spool first = open(new ChannelSpoolFiles());
        String id = QueueId.next();
        first.accept(message(id, "x\r\n", "a@x.test", "b@x.test")).block(WAIT);
        first.record(id, 0, result("a@x.test", Outcome.SENT)).block(WAIT);
        first.close();
        byte[] status = QueueFile.status(new QueueFile.Status(1, Outcome.SENT, io.postilion.engine.delivery.DsnStatus.of(2, 0, 0), "ok", Instant.now()));
        Files.write(root.resolve("active").resolve(id), java.util.Arrays.copyOf(status, status.length - 3),
                java.nio.file.StandardOpenOption.APPEND);

        List<QueuedMessage> back = open(new ChannelSpoolFiles()).recover().collectList().block(WAIT);
        assertEquals(1, back.size());
        assertTrue(back.get(0).done().get(0));
        assertTrue(!back.get(0).done().get(1), "the torn record does not count");
    }

    @Test
    void aCorruptFileGoesToCorruptAndTheOthersAreRecovered() throws Exception {
        Spool first = open(new ChannelSpoolFiles());
        String good = QueueId.next();
        String bad = QueueId.next();
        first.accept(message(good, "good\r\n", "a@x.test")).block(WAIT);
        first.accept(message(bad, "this content will rot\r\n", "a@x.test")).block(WAIT);
        first.close();
        try (RandomAccessFile f = new RandomAccessFile(root.resolve("active").resolve(bad).toFile(), "rw")) {
            f.seek(f.length() - 10);
            f.write('#'); // a flipped byte inside the content
        }
        Spool second = open(new ChannelSpoolFiles());
        List<QueuedMessage> back = second.recover().collectList().block(WAIT);
        assertEquals(List.of(good), back.stream().map(QueuedMessage::queueId).toList());
        assertTrue(Files.exists(root.resolve("corrupt").resolve(bad)));
        assertEquals(1, second.counts().get("corrupt"));
    }

    @Test
    void incomingLeftoversWereNeverAcknowledgedAndAreDeleted() throws Exception {
        Spool s = open(new ChannelSpoolFiles());
        Files.writeString(root.resolve("incoming").resolve(QueueId.next()), "half a file");
        assertEquals(List.of(), s.recover().collectList().block(WAIT));
        assertEquals(0, Files.list(root.resolve("incoming")).count());
    }

    @Test
    void smtpd11_aLaneThatMeetsAnErrorFailsWhatItHeldAndSaysSo_neverHangs() throws Exception {
        ChannelSpoolFiles real = new ChannelSpoolFiles();
        java.util.concurrent.atomic.AtomicBoolean exhausted = new java.util.concurrent.atomic.AtomicBoolean(true);
        SpoolFiles files = (SpoolFiles) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {SpoolFiles.class}, (proxy, method, args) -> {
                    if (method.getName().equals("create") && exhausted.getAndSet(false)) {
                        throw new OutOfMemoryError("simulated");
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Spool s = open(files);
        List<Throwable> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        s.onLaneFailure(reported::add);
        String id = QueueId.next();
        Throwable failed = org.junit.jupiter.api.Assertions.assertThrows(Throwable.class,
                () -> s.accept(message(id, "x\r\n", "a@x.test")).block(WAIT));
        assertTrue(String.valueOf(failed).contains("simulated") || String.valueOf(failed.getCause()).contains("simulated"),
                String.valueOf(failed));
        long until = System.nanoTime() + WAIT.toNanos(); // the lane reports after it has failed its work
        while (reported.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(1, reported.size());
        s.accept(message(QueueId.next(), "y\r\n", "a@x.test")).block(WAIT); // the lanes still answer
    }

    @Test
    void aFinishedMessageIsRemoved() throws Exception {
        Spool s = open(new ChannelSpoolFiles());
        String id = QueueId.next();
        s.accept(message(id, "x\r\n", "a@x.test")).then(s.remove(id)).block(WAIT);
        assertEquals(0, Files.list(root.resolve("active")).count());
        assertEquals(0, s.counts().get("active"));
        assertEquals(List.of(), open(new ChannelSpoolFiles()).recover().collectList().block(WAIT));
    }

    @Test
    void queueIdsAreUniqueAndSortable() {
        List<String> ids = Flux.range(0, 10_000).map(i -> QueueId.next()).collectList().block(WAIT);
        assertEquals(ids.size(), Set.copyOf(ids).size());
        assertEquals(ids.stream().sorted().toList(), ids);
        assertTrue(ids.stream().allMatch(QueueId::looksLikeOne));
    }
}
