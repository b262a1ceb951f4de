package io.postilion.engine.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.delivery.TlsRequest;
import io.postilion.engine.spool.QueueFile;
import io.postilion.transport.testserver.TestCertificates;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * RFC 8689 on the listener's side: REQUIRETLS is announced and accepted on MAIL FROM only inside
 * TLS (TLS-19), a "TLS-Required: no" header is recognised (TLS-20), and both are kept with the
 * message in the queue file (CLARIFICATIONS 41).
 */
class RequireTlsListenerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final SmtpListenerTest.MemorySink sink = new SmtpListenerTest.MemorySink();
    private SmtpListener listener;

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.close();
        }
    }

    private void start(boolean requireTlsEnable) {
        listener = SmtpListener.start(ListenerSettings.defaults(new InetSocketAddress("127.0.0.1", 0), "relay.test")
                .withIdleTimeout(Duration.ofSeconds(5)).withTls(TestCertificates.serverContext())
                .withRequireTls(requireTlsEnable), sink, Clock.systemUTC()).block(WAIT);
    }

    /** Sends one message over STARTTLS with {@code mailFrom}; the reply to MAIL. */
    private String sendOverTls(SmtpListenerTest.Raw c, String mailFrom, String message) throws IOException {
        c.send("MAIL FROM:<a@c.test>" + mailFrom + "\r\n");
        String reply = readLine(c);
        if (reply.startsWith("250")) {
            c.send("RCPT TO:<b@d.test>\r\nDATA\r\n");
            c.expect("250 ");
            c.expect("354 ");
            c.send(message + ".\r\n");
            c.expect("250 2.0.0 Ok: queued as ");
        }
        return reply;
    }

    private static String readLine(SmtpListenerTest.Raw c) throws IOException {
        List<String> l = c.multiline();
        return l.get(l.size() - 1);
    }

    private static SmtpListenerTest.Raw encrypted(int port) throws IOException {
        SmtpListenerTest.Raw c = new SmtpListenerTest.Raw(port, null);
        c.expect("220 ");
        c.send("EHLO c.test\r\n");
        List<String> clear = c.multiline();
        assertTrue(clear.stream().noneMatch(l -> l.contains("REQUIRETLS")), "not announced in the clear: " + clear);
        c.send("MAIL FROM:<a@c.test> REQUIRETLS\r\n");
        c.expect("555 5.5.4 Unsupported option: REQUIRETLS");
        c.send("STARTTLS\r\n");
        c.expect("220 ");
        c.startTls();
        return c;
    }

    @Test
    void requireTlsIsAnnouncedAndAcceptedOnlyInsideTlsAndKeptWithTheMessage_TLS19() throws Exception {
        start(true);
        try (SmtpListenerTest.Raw c = encrypted(listener.port())) {
            c.send("EHLO c.test\r\n");
            List<String> ehlo = c.multiline();
            assertTrue(ehlo.contains("250-REQUIRETLS"), ehlo.toString());
            assertEquals("501 5.5.4 Bad REQUIRETLS parameter syntax", sendOverTls(c, " REQUIRETLS=yes", ""));
            assertTrue(sendOverTls(c, " REQUIRETLS", "Subject: r\r\n\r\nx\r\n").startsWith("250"));
            assertTrue(sendOverTls(c, "", "Subject: plain\r\n\r\nx\r\n").startsWith("250"));
        }
        assertEquals(2, sink.messages.size());
        ReceivedMessage asked = sink.messages.get(0);
        assertEquals(new TlsRequest(true, false), asked.tls());
        assertEquals(TlsRequest.NONE, sink.messages.get(1).tls(), "RSET-free next transaction starts afresh");
        QueueFile.Decoded back = QueueFile.decode(QueueFile.encode(asked).bytes());
        assertEquals(new TlsRequest(true, false), back.envelope().tls(), "the queue file keeps REQUIRETLS");
    }

    @Test
    void anOutsiderMayAskForRequireTlsButGainsNoRelayByIt_TLS19() throws Exception {
        // An outsider (127.0.0.5, outside mynetworks 127.0.0.1/32) gets the same REQUIRETLS
        // handling as anyone: refused in the clear, a bad value refused without ending the
        // session, and over TLS it is accepted on MAIL but opens no relay: nothing is queued.
        listener = SmtpListener.start(ListenerSettings.defaults(new InetSocketAddress("127.0.0.1", 0), "relay.test")
                .withIdleTimeout(Duration.ofSeconds(5)).withTls(TestCertificates.serverContext()).withRequireTls(true)
                .withMynetworks(io.postilion.engine.config.ClientNetworks.parse(List.of("127.0.0.1/32"))),
                sink, Clock.systemUTC()).block(WAIT);
        try (SmtpListenerTest.Raw c = new SmtpListenerTest.Raw(listener.port(), "127.0.0.5")) {
            c.expect("220 ");
            c.send("EHLO outsider.test\r\n");
            assertFalse(c.multiline().contains("250-REQUIRETLS"), "not announced in the clear");
            c.send("MAIL FROM:<a@c.test> REQUIRETLS\r\n");
            c.expect("555 5.5.4 Unsupported option: REQUIRETLS");
            c.send("STARTTLS\r\n");
            c.expect("220 ");
            c.startTls();
            c.send("EHLO outsider.test\r\n");
            assertTrue(c.multiline().contains("250-REQUIRETLS"));
            c.send("MAIL FROM:<a@c.test> REQUIRETLS=\u0001\r\n");
            c.expect("501 5.5.4 Bad REQUIRETLS parameter syntax");
            c.send("MAIL FROM:<a@c.test> REQUIRETLS\r\n");
            c.expect("250 ");
            c.send("RCPT TO:<b@d.test>\r\n");
            c.expect("554 5.7.1 <b@d.test>: Relay access denied");
            c.send("DATA\r\n");
            c.expect("554 5.5.1 Error: no valid recipients");
            c.send("QUIT\r\n");
            c.expect("221 ");
        }
        assertTrue(sink.messages.isEmpty(), "nothing queued for an outsider: " + sink.messages);
    }

    @Test
    void withRequiretlsEnableOffItIsNeitherAnnouncedNorAccepted_TLS19() throws Exception {
        start(false);
        try (SmtpListenerTest.Raw c = encrypted(listener.port())) {
            c.send("EHLO c.test\r\n");
            assertFalse(c.multiline().contains("250-REQUIRETLS"));
            assertEquals("555 5.5.4 Unsupported option: REQUIRETLS", sendOverTls(c, " REQUIRETLS", ""));
        }
    }

    @Test
    void aTlsRequiredNoHeaderIsRecognisedAndKept_TLS20() throws Exception {
        start(true);
        try (SmtpListenerTest.Raw c = encrypted(listener.port())) {
            c.send("EHLO c.test\r\n");
            c.multiline();
            sendOverTls(c, "", "Subject: a\r\ntls-required:\r\n  No \r\n\r\nx\r\n");
            sendOverTls(c, "", "Subject: b\r\nTLS-Required: yes\r\n\r\nTLS-Required: no\r\n");
        }
        assertTrue(sink.messages.get(0).tls().tlsRequiredNo(), "folded, any case");
        assertFalse(sink.messages.get(1).tls().tlsRequiredNo(), "only the header section, only the value no");
        QueueFile.Decoded back = QueueFile.decode(QueueFile.encode(sink.messages.get(0)).bytes());
        assertEquals(new TlsRequest(false, true), back.envelope().tls(), "the queue file keeps the header's flag");
    }

    @Test
    void theHeaderScanReadsOnlyTheHeaderSection_TLS20() {
        assertTrue(TlsRequest.tlsRequiredNo("TLS-Required: no\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(TlsRequest.tlsRequiredNo("X: y\nTLS-REQUIRED:no".getBytes(StandardCharsets.US_ASCII)));
        assertFalse(TlsRequest.tlsRequiredNo("TLS-Required-Not: no\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertFalse(TlsRequest.tlsRequiredNo("TLS-Required: no thanks\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertFalse(TlsRequest.tlsRequiredNo(new byte[0]));
        assertFalse(new TlsRequest(true, true).relaxesPolicy(), "REQUIRETLS overrides the header");
    }
}
