package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.LookupSettings;
import io.postilion.dns.NextHopResolver;
import io.postilion.dns.SelfAddresses;
import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsResolverConfig;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * REPLY-6/REPLY-8 through the agent with the connection cache on: a reply that shows a protocol
 * error where a failure was handled (a 2xx or 3xx where another class was due, 500-509, 555) is
 * 5.5.0 (with "Protocol error: " before the reason when the reply was a 2xx), raises the protocol notice class (LOG-9), and its session is never
 * cached (CACHE-3); after the final dot such a session closes without QUIT, as Postfix's
 * smtp_cleanup_session frees a session that is neither cached nor expired.
 */
class ProtocolErrorTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final FakeSmtpServer server = FakeSmtpServer.start();
    private DeliveryAgent agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
        server.close();
    }

    private DeliveryAgent agent() {
        AgentSettings settings = AgentSettings.builder(SessionSettings.smtp("client.test")
                        .withTimeouts(Timeouts.all(Duration.ofSeconds(3))).withTls(TlsLevel.NONE, false), "client.test")
                .reuse(ConnectionReuse.defaults())
                .notices(PostmasterNotices.of(List.of("protocol"), "postmaster"))
                .build();
        LookupSettings lookup = LookupSettings.defaults(DeliveryProtocol.SMTP).self(SelfAddresses.of("127.0.0.254", ""))
                .inetProtocols(true, false).build();
        AsyncDnsResolver dns = AsyncDnsResolver.create(DnsResolverConfig.parse("127.0.0.1:9", Duration.ofSeconds(1), 1));
        agent = new DeliveryAgent(settings, new NextHopResolver(dns, lookup), DestinationParser.smtp(), Clock.systemUTC());
        return agent;
    }

    private DeliveryReport send(String rcpt) {
        DeliveryRequest r = DeliveryRequest.builder("Q" + System.nanoTime() % 100000, "s@client.test",
                        "[127.0.0.1]:" + server.port()).recipient(rcpt)
                .content(ContentSource.of("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII))).build();
        return agent.deliver(r, CacheHint.LOAD_AND_STORE).block(WAIT);
    }

    private void awaitClosed() throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (server.openSessions() > 0) {
            if (System.nanoTime() > until) {
                throw new AssertionError("the session stayed open: " + server.commands());
            }
            Thread.sleep(20);
        }
    }

    /**
     * @param prefix "Protocol error: " for a 2xx; none for a 3xx, whose enhanced status is 5.5.0
     *     already (Postfix's smtp_chat_resp), so that vsmtp_fill_dsn adds no prefix
     */
    private void assertProtocolError(DeliveryReport r, String prefix, String reply, String command) {
        RecipientResult x = r.results().get(0);
        assertEquals(Outcome.BOUNCED, x.outcome());
        assertEquals("5.5.0", x.status().text());
        assertEquals(prefix + "host 127.0.0.1[127.0.0.1] said: " + reply + " (in reply to " + command + " command)",
                x.reason());
        assertEquals(1, r.transcripts().size(), "the protocol notice class was raised: " + r);
        assertEquals(0, agent.parkedSessions(), "a session with a protocol error is never cached");
    }

    @Test
    void dataAnswered250IsAProtocolErrorAndTheSessionIsNotCached_REPLY8() throws Exception {
        agent();
        server.reply(Stage.DATA, "250 2.0.0 fine, I guess");
        assertProtocolError(send("a@dest.test"), "Protocol error: ", "250 2.0.0 fine, I guess", "DATA");
        awaitClosed();
        List<String> cmds = server.commands();
        assertEquals(List.of("RSET", "QUIT"), cmds.subList(cmds.size() - 2, cmds.size()), cmds.toString());
        server.reply(Stage.DATA, "354 go ahead");
        assertEquals(Outcome.SENT, send("b@dest.test").results().get(0).outcome());
        assertEquals(2, server.sessions(), "a fresh connection: " + server.commands());
    }

    @Test
    void mailAnswered354IsAProtocolErrorAndTheSessionIsNotCached_REPLY8() throws Exception {
        agent();
        server.reply(Stage.MAIL, "354 send it");
        assertProtocolError(send("a@dest.test"), "", "354 send it", "MAIL FROM");
        awaitClosed();
        assertTrue(server.commands().contains("QUIT"), server.commands().toString());
    }

    @Test
    void theFinalDotAnswered354ClosesWithoutQuit_REPLY8() throws Exception {
        agent();
        server.reply(Stage.DOT, "354 more please");
        assertProtocolError(send("a@dest.test"), "", "354 more please", "end of DATA");
        awaitClosed();
        assertFalse(server.commands().contains("QUIT"), "no QUIT after a protocol error at the dot: " + server.commands());
    }

    @Test
    void theFinalDotAnswered502IsNotCachedAndClosesWithoutQuit_REPLY6() throws Exception {
        agent();
        server.reply(Stage.DOT, "502 5.5.2 what dot");
        DeliveryReport r = send("a@dest.test");
        assertEquals(Outcome.BOUNCED, r.results().get(0).outcome());
        assertEquals("5.5.2", r.results().get(0).status().text());
        assertEquals(1, r.transcripts().size(), r.toString());
        assertEquals(0, agent.parkedSessions());
        awaitClosed();
        assertFalse(server.commands().contains("QUIT"), server.commands().toString());
    }
}
