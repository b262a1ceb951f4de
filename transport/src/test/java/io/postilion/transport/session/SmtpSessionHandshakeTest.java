package io.postilion.transport.session;

import static io.postilion.transport.session.SessionFixture.connect;
import static io.postilion.transport.session.SessionFixture.fast;
import static io.postilion.transport.session.SessionFixture.handshake;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.protocol.DiscardedKeywords;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SmtpSessionHandshakeTest {

    private final FakeSmtpServer server = FakeSmtpServer.start();
    private final SessionSettings smtp = fast(SessionSettings.smtp("client.test"));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void esmtpGreetingGetsEhloAndCapabilities_SESS9_SESS12() {
        server.capabilities("PIPELINING", "SIZE 1000", "AUTH=LOGIN PLAIN", "CHUNKING");
        Handshake h = handshake(connect(server, smtp));
        assertTrue(h.ok(), String.valueOf(h.failure()));
        assertEquals(io.postilion.transport.session.Stage.EHLO, h.helloStage());
        assertTrue(h.capabilities().pipelining());
        assertEquals(1000, h.capabilities().sizeLimit());
        assertEquals("EHLO client.test", server.commands().get(0));
    }

    @Test
    void greetingWithoutEsmtpGetsHeloWhenAlwaysSendEhloIsOff_SESS9() {
        server.reply(Stage.GREETING, "220 plain.test hello");
        Handshake h = handshake(connect(server, smtp.withEhlo(false, false)));
        assertTrue(h.ok());
        assertEquals("HELO client.test", server.commands().get(0));
        assertFalse(h.capabilities().pipelining());
    }

    @Test
    void neverSendEhloWinsOverAnEsmtpBanner_SESS9() {
        Handshake h = handshake(connect(server, smtp.withEhlo(true, true)));
        assertTrue(h.ok());
        assertEquals("HELO client.test", server.commands().get(0));
    }

    @Test
    void pixBannerGetsHelo_SESS18() {
        server.reply(Stage.GREETING, "220 ****************");
        Handshake h = handshake(connect(server, smtp));
        assertTrue(h.greetingAnalysis().pix());
        assertEquals("HELO client.test", server.commands().get(0));
    }

    /**
     * A table given by a library user may fail where main.cf's cannot: Postfix warns and ends the
     * session with 4.3.0 "local data error" (SMTP_ERR_DATA), and says QUIT.
     */
    @Test
    void aDiscardMapThatCannotAnswerEndsTheHelloWithALocalDataError_SESS13() throws InterruptedException {
        java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        AddressMap broken = new AddressMap("smtp_discard_ehlo_keyword_address_maps", address -> {
            throw new IllegalStateException("table down");
        });
        SmtpSession s = connect(server, smtp.withDiscard(DiscardedKeywords.NONE, broken));
        Handshake h = s.handshake(new HelloContext("4Q1", Duration.ZERO, false, null, new SessionLog() {
            @Override
            public void info(String line) {
            }

            @Override
            public void warn(String line) {
                warnings.add(line);
            }
        })).block(SessionFixture.WAIT);

        assertFalse(h.ok());
        assertEquals(StageFailure.Kind.DATA, h.failure().kind());
        assertEquals("4.3.0", h.failure().status());
        assertEquals("local data error while talking to fake.test[127.0.0.1]", h.failure().text());
        assertEquals(java.util.List.of("4Q1: smtp_discard_ehlo_keyword_address_maps map lookup error for 127.0.0.1"),
                warnings);
        awaitCommand("QUIT");
        assertEquals(java.util.List.of("EHLO client.test", "QUIT"), server.commands());
    }

    @Test
    void ehloRefusedWith502FallsBackToHeloOnTheSameConnection_SESS11() {
        server.reply(Stage.EHLO, "502 5.5.2 no EHLO here");
        Handshake h = handshake(connect(server, smtp));
        assertTrue(h.ok());
        assertEquals(io.postilion.transport.session.Stage.HELO, h.helloStage());
        assertEquals(java.util.List.of("EHLO client.test", "HELO client.test"), server.commands());
        assertEquals(1, server.sessions());
        assertFalse(h.capabilities().pipelining());
    }

    @Test
    void ehlo421IsASiteFailureWithoutHelo_SESS11() {
        server.reply(Stage.EHLO, "421 4.3.2 shutting down");
        Handshake h = handshake(connect(server, smtp));
        assertFalse(h.ok());
        assertEquals("4.3.2", h.failure().status());
        assertEquals("host fake.test[127.0.0.1] refused to talk to me: 421 4.3.2 shutting down", h.failure().text());
        assertFalse(server.commands().contains("HELO client.test"));
    }

    @Test
    void heloRefusedIsAFailureWithTheServersStatus_SESS11() {
        server.reply(Stage.EHLO, "500 no").reply(Stage.HELO, "550 5.7.1 go away");
        Handshake h = handshake(connect(server, smtp));
        assertFalse(h.ok());
        assertEquals("5.7.1", h.failure().status());
        assertEquals(io.postilion.transport.session.Stage.HELO, h.failure().stage());
    }

    @Test
    void greeting421RefusesToTalkAndQuitIsStillSent_SESS7() throws Exception {
        server.reply(Stage.GREETING, "421 4.3.2 busy");
        Handshake h = handshake(connect(server, smtp));
        assertFalse(h.ok());
        assertEquals("host fake.test[127.0.0.1] refused to talk to me: 421 4.3.2 busy", h.failure().text());
        awaitCommand("QUIT");
    }

    @Test
    void greeting554HasAHardStatusForTheAgentToRewrite_SESS7() {
        server.reply(Stage.GREETING, "554 5.3.2 no service");
        Handshake h = handshake(connect(server, smtp));
        assertEquals("5.3.2", h.failure().status());
        assertEquals(StageFailure.Kind.REPLY, h.failure().kind());
    }

    @Test
    void silentServerTimesOutWhileReceivingTheGreeting_TIME6() {
        server.delay(Stage.GREETING, Duration.ofSeconds(10));
        SessionSettings s = smtp.withTimeouts(Timeouts.all(Duration.ofSeconds(3)).withConnect(Duration.ofSeconds(3)));
        Handshake h = handshake(connect(server, s.withTimeouts(new Timeouts(Duration.ofSeconds(3), Duration.ofMillis(500),
                Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofSeconds(3),
                Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofSeconds(3), false, 500))));
        assertFalse(h.ok());
        assertEquals(StageFailure.Kind.TIMEOUT, h.failure().kind());
        assertEquals("4.4.2", h.failure().status());
        assertEquals("conversation with fake.test[127.0.0.1] timed out while receiving the initial server greeting", h.failure().text());
    }

    @Test
    void tricklingGreetingIsFineWithoutTheDeadline_TIME2() {
        server.trickle(Duration.ofMillis(60));
        Handshake h = handshake(connect(server, smtp.withTimeouts(heloLimit(Duration.ofMillis(700), false))));
        assertTrue(h.ok(), String.valueOf(h.failure()));
    }

    @Test
    void tricklingGreetingTimesOutUnderThePerRequestDeadline_TIME3() {
        server.trickle(Duration.ofMillis(60));
        Handshake h = handshake(connect(server, smtp.withTimeouts(heloLimit(Duration.ofMillis(700), true))));
        assertFalse(h.ok());
        assertEquals(StageFailure.Kind.TIMEOUT, h.failure().kind());
        assertTrue(h.failure().text().endsWith("while receiving the initial server greeting"), h.failure().text());
    }

    @Test
    void lostConnectionDuringHelloNamesTheStage_TIME6() {
        server.reply(Stage.EHLO, (line, s) -> null).dropAfter(Stage.EHLO);
        Handshake h = handshake(connect(server, smtp));
        assertEquals(StageFailure.Kind.LOST, h.failure().kind());
        assertEquals("lost connection with fake.test[127.0.0.1] while performing the EHLO handshake", h.failure().text());
    }

    @Test
    void discardedPipeliningIsNotUsed_SESS13() {
        Handshake h = handshake(connect(server, smtp.withDiscard(DiscardedKeywords.parse("pipelining"))));
        assertFalse(h.capabilities().pipelining());
    }

    @Test
    void lmtpSaysLhlo_SESS14() {
        server.lmtp(true);
        Handshake h = handshake(connect(server, fast(SessionSettings.lmtp("client.test"))));
        assertTrue(h.ok());
        assertEquals("LHLO client.test", server.commands().get(0));
    }

    @Test
    void refusedConnectionIsA441FailureNamingHostAddressAndPort_SESS4() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        SmtpClient.Connected c = SmtpClient.create(smtp)
                .connect(Endpoint.inet("down.test", new InetSocketAddress("127.0.0.1", port)))
                .block(SessionFixture.WAIT);
        assertNull(c.session());
        assertEquals("4.4.1", c.failure().status());
        assertTrue(c.failure().text().startsWith("connect to down.test[127.0.0.1]:" + port + ": "), c.failure().text());
        assertTrue(c.failure().text().toLowerCase(java.util.Locale.ROOT).contains("refused"), c.failure().text());
    }

    private static Timeouts heloLimit(Duration helo, boolean deadline) {
        Duration d = Duration.ofSeconds(3);
        return new Timeouts(d, helo, d, d, d, d, d, d, d, d, deadline, 500);
    }

    private void awaitCommand(String command) throws InterruptedException {
        for (int i = 0; i < 100 && !server.commands().contains(command); i++) {
            Thread.sleep(20);
        }
        assertTrue(server.commands().contains(command), server.transcript().toString());
    }

    @Test
    void serverWithoutSmtputf8FailsADeliveryThatNeedsIt_SESS16() {
        Handshake h = connect(server, smtp).handshake(true).block(SessionFixture.WAIT);
        assertFalse(h.ok());
        assertEquals("5.6.7", h.failure().status());
        assertEquals("message requires SMTPUTF8, but no server was found that supports SMTPUTF8. "
                + "The last attempted server was fake.test[127.0.0.1]", h.failure().text());
    }

    @Test
    void serverWithSmtputf8TakesADeliveryThatNeedsIt_SESS16() {
        server.capabilities("PIPELINING", "SMTPUTF8");
        Handshake h = connect(server, smtp).handshake(true).block(SessionFixture.WAIT);
        assertTrue(h.ok());
        assertTrue(h.capabilities().eightBitMime(), "SESS-17: SMTPUTF8 implies 8BITMIME");
    }
}
