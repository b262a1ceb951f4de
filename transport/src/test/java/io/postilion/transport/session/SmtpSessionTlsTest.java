package io.postilion.transport.session;

import static io.postilion.transport.session.SessionFixture.codes;
import static io.postilion.transport.session.SessionFixture.connect;
import static io.postilion.transport.session.SessionFixture.fast;
import static io.postilion.transport.session.SessionFixture.handshake;
import static io.postilion.transport.session.SessionFixture.tx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.tls.TlsLevel;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SmtpSessionTlsTest {

    private final FakeSmtpServer server = FakeSmtpServer.start();
    private final SessionSettings smtp = fast(SessionSettings.smtp("client.test"));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void levelMayUsesStartTlsAndSaysEhloAgain_TLS9() {
        server.startTls(true);
        SmtpSession s = connect(server, smtp.withTls(TlsLevel.MAY, false));
        Handshake h = handshake(s);
        assertTrue(h.ok(), String.valueOf(h.failure()));
        assertTrue(s.tlsActive());
        assertEquals(List.of("EHLO client.test", "STARTTLS", "EHLO client.test"), server.commands());
        assertFalse(h.capabilities().startTls(), "STARTTLS is not offered again over TLS");
        TransactionResult r = s.transaction(tx("over tls\r\n", "a@x.test")).block(SessionFixture.WAIT);
        assertEquals(List.of(250), codes(r.finals()));
        assertArrayEquals("over tls\r\n.\r\n".getBytes(StandardCharsets.US_ASCII), server.contents().get(0));
    }

    @Test
    void levelMayWithoutStartTlsOfferedStaysPlaintext_TLS9() {
        SmtpSession s = connect(server, smtp.withTls(TlsLevel.MAY, false));
        assertTrue(handshake(s).ok());
        assertFalse(s.tlsActive());
        assertFalse(server.commands().contains("STARTTLS"));
    }

    @Test
    void levelMayContinuesInPlaintextWhenStartTlsIsRefused_TLS9() {
        server.startTls(true).reply(Stage.STARTTLS, "454 4.7.0 TLS not available due to local problem");
        SmtpSession s = connect(server, smtp.withTls(TlsLevel.MAY, false));
        assertTrue(handshake(s).ok());
        assertFalse(s.tlsActive());
    }

    @Test
    void levelEncryptWithoutStartTlsOfferedFailsWith474_TLS9() {
        Handshake h = handshake(connect(server, smtp.withTls(TlsLevel.ENCRYPT, false)));
        assertFalse(h.ok());
        assertEquals("4.7.4", h.failure().status());
        assertEquals("TLS is required, but was not offered by host fake.test[127.0.0.1]", h.failure().text());
    }

    @Test
    void levelEncryptWhenStartTlsIsRefusedFailsWithTheServersStatus_TLS9() {
        server.startTls(true).reply(Stage.STARTTLS, "554 5.7.3 no TLS for you");
        Handshake h = handshake(connect(server, smtp.withTls(TlsLevel.ENCRYPT, false)));
        assertEquals("5.7.3", h.failure().status());
        assertEquals("TLS is required, but host fake.test[127.0.0.1] refused to start TLS: 554 5.7.3 no TLS for you",
                h.failure().text());
    }

    @Test
    void levelNoneIgnoresAnOfferedStartTls_TLS9() {
        server.startTls(true);
        SmtpSession s = connect(server, smtp);
        assertTrue(handshake(s).ok());
        assertFalse(server.commands().contains("STARTTLS"));
    }

    @Test
    void plaintextInjectedAfterTheStartTlsReplyIsDiscarded_TLS9() {
        server.startTls(true).injectAfterStartTls("250-injected\r\n250 PIPELINING\r\n554 5.0.0 injected\r\n");
        SmtpSession s = connect(server, smtp.withTls(TlsLevel.MAY, false));
        Handshake h = handshake(s);
        assertTrue(h.ok(), String.valueOf(h.failure()));
        assertTrue(s.tlsActive());
        assertEquals("fake.test", h.capabilities().serverName());
        TransactionResult r = s.transaction(tx("x\r\n", "a@x.test")).block(SessionFixture.WAIT);
        assertEquals(250, r.mail().code(), "the injected 554 must never be read as the MAIL reply");
        assertEquals(List.of(250), codes(r.finals()));
    }

    @Test
    void wrapperModeDoesTlsBeforeTheGreeting_TLS14() {
        server.wrapperMode(true);
        SmtpSession s = connect(server, smtp.withTls(TlsLevel.ENCRYPT, true));
        Handshake h = handshake(s);
        assertTrue(h.ok(), String.valueOf(h.failure()));
        assertTrue(s.tlsActive());
        assertFalse(server.commands().contains("STARTTLS"));
        TransactionResult r = s.transaction(tx("x\r\n", "a@x.test")).block(SessionFixture.WAIT);
        assertEquals(List.of(250), codes(r.finals()));
    }

    // TLS-14's refusal of levels below encrypt is per server now: the agent's policy resolver skips
    // such a server with a warning (TlsFallbackTest.wrapperModeSkipsEveryServerBelowEncryptWithAWarning_TLS14).
}
