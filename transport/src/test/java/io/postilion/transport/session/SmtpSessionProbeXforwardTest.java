package io.postilion.transport.session;

import static io.postilion.transport.session.SessionFixture.codes;
import static io.postilion.transport.session.SessionFixture.connect;
import static io.postilion.transport.session.SessionFixture.fast;
import static io.postilion.transport.session.SessionFixture.handshake;
import static io.postilion.transport.session.SessionFixture.tx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.tls.TlsLevel;
import io.postilion.transport.reply.SmtpReply;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The session's side of XFORWARD (XFER-2), address verification probes (MISC-1), the TLS feature
 * status for the log (LOG-5) and the conversation transcript (LOG-9, MISC-3).
 */
class SmtpSessionProbeXforwardTest {

    private final FakeSmtpServer server = FakeSmtpServer.start();
    private final SessionSettings smtp = fast(SessionSettings.smtp("client.test"));

    @AfterEach
    void stop() {
        server.close();
    }

    private SmtpSession ready(SessionSettings settings) {
        SmtpSession s = connect(server, settings);
        Handshake h = handshake(s);
        assertTrue(h.ok(), String.valueOf(h.failure()));
        return s;
    }

    private List<String> clientLinesBeforeFirstReplyTo(String replyPrefix) {
        return SessionFixture.clientLinesBeforeFirstReplyTo(server, replyPrefix);
    }

    private void awaitClosed() throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (server.openSessions() > 0 && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertEquals(0, server.openSessions(), "the client closed the connection");
    }

    @Test
    void xforwardCommandsGoBeforeMailInTheSameBurst_XFER2() {
        server.capabilities("PIPELINING", "XFORWARD NAME ADDR PROTO HELO").delay(Stage.XFORWARD, Duration.ofMillis(200));
        SmtpSession s = ready(smtp);
        Transaction t = tx("hi\r\n", "a@x.test").xforward(List.of("XFORWARD NAME=c.test ADDR=192.0.2.7",
                "XFORWARD PROTO=ESMTP HELO=c.test"));
        TransactionResult r = s.transaction(t).block(SessionFixture.WAIT);
        assertEquals(List.of("EHLO client.test", "XFORWARD NAME=c.test ADDR=192.0.2.7", "XFORWARD PROTO=ESMTP HELO=c.test",
                "MAIL FROM:<sender@example.com>", "RCPT TO:<a@x.test>", "DATA"), clientLinesBeforeFirstReplyTo("250 2.0.0 Ok"));
        assertEquals(List.of(250, 250), codes(r.xforward()));
        assertEquals(List.of(250), codes(r.finals()));
    }

    @Test
    void aRefusedXforwardDoesNotStopTheTransaction_XFER2() {
        server.capabilities("PIPELINING", "XFORWARD NAME ADDR").reply(Stage.XFORWARD, "550 5.5.1 not today");
        TransactionResult r = ready(smtp).transaction(tx("hi\r\n", "a@x.test").xforward(List.of("XFORWARD NAME=c.test")))
                .block(SessionFixture.WAIT);
        assertEquals(List.of(550), codes(r.xforward()));
        assertEquals(List.of(250), codes(r.finals()));
        assertEquals(1, server.contents().size());
    }

    @Test
    void aRcptProbeSendsRsetInsteadOfDataAndTheSessionStaysUsable_MISC1() {
        server.capabilities("PIPELINING", "CHUNKING");
        SmtpSession s = ready(smtp);
        Transaction probe = tx("never sent\r\n", "a@x.test", "b@x.test").purpose(Transaction.Purpose.VERIFY_RCPT)
                .keepOpen(true);
        server.reply(Stage.RCPT, (line, session) -> line.contains("b@x.test") ? "550 5.1.1 no such user" : "250 2.1.5 Ok");
        TransactionResult r = s.transaction(probe).block(SessionFixture.WAIT);
        assertEquals(List.of(250, 550), codes(r.rcpt()));
        assertNull(r.data());
        assertTrue(r.finals().isEmpty());
        assertTrue(r.reusable(), "a rcpt probe's session may be cached");
        List<String> cmds = List.copyOf(server.commands());
        assertEquals("RSET", cmds.get(cmds.size() - 1), cmds.toString());
        assertFalse(cmds.contains("DATA") || cmds.stream().anyMatch(c -> c.startsWith("BDAT")), cmds.toString());
        assertTrue(server.contents().isEmpty());
    }

