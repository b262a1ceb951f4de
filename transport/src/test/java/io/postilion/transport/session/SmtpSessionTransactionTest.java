package io.postilion.transport.session;

import static io.postilion.transport.session.SessionFixture.codes;
import static io.postilion.transport.session.SessionFixture.connect;
import static io.postilion.transport.session.SessionFixture.fast;
import static io.postilion.transport.session.SessionFixture.handshake;
import static io.postilion.transport.session.SessionFixture.tx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SmtpSessionTransactionTest {

    private final FakeSmtpServer server = FakeSmtpServer.start();
    private final SessionSettings smtp = fast(SessionSettings.smtp("client.test"));

    @AfterEach
    void stop() {
        server.close();
    }

    private TransactionResult run(SessionSettings settings, Transaction tx) {
        SmtpSession s = connect(server, settings);
        Handshake h = handshake(s);
        assertTrue(h.ok(), String.valueOf(h.failure()));
        return s.transaction(tx).block(SessionFixture.WAIT);
    }

    private List<String> clientLinesBeforeFirstReplyTo(String replyPrefix) {
        return SessionFixture.clientLinesBeforeFirstReplyTo(server, replyPrefix);
    }

    @Test
    void mailRcptsAndDataGoInOneBurstBeforeAnyReply_XFER23() {
        server.delay(Stage.MAIL, Duration.ofMillis(300));
        TransactionResult r = run(smtp, tx("hello\r\n", "a@x.test", "b@x.test", "c@x.test"));
        assertNull(r.failure(), String.valueOf(r.failure()));
        assertEquals(List.of("EHLO client.test", "MAIL FROM:<sender@example.com>", "RCPT TO:<a@x.test>",
                "RCPT TO:<b@x.test>", "RCPT TO:<c@x.test>", "DATA"), clientLinesBeforeFirstReplyTo("250 2.1.0"));
        assertEquals(List.of(250), codes(r.finals()), r + " " + server.transcript());
        assertEquals(List.of(0, 1, 2), r.accepted());
    }

    @Test
    void withoutPipeliningEveryCommandWaitsForItsReply_XFER21() {
        server.capabilities("8BITMIME");
        run(smtp, tx("hello\r\n", "a@x.test", "b@x.test"));
        List<String> t = server.transcript();
        int mail = t.indexOf("C: MAIL FROM:<sender@example.com>");
        assertTrue(t.get(mail + 1).startsWith("S: 250"), t.toString());
        assertEquals("C: RCPT TO:<a@x.test>", t.get(mail + 2));
        assertTrue(t.get(mail + 3).startsWith("S: 250"), t.toString());
        assertEquals("C: RCPT TO:<b@x.test>", t.get(mail + 4));
    }

    @Test
    void unansweredCommandsStayWithinThe4096ByteWindow_XFER21() {
        server.delay(Stage.MAIL, Duration.ofMillis(300));
        String[] rcpts = new String[200];
        for (int i = 0; i < rcpts.length; i++) {
            rcpts[i] = "recipient-with-a-rather-long-local-part-number-" + i + "@example.test";
        }
        TransactionResult r = run(smtp, tx("x\r\n", rcpts));
        assertEquals(200, r.accepted().size());
        List<String> firstBurst = clientLinesBeforeFirstReplyTo("250 2.1.0");
        firstBurst = firstBurst.subList(1, firstBurst.size()); // after EHLO
        int bytes = firstBurst.stream().mapToInt(l -> l.length() + 2).sum();
        assertTrue(bytes <= SessionSettings.PIPELINING_WINDOW, "first burst " + bytes + " bytes");
        assertTrue(firstBurst.size() > 40, "first burst only " + firstBurst.size() + " commands");
        assertFalse(firstBurst.contains("DATA"));
    }

    @Test
    void contentDotAndQuitGoInOneBurstAfterThe354_XFER24() {
        server.delay(Stage.DOT, Duration.ofMillis(300));
        run(smtp, tx("line one\r\n.stuffed\r\n", "a@x.test"));
        List<String> before = clientLinesBeforeFirstReplyTo("250 2.0.0 Ok: queued");
        assertEquals("QUIT", before.get(before.size() - 1), server.transcript().toString());
        assertArrayEquals("line one\r\n..stuffed\r\n.\r\n".getBytes(StandardCharsets.US_ASCII), server.contents().get(0));
    }

    @Test
    void mailRefusedConsumesPipelinedRepliesThenRsetAndQuit_XFER25_XFER26() {
        server.reply(Stage.MAIL, "550 5.7.1 sender refused");
        TransactionResult r = run(smtp, tx("x\r\n", "a@x.test", "b@x.test"));
        assertEquals(550, r.mail().code());
        assertTrue(r.accepted().isEmpty());
        assertTrue(r.aborted());
        assertEquals(2, r.rcpt().size());
        // QUIT's reply is not waited for (smtp_skip_quit_response), so the server may log it a moment later.
        List<String> cmds = server.commands();
        for (long until = System.nanoTime() + 5_000_000_000L; !cmds.contains("QUIT") && System.nanoTime() < until; ) {
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
            cmds = server.commands();
        }
        assertEquals(List.of("RSET", "QUIT"), cmds.subList(cmds.size() - 2, cmds.size()));
        assertTrue(server.contents().isEmpty());
    }

    @Test
    void eachRecipientGetsItsOwnRcptReply_XFER25() {
        server.reply(Stage.RCPT, (line, s) -> line.contains("bad@") ? "550 5.1.1 no such user"
                : line.contains("later@") ? "450 4.2.0 try later" : "250 2.1.5 Ok");
        TransactionResult r = run(smtp, tx("x\r\n", "good@x.test", "bad@x.test", "later@x.test"));
        assertEquals(List.of(250, 550, 450), codes(r.rcpt()));
        assertEquals("5.1.1", r.rcpt().get(1).status());
        assertEquals(List.of(0), r.accepted());
        assertEquals(List.of(250), codes(r.finals()));
    }

    @Test
    void allRecipientsRefusedAndDataRefusedSendsRsetAndNoContent_XFER10() {
        server.reply(Stage.RCPT, "550 5.1.1 no");
        TransactionResult r = run(smtp, tx("x\r\n", "a@x.test"));
        assertEquals(554, r.data().code());
        assertTrue(r.aborted());
        assertTrue(server.contents().isEmpty());
        assertTrue(server.commands().contains("RSET"));
    }

    @Test
    void allRecipientsRefusedBut354SendsOnlyTheDot_XFER27() {
        server.reply(Stage.RCPT, "550 5.1.1 no").reply(Stage.DATA, "354 go ahead anyway");
        TransactionResult r = run(smtp, tx("secret content\r\n", "a@x.test"));
        assertEquals(354, r.data().code());
        assertFalse(r.aborted());
        assertArrayEquals(".\r\n".getBytes(StandardCharsets.US_ASCII), server.contents().get(0));
    }

    @Test
    void dataRefusedWithAcceptedRecipientsAbortsWithRset_XFER10() {
        server.reply(Stage.DATA, "451 4.3.0 not now");
        TransactionResult r = run(smtp, tx("x\r\n", "a@x.test", "b@x.test"));
        assertEquals(451, r.data().code());
        assertEquals(List.of(0, 1), r.accepted());
        assertTrue(r.aborted());
        assertTrue(r.finals().isEmpty());
    }

    @Test
    void endOfDataRejectionIsReported_XFER11() {
        server.reply(Stage.DOT, "552 5.3.4 message too big");
        TransactionResult r = run(smtp, tx("x\r\n", "a@x.test"));
        assertEquals("5.3.4", r.finals().get(0).status());
    }

    @Test
    void lmtpReadsOneReplyPerAcceptedRecipientInOrder_XFER12() {
        server.lmtp(true)
                .reply(Stage.RCPT, (line, s) -> line.contains("nosuch@") ? "550 5.1.1 no such user" : "250 2.1.5 Ok")
                .lmtpDotReply((rcpt, i) -> rcpt.startsWith("full") ? "452 4.2.2 quota" : "250 2.0.0 <" + rcpt + "> saved");
        TransactionResult r = run(fast(SessionSettings.lmtp("client.test")),
                tx("x\r\n", "one@x.test", "nosuch@x.test", "full@x.test", "two@x.test"));
        assertEquals(List.of(0, 2, 3), r.accepted());
        assertEquals(List.of(250, 452, 250), codes(r.finals()));
        assertNull(r.failure());
        assertTrue(server.commands().contains("QUIT"));
    }

    @Test
    void lmtpMissingReplyTimesOutAndKeepsTheRepliesAlreadyRead_XFER12() {
        server.lmtp(true).lmtpDotReply((rcpt, i) -> i == 2 ? null : "250 2.0.0 ok").reply(Stage.QUIT, (line, s) -> null);
        SessionSettings s = SessionSettings.lmtp("client.test").withTimeouts(Timeouts.all(Duration.ofMillis(800)));
        TransactionResult r = run(s, tx("x\r\n", "a@x.test", "b@x.test", "c@x.test"));
        assertEquals(List.of(250, 250), codes(r.finals()));
        assertEquals(StageFailure.Kind.TIMEOUT, r.failure().kind());
        assertEquals(io.postilion.transport.session.Stage.DOT, r.failure().stage());
        assertTrue(r.failure().text().endsWith("message may be sent more than once"), r.failure().text());
    }

    @Test
    void lostConnectionAtRcptNamesTheStage_TIME6() {
        server.reply(Stage.RCPT, (line, s) -> null).dropAfter(Stage.RCPT);
        TransactionResult r = run(smtp, tx("x\r\n", "a@x.test"));
        assertEquals(StageFailure.Kind.LOST, r.failure().kind());
        assertEquals("lost connection with fake.test[127.0.0.1] while sending RCPT TO", r.failure().text());
        assertFalse(r.reusable());
    }

    @Test
    void garbageInAReplyMarksAProtocolErrorAndTheSessionIsNotReusable_XFER29() {
        server.reply(Stage.DOT, "hello there\r\n250 2.0.0 ok");
        Transaction t = tx("x\r\n", "a@x.test");
        TransactionResult r = run(smtp, t.keepOpen(true));
        assertTrue(r.protocolError());
        assertFalse(r.reusable());
    }

    @Test
    void keptSessionSendsNoQuitAndCanRunASecondTransaction_XFER30() {
        SmtpSession s = connect(server, smtp);
        handshake(s);
        Transaction t = tx("x\r\n", "a@x.test");
        Transaction kept = t.keepOpen(true);
        TransactionResult first = s.transaction(kept).block(SessionFixture.WAIT);
        assertTrue(first.reusable());
        assertFalse(server.commands().contains("QUIT"));
        assertTrue(s.rsetProbe().block(SessionFixture.WAIT));
        TransactionResult second = s.transaction(t).block(SessionFixture.WAIT);
        assertEquals(List.of(250), codes(second.finals()));
        assertEquals(2, server.contents().size());
        assertEquals(1, server.sessions());
    }

    @Test
    void chunkingServerGetsOnePipelinedBdatLastWithoutStuffing_CLARIFICATIONS1() {
        server.capabilities("PIPELINING", "CHUNKING", "8BITMIME");
        server.delay(Stage.MAIL, Duration.ofMillis(200));
        TransactionResult r = run(smtp, tx(".dot\r\n", "a@x.test"));
        assertTrue(r.usedBdat());
        assertEquals(List.of(250), codes(r.finals()));
        assertArrayEquals(".dot\r\n".getBytes(StandardCharsets.US_ASCII), server.contents().get(0));
        assertTrue(clientLinesBeforeFirstReplyTo("250 2.1.0").contains("BDAT 6 LAST"), server.transcript().toString());
    }

    @Test
    void largeContentGoesInSeveralChunksAfterTheRcptReplies_CLARIFICATIONS1() {
        server.capabilities("PIPELINING", "CHUNKING");
        String body = ("0123456789".repeat(10) + "\r\n").repeat(10);
        TransactionResult r = run(smtp, tx(io.postilion.transport.content.ContentOptions.defaults().withBdatChunkSize(256), body, "a@x.test"));
        assertNull(r.failure());
        assertTrue(r.usedBdat());
        assertArrayEquals(body.getBytes(StandardCharsets.US_ASCII), server.contents().get(0));
        long chunks = server.commands().stream().filter(c -> c.startsWith("BDAT ")).count();
        assertEquals(4, chunks, server.commands().toString());
        assertTrue(server.commands().contains("BDAT 252 LAST"), server.commands().toString());
    }

    @Test
    void chunkingOffUsesData_MISC5() {
        server.capabilities("PIPELINING", "CHUNKING");
        TransactionResult r = run(smtp.withChunking(false), tx("x\r\n", "a@x.test"));
        assertFalse(r.usedBdat());
        assertTrue(server.commands().contains("DATA"));
    }

    @Test
    void quitReplyIsAwaitedWhenNotSkipped_XFER14() {
        server.delay(Stage.QUIT, Duration.ofMillis(200));
        run(smtp.withSkipQuitResponse(false), tx("x\r\n", "a@x.test"));
        assertTrue(server.transcript().contains("S: 221 2.0.0 Bye"), server.transcript().toString());
    }

    @Test
    void commandLinesWithCrOrLfAreRefusedBeforeTheWire_CLARIFICATIONS3() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> tx("x\r\n", "a@x.test>\r\nRCPT TO:<evil@x.test"));
    }

    @Test
    void contentWritesThatStallTimeOutWhileSendingTheBody_TIME2_TIME6() {
        server.stallContent();
        Transaction big = new Transaction("MAIL FROM:<s@x.test>", List.of("RCPT TO:<a@x.test>"),
                SessionFixture.generated(64 * 1024, 998), io.postilion.transport.content.ContentOptions.defaults(), false);
        SessionSettings s = smtp.withTimeouts(new Timeouts(Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofSeconds(3),
                Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofMillis(800),
                Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofSeconds(3), false, 500));
        TransactionResult r = run(s, big);
        assertEquals(StageFailure.Kind.TIMEOUT, r.failure().kind(), String.valueOf(r.failure()));
        assertEquals("conversation with fake.test[127.0.0.1] timed out while sending message body", r.failure().text());
    }

    /** Limits of 30 s everywhere but MAIL's and RCPT's, which the tests below set. */
    private static Timeouts limits(Duration mail, Duration rcpt) {
        Duration l = Duration.ofSeconds(30);
        return new Timeouts(l, l, l, mail, rcpt, l, l, l, l, l, false, 500);
    }

    @Test
    void aShortStageLimitAfterALongOneStillEndsTheWaitOnTime_TIME1() {
        // EHLO waits under 30 s and leaves its clock check pending; MAIL's 400 ms limit must not
        // wait for that check: the reader arms an earlier one.
        server.delay(Stage.MAIL, Duration.ofSeconds(60));
        SmtpSession s = connect(server, smtp.withTimeouts(limits(Duration.ofMillis(400), Duration.ofSeconds(30))));
        assertTrue(handshake(s).ok());
        TransactionResult r = s.transaction(tx("x\r\n", "a@x.test")).block(Duration.ofSeconds(15));
        assertEquals(StageFailure.Kind.TIMEOUT, r.failure().kind(), String.valueOf(r.failure()));
        assertEquals(io.postilion.transport.session.Stage.MAIL, r.failure().stage());
    }

    @Test
    void aClockCheckLeftFromAnEarlierShortWaitDoesNotCutALongerOneShort_TIME1() {
        // MAIL is answered at once under 300 ms and leaves its check pending; RCPT's reply comes
        // after 700 ms, inside RCPT's own 20 s limit, so the old check must re-arm, not fire.
        server.delay(Stage.RCPT, Duration.ofMillis(700));
        TransactionResult r = run(smtp.withTimeouts(limits(Duration.ofMillis(300), Duration.ofSeconds(20))),
                tx("x\r\n", "a@x.test"));
        assertNull(r.failure(), String.valueOf(r.failure()));
        assertEquals(List.of(0), r.accepted());
    }

    @Test
    void replyBeforeHangingUpDuringContentIsTheEndOfDataReply_XFER28() {
        server.rejectDuringContent("552 5.3.4 message too big");
        Transaction big = new Transaction("MAIL FROM:<s@x.test>", List.of("RCPT TO:<a@x.test>"),
                SessionFixture.generated(4 * 1024, 998), io.postilion.transport.content.ContentOptions.defaults(), false);
        TransactionResult r = run(smtp, big);
        assertEquals(List.of(552), codes(r.finals()), String.valueOf(r.failure()));
        assertEquals("5.3.4", r.finals().get(0).status());
        assertFalse(r.reusable());
    }

    @Test
    void longLinesAreBrokenAndBareLineEndsBecomeCrlfOnTheWire_DATA3_CLARIFICATIONS2() {
        String raw = "a".repeat(999) + "\n.\nlast\rline";
        run(smtp, tx(raw, "a@x.test"));
        String wire = new String(server.contents().get(0), StandardCharsets.US_ASCII);
        assertEquals("a".repeat(998) + "\r\n a\r\n..\r\nlast\r\nline\r\n.\r\n", wire);
    }

    @Test
    void aMimeErrorFailsTheMessageAndNoDotIsSent_DATA13() {
        StringBuilder nested = new StringBuilder("MIME-Version: 1.0\r\n");
        for (int i = 0; i < 3; i++) {
            nested.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\r\n")
                    .append("Content-Transfer-Encoding: 8bit\r\n\r\n--b").append(i).append("\r\n");
        }
        nested.append("Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nh\u00e9\r\n");
        io.postilion.transport.content.ContentOptions opts = io.postilion.transport.content.ContentOptions.defaults()
                .withDowngrade(true).withMimeNestingLimit(2);
        TransactionResult r = run(smtp, tx(opts, nested.toString(), "a@x.test"));
        assertEquals("5.6.0", r.failure().status(), String.valueOf(r.failure()));
        assertEquals(StageFailure.Kind.LOCAL, r.failure().kind());
        assertTrue(server.contents().isEmpty(), "no end-of-data may follow a MIME error");
        assertFalse(r.reusable());
    }
}
