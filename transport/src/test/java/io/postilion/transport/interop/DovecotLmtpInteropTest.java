package io.postilion.transport.interop;

import static io.postilion.transport.interop.Rig.codes;
import static io.postilion.transport.interop.Rig.statuses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.protocol.Capabilities;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.Stage;
import io.postilion.transport.session.TransactionResult;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The LMTP session against Dovecot, over TCP and over its UNIX socket, with BDAT (Dovecot offers
 * CHUNKING) and with DATA: per-recipient replies at RCPT and after the content (lmtp.sh's scripted
 * users), and the delivered maildir copy byte for byte.
 */
@Tag("interop")
class DovecotLmtpInteropTest {

    private static final String FROM = "sender@client.example.test";
    private static final String USER = "user1@example.test";
    private static final List<String> RCPTS = List.of(USER, "nosuchuser@example.test", "overquota@example.test",
            "tempquota@example.test");

    @BeforeAll
    static void dovecotIsUp() {
        Rig.requireTcp("Dovecot LMTP", Rig.LMTP_PORT, "lmtp.sh");
        Rig.requireUnix("Dovecot LMTP", Rig.LMTP_SOCKET, "lmtp.sh");
    }

    private static Endpoint endpoint(String transport) {
        return transport.equals("unix") ? Endpoint.unix("lmtp.example.test", Rig.LMTP_SOCKET.toString())
                : Rig.tcp("lmtp.example.test", Rig.LMTP_PORT);
    }

    @ParameterizedTest(name = "{0}, bdat={1}")
    @CsvSource({"tcp, true", "tcp, false", "unix, true", "unix, false"})
    void perRecipientRepliesAndStoredCopy(String transport, boolean bdat) {
        Rig.Opened o = Rig.open(Rig.lmtp().withChunking(bdat), endpoint(transport));
        assertEquals(Stage.LHLO, o.handshake().helloStage());
        Capabilities caps = o.handshake().capabilities();
        assertTrue(caps.chunking(), "Dovecot offers CHUNKING: " + o.handshake().hello());
        assertTrue(caps.pipelining(), String.valueOf(o.handshake().hello()));

        String token = Rig.token();
        String sent = Rig.message(token, FROM, USER);
        TransactionResult r = o.session().transaction(Rig.transaction(FROM, RCPTS, sent, false)).block(Rig.WAIT);

        assertNull(r.failure(), String.valueOf(r.failure()));
        assertEquals(250, r.mail().code(), String.valueOf(r.mail()));
        assertEquals(List.of(250, 550, 250, 250), codes(r.rcpt()), r.toString());
        assertEquals("5.1.1", r.rcpt().get(1).status());
        assertEquals(List.of(0, 2, 3), r.accepted());
        assertEquals(bdat, r.usedBdat(), r.toString());
        if (!bdat) {
            assertEquals(354, r.data().code(), String.valueOf(r.data()));
        }
        // One reply per accepted recipient, in the order of accepted.
        assertEquals(List.of(250, 552, 452), codes(r.finals()), r.toString());
        assertEquals(List.of("2.0.0", "5.2.2", "4.2.2"), statuses(r.finals()));
        assertTrue(r.finals().get(0).text().contains(USER), r.finals().get(0).text());
        assertFalse(r.aborted());

        Path file = Rig.awaitDelivery(USER, token);
        Rig.assertStoredExactly(sent, file);
        for (String full : List.of("overquota@example.test", "tempquota@example.test", "nosuchuser@example.test")) {
            assertTrue(Rig.filesWith(Rig.maildir(full), token).isEmpty(), full + " must not have a copy");
        }
    }
}
