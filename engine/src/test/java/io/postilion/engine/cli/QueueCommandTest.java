package io.postilion.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.Spool;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Ret;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The queue commands with no relay running (no admin.sock in queue_directory, or one nobody
 * answers on): they read and change the spool directly.
 */
class QueueCommandTest {

    @TempDir
    Path spool;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String stored(Spool s, String rcpt) {
        String id = s.newQueueId();
        s.accept(new ReceivedMessage(id, "app@client.test", List.of(new ReceivedMessage.Recipient(rcpt, Set.of(), "")),
                BodyType.SEVEN_BIT, false, "", Ret.NONE, "Subject: q\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII),
                new ReceivedMessage.Client("127.0.0.1", "app.test", false, ""), Instant.now())).block(Duration.ofSeconds(10));
        return id;
    }

    @Test
    void queueListsTheSpoolAndDeleteRemovesWithoutARelay() throws Exception {
        Spool s = Spool.open(spool, new ChannelSpoolFiles(), Clock.systemUTC());
        String first = stored(s, "x@dest.test");
        stored(s, "y@dest.test");
        s.close();
        String[] noRelay = {"-o", "queue_directory=" + spool};

        assertEquals(0, run(concat("queue", noRelay)), err.toString());
        String listing = out.toString(StandardCharsets.UTF_8);
        assertTrue(listing.contains(first) && listing.contains("x@dest.test") && listing.contains("y@dest.test")
                && listing.contains("-- 0 Kbytes in 2 Requests."), listing);

        out.reset();
        assertEquals(0, run(concat("delete", concat(first, noRelay))), err.toString());
        assertEquals("deleted " + first, out.toString(StandardCharsets.UTF_8).strip());
        assertEquals(69, run(concat("delete", concat(first, noRelay))), "already gone");

        out.reset();
        assertEquals(0, run(concat("delete", concat("ALL", noRelay))));
        out.reset();
        run(concat("queue", noRelay));
        assertEquals("Mail queue is empty\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void deleteWithoutARelayRemovesAMessageInEveryState() throws Exception {
        Spool s = Spool.open(spool, new ChannelSpoolFiles(), Clock.systemUTC());
        String active = stored(s, "x@dest.test");
        String deferred = stored(s, "y@dest.test");
        s.defer(deferred).block(Duration.ofSeconds(10));
        s.close();
        String corrupt = "0123456789ABCD";
        java.nio.file.Files.writeString(spool.resolve("corrupt").resolve(corrupt), "not a queue file");
        String[] noRelay = {"-o", "queue_directory=" + spool};

        for (String id : List.of(active, deferred, corrupt)) {
            out.reset();
            assertEquals(0, run(concat("delete", concat(id, noRelay))), id + ": " + err);
            assertEquals("deleted " + id, out.toString(StandardCharsets.UTF_8).strip());
        }
        for (String state : List.of("active", "deferred", "corrupt")) {
            assertEquals(0, spool.resolve(state).toFile().list().length, state);
        }
    }

    @Test
    void flushNeedsARunningRelay() {
        assertEquals(69, run("flush", "-o", "queue_directory=" + spool));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no relay answers on " + spool.resolve("admin.sock")),
                err.toString(StandardCharsets.UTF_8));
    }

    /**
     * Whatever holds metrics_listen (once the admin API's home) is never asked: the commands find
     * their relay through queue_directory only.
     */
    @Test
    void theQueueCommandsNeverAskWhateverHoldsTheMetricsPort() throws Exception {
        Spool s = Spool.open(spool, new ChannelSpoolFiles(), Clock.systemUTC());
        String id = stored(s, "x@dest.test");
        s.close();
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        DisposableServer impostor = HttpServer.create().host("127.0.0.1").port(0)
                .handle((req, res) -> {
                    asked.incrementAndGet();
                    return res.sendString(Mono.just("deleted 99 message(s)\n"));
                }).bindNow();
        try {
            String[] args = {"-o", "queue_directory=" + spool, "-o", "metrics_listen=127.0.0.1:" + impostor.port()};
            assertEquals(0, run(concat("queue", args)), err.toString());
            assertTrue(out.toString(StandardCharsets.UTF_8).contains(id), out.toString(StandardCharsets.UTF_8));
            assertEquals(69, run(concat("flush", args)));
            assertEquals(0, run(concat("delete", concat(id, args))));
            assertEquals(0, asked.get(), "the process on the metrics port was asked");
        } finally {
            impostor.disposeNow();
        }
    }

