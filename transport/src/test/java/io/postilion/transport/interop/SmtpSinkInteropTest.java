package io.postilion.transport.interop;

import static io.postilion.transport.interop.Rig.codes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.protocol.Capabilities;
import io.postilion.transport.session.Stage;
import io.postilion.transport.session.TransactionResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The session against Postfix's smtp-sink: the rig's instance on 127.0.0.1:2527, and variants
 * (no PIPELINING, RCPT rejected, 4xx after ".", LMTP) that each test starts on a free port with
 * scripts/peers/sink.sh and stops again.
 */
@Tag("interop")
class SmtpSinkInteropTest {

    private static final String FROM = "sender@client.example.test";

    @BeforeAll
    static void sinkIsUp() {
        Rig.requireTcp("smtp-sink", Rig.SINK_PORT, "sink.sh");
    }

    private static List<String> rcpts(int n) {
        return IntStream.range(0, n)
                .mapToObj(i -> "recipient-with-a-rather-long-local-part-number-" + i + "@dest.example.test").toList();
    }

    private static long sinkCount(Path dir) {
        String out = Rig.script(Map.of(), "sink.sh", "count", dir.toString()).trim();
        return out.isEmpty() ? 0 : Long.parseLong(out.lines().reduce((a, b) -> b).orElse("0").trim());
    }

    private static void awaitCount(Path dir, long atLeast) {
        long end = System.nanoTime() + 10_000_000_000L;
        long n;
        do {
            n = sinkCount(dir);
            if (n >= atLeast) {
                return;
            }
            Rig.sleep(100);
        } while (System.nanoTime() < end);
        throw new AssertionError("smtp-sink in " + dir + " counted " + n + " messages, expected at least " + atLeast);
    }

    private static void assertAllSent(TransactionResult r, int n) {
        assertNull(r.failure(), String.valueOf(r.failure()));
        assertEquals(250, r.mail().code(), String.valueOf(r.mail()));
        assertEquals(Collections.nCopies(n, 250), codes(r.rcpt()));
        assertEquals(IntStream.range(0, n).boxed().toList(), r.accepted());
        assertEquals(354, r.data().code(), String.valueOf(r.data()));
        assertEquals(List.of(250), codes(r.finals()), r.toString());
        assertFalse(r.usedBdat(), "smtp-sink does not offer CHUNKING");
        assertFalse(r.aborted());
    }

    @Test
    void threeRecipientsPipelined_allFinals250() {
        Path dir = Rig.RIG_DIR.resolve("sink");
        long before = sinkCount(dir);
        Rig.Opened o = Rig.open(Rig.smtp(), Rig.tcp("sink.example.test", Rig.SINK_PORT));
        Capabilities caps = o.handshake().capabilities();
        assertEquals(Stage.EHLO, o.handshake().helloStage());
        assertTrue(caps.pipelining(), "smtp-sink announces PIPELINING: " + o.handshake().hello());
        // DSN is the line before smtp-sink's last, empty "250 " line: parsed up to the end.
        assertTrue(caps.dsn(), "DSN before the empty last EHLO line: " + o.handshake().hello());
        assertTrue(caps.enhancedStatusCodes());
        assertEquals("", o.handshake().hello().lines().get(o.handshake().hello().lines().size() - 1).trim(),
                "smtp-sink's last EHLO line is empty: " + o.handshake().hello().lines());
        String token = Rig.token();
        TransactionResult r = o.session().transaction(Rig.transaction(FROM,
                List.of("a@dest.example.test", "b@dest.example.test", "c@dest.example.test"),
                Rig.message(token, FROM, "a@dest.example.test"), false)).block(Rig.WAIT);
        assertAllSent(r, 3);
        assertEquals("2.0.0", r.finals().get(0).status());
        awaitCount(dir, before + 1);
    }

    @Test
    void twoHundredRecipientsPipelinedThroughTheWindow() {
        Rig.Opened o = Rig.open(Rig.smtp(), Rig.tcp("sink.example.test", Rig.SINK_PORT));
        List<String> rcpts = rcpts(200);
        int bytes = rcpts.stream().mapToInt(a -> "RCPT TO:<>\r\n".length() + a.length()).sum();
        assertTrue(bytes > 2 * 4096, "the recipients must need several windows: " + bytes);
        TransactionResult r = o.session().transaction(Rig.transaction(FROM, rcpts,
                Rig.message(Rig.token(), FROM, rcpts.get(0)), false)).block(Rig.WAIT);
        assertAllSent(r, 200);
    }

