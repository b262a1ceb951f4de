package io.postilion.engine.notice;

import io.postilion.engine.delivery.DsnAction;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Verdict;
import io.postilion.engine.delivery.VerdictSource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.protocol.Ret;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeliveryStatusNoticeTest {

    private static final byte[] ORIGINAL = "Subject: hello\r\nFrom: <a@origin.test>\r\n\r\nthe body\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    private static String write(NoticeKind kind, Ret ret, byte[] original, NoticeRecipient... rcpts) {
        Instant t = Instant.parse("2026-11-23T10:00:00Z");
        return new String(DeliveryStatusNotice.write(new DeliveryStatusNotice.Request(kind, "relay.test", "4ABC123",
                "a@origin.test", "env-1", ret, t.minusSeconds(600), List.of(rcpts), original, t, "notice.1")),
                StandardCharsets.UTF_8);
    }

    private static final NoticeRecipient HARD = new NoticeRecipient("x@dest.test", "rfc822;X@dest.test", DsnAction.FAILED,
            DsnStatus.of(5, 1, 1), "host mx.dest.test[192.0.2.1] said: 550 5.1.1 <x@dest.test>: user unknown (in reply to RCPT TO command)",
            Verdict.reply("mx.dest.test", "550 5.1.1 <x@dest.test>: user unknown"));
    private static final NoticeRecipient LOCAL = new NoticeRecipient("y@dest.test", "", DsnAction.FAILED, DsnStatus.of(5, 4, 6),
            "mail forwarding loop for y@dest.test", Verdict.local(VerdictSource.LOCAL, "mail forwarding loop for y@dest.test"));

    @Test
    void aBounceIsAMultipartReportWithTheMachineReadableStatusAndTheWholeMessage() {
        String n = write(NoticeKind.FAILURE, Ret.NONE, ORIGINAL, HARD, LOCAL);
        assertTrue(n.startsWith("From: MAILER-DAEMON@relay.test (Mail Delivery System)\r\nTo: a@origin.test\r\n"
                + "Subject: Undelivered Mail Returned to Sender\r\n"), n);
        assertTrue(n.contains("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\""), n);
        assertTrue(n.contains("Auto-Submitted: auto-replied\r\n"));
        assertTrue(n.contains("\r\nReporting-MTA: dns; relay.test\r\n"), n);
        assertTrue(n.contains("\r\nOriginal-Envelope-Id: env-1\r\n"), n);
        assertTrue(n.contains("\r\nArrival-Date: Mon, 23 Nov 2026 09:50:00 +0000\r\n"), n);
        assertTrue(n.contains("\r\nFinal-Recipient: rfc822; x@dest.test\r\nOriginal-Recipient: rfc822; X@dest.test\r\n"
                + "Action: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.dest.test\r\n"
                + "Diagnostic-Code: smtp; 550 5.1.1 <x@dest.test>: user unknown\r\n"), n);
        assertTrue(n.contains("\r\nFinal-Recipient: rfc822; y@dest.test\r\nAction: failed\r\nStatus: 5.4.6\r\n"
                + "Diagnostic-Code: X-Postilion; mail forwarding loop for y@dest.test\r\n"), "no Remote-MTA for a local failure: " + n);
        assertTrue(n.contains("Content-Type: message/rfc822\r\n\r\nSubject: hello\r\nFrom: <a@origin.test>\r\n\r\nthe body\r\n"), n);
        String boundary = n.substring(n.indexOf("boundary=\"") + 10, n.indexOf('"', n.indexOf("boundary=\"") + 10));
        assertEquals(3, n.split("\r\n--" + java.util.regex.Pattern.quote(boundary) + "\r\n", -1).length - 1, "three parts");
        assertTrue(n.endsWith("\r\n--" + boundary + "--\r\n"), n);
    }

    @Test
    void retHdrsReturnsOnlyTheHeaders() {
        String n = write(NoticeKind.FAILURE, Ret.HDRS, ORIGINAL, HARD);
        assertTrue(n.contains("Content-Type: text/rfc822-headers\r\n\r\nSubject: hello\r\nFrom: <a@origin.test>\r\n"), n);
        assertFalse(n.contains("the body"), n);
    }

    @Test
    void delayAndSuccessNoticesSayWhatTheyAre() {
        NoticeRecipient later = new NoticeRecipient("x@dest.test", "", DsnAction.DELAYED, DsnStatus.of(4, 4, 1),
                "connect to mx.dest.test[192.0.2.1]:25: Connection refused",
                Verdict.local(VerdictSource.CONNECTION, "connect to mx.dest.test[192.0.2.1]:25: Connection refused"));
        String delay = write(NoticeKind.DELAY, Ret.NONE, ORIGINAL, later);
        assertTrue(delay.contains("Subject: Delayed Mail (still being retried)\r\n"));
        assertTrue(delay.contains("Action: delayed\r\nStatus: 4.4.1\r\n"));
        NoticeRecipient ok = new NoticeRecipient("x@dest.test", "", DsnAction.RELAYED, DsnStatus.of(2, 0, 0),
                "250 2.0.0 Ok: queued as 1234", Verdict.reply("mx.dest.test", "250 2.0.0 Ok: queued as 1234"));
        String success = write(NoticeKind.SUCCESS, Ret.NONE, ORIGINAL, ok);
        assertTrue(success.contains("Subject: Successful Mail Delivery Report\r\n"));
        assertTrue(success.contains("Action: relayed\r\nStatus: 2.0.0\r\n"));
    }

    @Test
    void aPostmasterCopyHasItsOwnSubjectNoBoilerplateAndTheWholeOriginalWhateverRetSays() {
        Instant t = Instant.parse("2026-11-23T10:00:00Z");
        String n = new String(DeliveryStatusNotice.write(new DeliveryStatusNotice.Request(NoticeKind.FAILURE, "relay.test",
                "4ABC123", "postmaster@relay.test", "", Ret.HDRS, t.minusSeconds(600), List.of(HARD), ORIGINAL, t,
                "notice.2", true)), StandardCharsets.UTF_8);
        assertTrue(n.startsWith("From: MAILER-DAEMON@relay.test (Mail Delivery System)\r\nTo: postmaster@relay.test\r\n"
                + "Subject: Postmaster Copy: Undelivered Mail\r\n"), n);
        assertTrue(n.contains("Auto-Submitted: auto-generated\r\n"), n);
        assertFalse(n.contains("This is the mail system at host"), "no text meant for a sender: " + n);
        assertTrue(n.contains("Content-Type: text/plain; charset=utf-8\r\n\r\n<x@dest.test>: host mx.dest.test[192.0.2.1] said: 550 5.1.1"), n);
        assertTrue(n.contains("Content-Type: message/rfc822\r\n\r\nSubject: hello\r\n") && n.contains("the body"), n);
    }

    @Test
    void anEightBitOriginalIsDeclaredEightBit() {
        byte[] utf8 = "Subject: caf\u00e9\r\n\r\nd\u00e9j\u00e0\r\n".getBytes(StandardCharsets.UTF_8);
        String n = write(NoticeKind.FAILURE, Ret.NONE, utf8, HARD);
        assertTrue(n.contains("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n"), n);
        assertTrue(n.contains("Content-Transfer-Encoding: 8bit\r\n\r\nThis is a MIME-encapsulated message."), n);
    }
}