    /** An admin.sock left by a relay that died, with nobody listening, means no relay: the spool is read. */
    @Test
    void aStaleAdminSocketMeansNoRelay() throws Exception {
        Spool s = Spool.open(spool, new ChannelSpoolFiles(), Clock.systemUTC());
        String id = stored(s, "x@dest.test");
        s.close();
        try (var dead = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            dead.bind(java.net.UnixDomainSocketAddress.of(spool.resolve("admin.sock")));
        }
        assertTrue(java.nio.file.Files.exists(spool.resolve("admin.sock")), "the socket file stays behind");
        assertEquals(0, run("queue", "-o", "queue_directory=" + spool), err.toString());
        assertTrue(out.toString(StandardCharsets.UTF_8).contains(id + "* ")
                && out.toString(StandardCharsets.UTF_8).endsWith("-- 0 Kbytes in 1 Request.\n"), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void deleteWithoutATargetIsMisuse() {
        assertEquals(64, run("delete"));
    }

    private static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    @Test
    void catShowsAJournalMessageWithItsResultsAndListingAndDeleteWorkOnTheJournal() throws Exception {
        io.postilion.engine.spool.JournalSpool j = io.postilion.engine.spool.JournalSpool.open(spool,
                new ChannelSpoolFiles(), Clock.systemUTC());
        j.recover().blockLast(Duration.ofSeconds(10));
        String id = j.newQueueId();
        j.accept(new ReceivedMessage(id, "app@client.test", List.of(new ReceivedMessage.Recipient("x@dest.test", Set.of(), ""),
                new ReceivedMessage.Recipient("y@dest.test", Set.of(), "")), BodyType.SEVEN_BIT, false, "", Ret.NONE,
                "Subject: cat\r\n\r\nthe body\r\n".getBytes(StandardCharsets.US_ASCII),
                new ReceivedMessage.Client("127.0.0.1", "app.test", false, ""), Instant.now())).block(Duration.ofSeconds(10));
        j.record(id, 0, io.postilion.engine.delivery.Results.local(io.postilion.engine.delivery.Recipient.of(0, "x@dest.test"),
                io.postilion.engine.delivery.Outcome.SENT, "2.0.0", "250 ok", "none", 1)).block(Duration.ofSeconds(10));
        String[] at = {"-o", "queue_directory=" + spool};
        assertEquals(0, run(concat("cat", concat(id, at))), err.toString()); // beside the open spool: it only reads
        String shown = out.toString(StandardCharsets.UTF_8);
        assertTrue(shown.startsWith("*** ENVELOPE RECORDS " + id + " ***\n"), shown);
        assertTrue(shown.contains("sender: app@client.test"), shown);
        assertTrue(shown.contains("recipient: x@dest.test\n") && shown.contains(" sent 2.0.0 (250 ok)"), shown);
        assertTrue(shown.contains("*** MESSAGE CONTENTS " + id + " ***\nSubject: cat\r\n\r\nthe body\r\n*** END OF QUEUE FILE"),
                shown);
        j.close();
        out.reset();
        assertEquals(0, run(concat("queue", at)), err.toString());
        assertTrue(out.toString(StandardCharsets.UTF_8).contains(id), out.toString(StandardCharsets.UTF_8));
        out.reset();
        assertEquals(0, run(concat("delete", concat(id, at))), err.toString());
        assertEquals(69, run(concat("cat", concat(id, at))), "deleted: " + out);
    }
}