    @Test
    void aDataProbeDropsTheConnectionRightAfter354_MISC1() throws InterruptedException {
        server.capabilities("PIPELINING", "CHUNKING");
        Transaction probe = tx("never sent\r\n", "a@x.test").purpose(Transaction.Purpose.VERIFY_DATA).keepOpen(true);
        TransactionResult r = ready(smtp).transaction(probe).block(SessionFixture.WAIT);
        assertEquals(354, r.data().code());
        assertFalse(r.reusable(), "a data probe's session is never cached");
        awaitClosed();
        List<String> cmds = List.copyOf(server.commands());
        assertEquals("DATA", cmds.get(cmds.size() - 1), "no content, no '.', no QUIT: " + cmds);
        assertTrue(server.contents().isEmpty());
    }

    @Test
    void aDataProbeRefusedAtDataEndsWithRset_MISC1() throws InterruptedException {
        server.reply(Stage.DATA, "554 5.7.1 not for you");
        Transaction probe = tx("x\r\n", "a@x.test").purpose(Transaction.Purpose.VERIFY_DATA);
        TransactionResult r = ready(smtp).transaction(probe).block(SessionFixture.WAIT);
        assertEquals(554, r.data().code());
        awaitClosed(); // QUIT rides with RSET; the result comes with the RSET reply, before the server reads QUIT
        List<String> cmds = List.copyOf(server.commands());
        assertEquals(List.of("RSET", "QUIT"), cmds.subList(cmds.size() - 2, cmds.size()), cmds.toString());
    }

    @Test
    void tlsStatusIsNoneAtLevelNone_LOG5() {
        server.startTls(true);
        assertEquals("none", ready(smtp.withTls(TlsLevel.NONE, false)).tlsStatus().logForm());
    }

    @Test
    void tlsStatusShowsMayDowngradedToNoneWithoutStartTls_LOG5() {
        assertEquals("may:none", ready(smtp.withTls(TlsLevel.MAY, false)).tlsStatus().logForm());
    }

    @Test
    void tlsStatusIsMayWhenStartTlsSucceeded_LOG5() {
        server.startTls(true);
        assertEquals("may", ready(smtp.withTls(TlsLevel.MAY, false)).tlsStatus().logForm());
    }

    @Test
    void tlsStatusMarksAViolatedEncryptLevel_LOG5() {
        SmtpSession s = connect(server, smtp.withTls(TlsLevel.ENCRYPT, false));
        assertFalse(handshake(s).ok());
        assertEquals("!encrypt", s.tlsStatus().logForm());
    }

    @Test
    void tlsStatusIsUndecidedWhenTheConnectionIsLostBeforeTls_LOG5() {
        server.dropAfter(Stage.GREETING);
        SmtpSession s = connect(server, smtp.withTls(TlsLevel.MAY, false));
        assertFalse(handshake(s).ok());
        assertEquals("may?", s.tlsStatus().logForm());
    }

    @Test
    void theTranscriptSeesEveryCommandAndReplyButNoContent_LOG9() {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        SmtpSession s = connect(server, smtp);
        s.transcript(new Transcript() {
            @Override
            public void sent(String line) {
                lines.add("Out: " + line);
            }

            @Override
            public void received(SmtpReply reply) {
                lines.add("In: " + reply.code());
            }
        });
        assertTrue(handshake(s).ok());
        s.transaction(tx("secret body\r\n", "a@x.test")).block(SessionFixture.WAIT);
        List<String> seen = List.copyOf(lines);
        assertEquals(List.of("In: 220", "Out: EHLO client.test", "In: 250", "Out: MAIL FROM:<sender@example.com>",
                "Out: RCPT TO:<a@x.test>", "Out: DATA", "In: 250", "In: 250", "In: 354"),
                seen.subList(0, Math.min(seen.size(), 9)), seen.toString());
        // QUIT rides with the content, so its place against the "." reply is up to the network.
        assertTrue(seen.subList(9, seen.size()).containsAll(List.of("Out: QUIT", "In: 250")), seen.toString());
        assertFalse(seen.stream().anyMatch(l -> l.contains("secret")), seen.toString());
    }
}