    @Test
    void keptSessionCarriesSeveralTransactions() {
        Rig.Opened o = Rig.open(Rig.smtp(), Rig.tcp("sink.example.test", Rig.SINK_PORT));
        for (int i = 0; i < 3; i++) {
            boolean last = i == 2;
            TransactionResult r = o.session().transaction(Rig.transaction(FROM, rcpts(3 + 40 * i),
                    Rig.message(Rig.token(), FROM, "x@dest.example.test"), !last)).block(Rig.WAIT);
            assertAllSent(r, 3 + 40 * i);
            assertEquals(!last, r.reusable(), "transaction " + i + ": " + r);
        }
    }

    // ------------------------------------------------------------------ sink variants

    /** A private smtp-sink on a free port, stopped by close(). */
    private static final class Sink implements AutoCloseable {
        final Path dir;
        final int port;

        Sink(Map<String, String> env) {
            port = Rig.freePort();
            dir = Rig.RIG_DIR.resolve("interop-sink-" + port);
            Map<String, String> all = new java.util.HashMap<>(env);
            all.put("SINK_LISTEN", Rig.LOOPBACK + ":" + port);
            Rig.script(all, "sink.sh", "start", dir.toString());
        }

        @Override
        public void close() {
            Rig.script(Map.of(), "sink.sh", "stop", dir.toString());
            try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.deleteIfExists(p);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("removing " + dir, e);
            }
        }
    }

    @Test
    void withoutPipeliningEveryRecipientStillGoesThrough() {
        try (Sink sink = new Sink(Map.of("SINK_OPTS", "-p"))) {
            Rig.Opened o = Rig.open(Rig.smtp(), Rig.tcp("sink.example.test", sink.port));
            assertFalse(o.handshake().capabilities().pipelining(), String.valueOf(o.handshake().hello()));
            TransactionResult r = o.session().transaction(Rig.transaction(FROM, rcpts(5),
                    Rig.message(Rig.token(), FROM, "x@dest.example.test"), false)).block(Rig.WAIT);
            assertAllSent(r, 5);
            awaitCount(sink.dir, 1);
        }
    }

    @Test
    void everyRcptRejectedSendsNoContent() {
        try (Sink sink = new Sink(Map.of("SINK_OPTS", "-f rcpt",
                "SINK_HARD_REPLY", "550 5.1.1 Recipient address rejected"))) {
            Rig.Opened o = Rig.open(Rig.smtp(), Rig.tcp("sink.example.test", sink.port));
            TransactionResult r = o.session().transaction(Rig.transaction(FROM, rcpts(3),
                    Rig.message(Rig.token(), FROM, "x@dest.example.test"), false)).block(Rig.WAIT);
            assertNull(r.failure(), String.valueOf(r.failure()));
            assertEquals(List.of(550, 550, 550), codes(r.rcpt()));
            assertEquals("5.1.1", r.rcpt().get(0).status());
            assertTrue(r.accepted().isEmpty());
            assertTrue(r.finals().isEmpty(), r.toString());
            assertEquals(0, sinkCount(sink.dir));
        }
    }

    @Test
    void softFailureAfterTheDotIsTheFinalReply() {
        try (Sink sink = new Sink(Map.of("SINK_OPTS", "-r .",
                "SINK_SOFT_REPLY", "451 4.3.0 Try again later"))) {
            Rig.Opened o = Rig.open(Rig.smtp(), Rig.tcp("sink.example.test", sink.port));
            TransactionResult r = o.session().transaction(Rig.transaction(FROM, rcpts(2),
                    Rig.message(Rig.token(), FROM, "x@dest.example.test"), false)).block(Rig.WAIT);
            assertNull(r.failure(), String.valueOf(r.failure()));
            assertEquals(List.of(250, 250), codes(r.rcpt()));
            assertEquals(List.of(451), codes(r.finals()));
            assertEquals("4.3.0", r.finals().get(0).status());
        }
    }

    @Test
    void lmtpSinkGivesOneFinalReplyPerRecipient() {
        try (Sink sink = new Sink(Map.of("SINK_LMTP", "1"))) {
            Rig.Opened o = Rig.open(Rig.lmtp(), Rig.tcp("sink.example.test", sink.port));
            assertEquals(Stage.LHLO, o.handshake().helloStage());
            List<String> rcpts = new ArrayList<>(rcpts(4));
            TransactionResult r = o.session().transaction(Rig.transaction(FROM, rcpts,
                    Rig.message(Rig.token(), FROM, "x@dest.example.test"), false)).block(Rig.WAIT);
            assertNull(r.failure(), String.valueOf(r.failure()));
            assertEquals(List.of(250, 250, 250, 250), codes(r.rcpt()));
            assertEquals(List.of(250, 250, 250, 250), codes(r.finals()), r.toString());
        }
    }
}
