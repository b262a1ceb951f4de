package io.postilion.transport.interop;

import static io.postilion.transport.interop.Rig.codes;
import static io.postilion.transport.interop.Rig.statuses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.protocol.Capabilities;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.TransactionResult;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The session against the real Postfix smtpd, with BDAT (Postfix offers CHUNKING) and with DATA
 * (chunking off), content with lines that start with ".". The rig's instance on 2526 relays to
 * smtp-sink, which stores nothing; the second instance up.sh starts on 2536 relays into Dovecot
 * LMTP, whose maildir copy must equal what was sent (CLARIFICATIONS 19).
 */
@Tag("interop")
class PostfixSmtpdInteropTest {

    private static final String FROM = "sender@client.example.test";

    @BeforeAll
    static void postfixIsUp() {
        Rig.requireTcp("Postfix smtpd", Rig.POSTFIX_PORT, "postfix-relay.sh");
        Rig.requireTcp("Postfix smtpd relaying to Dovecot (postfix-lmtp instance)", Rig.POSTFIX_LMTP_PORT,
                "postfix-relay.sh, the postfix-lmtp instance up.sh starts");
        Rig.requireTcp("Dovecot LMTP", Rig.LMTP_PORT, "lmtp.sh");
    }

    private static SessionSettings settings(boolean bdat) {
        return Rig.smtp().withChunking(bdat);
    }

    private static void assertOffersEverything(Rig.Opened o) {
        Capabilities caps = o.handshake().capabilities();
        assertTrue(caps.pipelining(), String.valueOf(o.handshake().hello()));
        assertTrue(caps.chunking(), "Postfix offers CHUNKING: " + o.handshake().hello());
        assertTrue(caps.enhancedStatusCodes());
    }

    @ParameterizedTest(name = "bdat={0}")
    @ValueSource(booleans = {true, false})
    void mixedRecipientsAndDottedLines_2526(boolean bdat) {
        Rig.Opened o = Rig.open(settings(bdat), Rig.tcp("relay.example.test", Rig.POSTFIX_PORT));
        assertOffersEverything(o);
        List<String> rcpts = List.of("someone@dest.example.test", "rcpt-reject@dest.example.test",
                "rcpt-defer@dest.example.test", "other@dest.example.test");
        TransactionResult r = o.session().transaction(Rig.transaction(FROM, rcpts,
                Rig.message(Rig.token(), FROM, rcpts.get(0)), false)).block(Rig.WAIT);
        assertNull(r.failure(), String.valueOf(r.failure()));
        assertEquals(250, r.mail().code(), String.valueOf(r.mail()));
        assertEquals(List.of(250, 550, 450, 250), codes(r.rcpt()));
        assertEquals("5.1.1", r.rcpt().get(1).status());
        assertEquals("4.2.0", r.rcpt().get(2).status());
        assertEquals(List.of(0, 3), r.accepted());
        assertEquals(bdat, r.usedBdat(), r.toString());
        if (!bdat) {
            assertEquals(354, r.data().code());
        }
        assertEquals(List.of(250), codes(r.finals()), r.toString());
        assertTrue(r.finals().get(0).text().contains("queued as"), r.finals().get(0).text());
        assertFalse(r.aborted());
    }

    @ParameterizedTest(name = "bdat={0}")
    @ValueSource(booleans = {true, false})
    void storedCopyEqualsWhatWasSent_viaPostfixIntoDovecot(boolean bdat) {
        Rig.Opened o = Rig.open(settings(bdat), Rig.tcp("relay.example.test", Rig.POSTFIX_LMTP_PORT));
        assertOffersEverything(o);
        String token = Rig.token();
        // A fresh mailbox per run: the local part names it (Dovecot accepts any user).
        String rcpt = "pf-" + (bdat ? "bdat" : "data") + "-" + token + "@example.test";
        String sent = Rig.message(token, FROM, rcpt);
        TransactionResult r = o.session().transaction(Rig.transaction(FROM, List.of(rcpt), sent, false))
                .block(Rig.WAIT);
        assertNull(r.failure(), String.valueOf(r.failure()));
        assertEquals(List.of(250), codes(r.rcpt()));
        assertEquals(bdat, r.usedBdat(), r.toString());
        assertEquals(List.of(250), codes(r.finals()), r.toString());
        assertEquals(List.of("2.0.0"), statuses(r.finals()));
        Path file = Rig.awaitDelivery(rcpt, token);
        Rig.assertStoredExactly(sent, file);
    }

    @ParameterizedTest(name = "bdat={0}")
    @ValueSource(booleans = {true, false})
    void bareLineEndsAndLongLinesArriveNormalisedAndBroken_DATA3_CLARIFICATIONS2(boolean bdat) {
        Rig.Opened o = Rig.open(settings(bdat), Rig.tcp("relay.example.test", Rig.POSTFIX_LMTP_PORT));
        String token = Rig.token();
        String rcpt = "pf-raw-" + (bdat ? "bdat" : "data") + "-" + token + "@example.test";
        String crlf = Rig.message(token, FROM, rcpt);
        // The same message with bare LF and bare CR line ends, and one 2000-byte line.
        String longLine = "L".repeat(2000);
        String raw = crlf.replace("\r\n", "\n").replaceFirst("\n\n", "\n\r") + longLine + "\n.\n";
        // 998 bytes, then continuation lines of a space and 997 bytes: the space counts (DATA-3)
        String expected = crlf + "L".repeat(998) + "\r\n " + "L".repeat(997) + "\r\n " + "L".repeat(5) + "\r\n.\r\n";
        TransactionResult r = o.session().transaction(Rig.transaction(FROM, List.of(rcpt), raw, false)).block(Rig.WAIT);
        assertNull(r.failure(), String.valueOf(r.failure()));
        assertEquals(List.of(250), codes(r.finals()), r.toString());
        Rig.assertStoredExactly(expected, Rig.awaitDelivery(rcpt, token));
    }
}
